"""Lab manager pages of a site (``/manage/<slug>``)."""
from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
