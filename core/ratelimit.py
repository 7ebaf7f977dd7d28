"""Rate limits (Flask-Limiter): login, password reset, registration and the JSON API.

Counters live in Redis when ``RATELIMIT_STORAGE_URI`` (or ``REDIS_URL``) names one, so all
workers and machines share them; otherwise in the process's memory (development). A
request over the limit gets 429 in the app's usual error format (``rate_limited``), from
the error handlers in ``core.web``.

Each app gets its own ``Limiter``: its counters and its on/off switch belong to that app,
so a test can build an app with limits on beside the suite's app with limits off.
"""
import hashlib
import logging

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

log = logging.getLogger(__name__)

# endpoint -> config key of its limit; counted for POST only (showing the form is free).
FORM_LIMITS = {
    "accounts.login": "RATELIMIT_LOGIN",
    "accounts.request_password_reset": "RATELIMIT_PASSWORD_RESET",
    # Sends a mail too: limited like reset requests, so nobody is flooded with mails.
    "accounts.resend_confirmation": "RATELIMIT_PASSWORD_RESET",
    "accounts.register": "RATELIMIT_REGISTER",
}
API_BLUEPRINT = "api"


def api_caller_key():
    """One bucket per API token (several clients may share an address), else per address."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "ip:" + (get_remote_address() or "unknown")


def _has_no_limit():
    """Requests that no limit applies to skip the limiter's lookups entirely (they cost
    more than a whole cached answer, such as a feed poll, on every request)."""
    return request.endpoint not in FORM_LIMITS and request.blueprint != API_BLUEPRINT


def init_rate_limits(app):
    """Attach a limiter to ``app`` and limit the endpoints above (call after the
    blueprints are registered). Returns the limiter."""
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", ""),
        headers_enabled=True,
        # A Redis outage must not take the site down: fall back to per-process counters.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    # Honour RATELIMIT_ENABLED=False set after the app was built (benchmarks do this).
    limiter.request_filter(lambda: not current_app.config.get("RATELIMIT_ENABLED", True))
    limiter.request_filter(_has_no_limit)
    app.extensions["stadtlabor_limiter"] = limiter

    for endpoint, config_key in FORM_LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        app.view_functions[endpoint] = limiter.limit(
            app.config[config_key], methods=["POST"]
        )(view)

    api = app.blueprints.get(API_BLUEPRINT)
    if api is not None:
        limiter.limit(app.config["RATELIMIT_API"], key_func=api_caller_key)(api)
    return limiter
