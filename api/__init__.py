"""The JSON API under /api/v1 (conventions in ../shared/api.md, document in api/openapi.py)."""
from flask import Blueprint

from extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Bearer calls carry no CSRF token; cookie calls are checked in api.access instead.
csrf.exempt(bp)

from api import access  # noqa: E402

bp.before_request(access.identify_caller)

from api import availability, bookings, catalogue, messages, openapi  # noqa: E402,F401
from api import moves, tenancies  # noqa: E402,F401
from api import decisions  # noqa: E402,F401
from api import quotes  # noqa: E402,F401
