"""Who is calling the API: a Bearer token or the session cookie (then with a CSRF header)."""
from flask import abort, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from accounts.auth import load_user_from_request
from core.errors import NotAllowed
from extensions import csrf

STATE_CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def has_bearer_header():
    scheme, _, _ = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer"


def identify_caller():
    """Run before every API request: set ``g.api_user`` and guard cookie requests.

    A Bearer header wins over a session cookie, and a bad token is a 401 even on public
    endpoints, so a client learns at once that its token no longer works.
    """
    if has_bearer_header():
        user = load_user_from_request(request)
        if user is None:
            abort(401)
        g.api_user = user
        return
    g.api_user = current_user if current_user.is_authenticated else None
    if g.api_user is not None and request.method in STATE_CHANGING_METHODS:
        _require_csrf_header()


def _require_csrf_header():
    # The blueprint is exempt from the global CSRFProtect so Bearer calls need no token;
    # cookie calls can be forged by other sites and must prove they come from our pages.
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        csrf.protect()
    except CSRFError:
        raise NotAllowed("csrf_header_missing") from None


def caller():
    """The authenticated caller or None."""
    return g.get("api_user")


def require_caller():
    """The authenticated caller; a 401 ``unauthenticated`` without one."""
    user = caller()
    if user is None:
        abort(401)
    return user
