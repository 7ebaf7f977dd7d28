"""Error handling and template helpers shared by every blueprint.

Domain errors become a JSON error (under /api/) or a friendly page, in one place.
"""
import logging

from flask import flash, jsonify, make_response, render_template, request
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from core.errors import DomainError
from core.messages import message_for
from core.time import to_local
from core.urls import absolute_url
from extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "invalid_json",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation",
    429: "rate_limited",
}

HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in or send a valid API token."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist."),
    405: _l("This method is not allowed here."),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
    503: _l("The service is briefly unavailable. Please try again in a moment."),
}


def wants_json():
    return request.path.startswith("/api/")


def json_error(status, code, message, details=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def error_page(status, message):
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app):
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse): a connection lost after the response was made must not turn it into a 500.
    @app.teardown_appcontext
    def end_session(_error):
        discard_session()

    @app.errorhandler(DomainError)
    def handle_domain_error(error):
        db.session.rollback()
        message = message_for(error)
        if wants_json():
            return json_error(error.status, error.code, message, error.details)
        return error_page(error.status, message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error):
        db.session.rollback()
        message = str(_l("The form expired or was sent from elsewhere. Please try again."))
        if wants_json():
            return json_error(400, "csrf", message)
        return error_page(400, message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        db.session.rollback()
        status = error.code or 500
        message = str(HTTP_MESSAGES.get(status, error.description))
        if wants_json():
            return json_error(status, HTTP_CODES.get(status, "error"), message)
        return error_page(status, message)

    @app.errorhandler(DBAPIError)
    def handle_database_error(error):
        if not error.connection_invalidated:
            return handle_unexpected_error(error)
        # The database connection was lost (restart, failover, terminated backend): the
        # transaction is gone as a whole, the pool reconnects on the next checkout.
        _rollback_quietly()
        log.warning("database connection lost on %s %s: %s", request.method, request.path,
                    str(error.orig).strip().splitlines()[0] if error.orig else error,
                    extra=_error_context())
        message = str(HTTP_MESSAGES[503])
        if wants_json():
            response = json_error(503, "unavailable", message)
        else:
            response = make_response(error_page(503, message))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected_error(error):
        db.session.rollback()
        # Logged here once, with its context; Flask does not log handled errors again.
        log.exception("unhandled error on %s %s", request.method, request.path,
                      extra=_error_context())
        message = str(HTTP_MESSAGES[500])
        if wants_json():
            return json_error(500, "internal", message)
        return error_page(500, message)


def _rollback_quietly():
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is already gone; drop the session with it
        discard_session()


def discard_session():
    """End the session even when its connection was lost (closing it rolls back over the
    dead connection, which raises): the pool replaces the connection on the next checkout."""
    try:
        db.session.remove()
    except DBAPIError as error:
        log.warning("database connection lost while ending a request: %s",
                    str(error.orig).strip().splitlines()[0] if error.orig else error)
        try:
            db.session.close()
        except DBAPIError:
            pass
        db.session.registry.clear()


def _error_context():
    from flask_login import current_user

    try:
        user_id = getattr(current_user, "id", None)
    except Exception:  # noqa: BLE001 - the user may not load when the database is down
        user_id = None
    return {"method": request.method, "path": request.path, "endpoint": request.endpoint,
            "user_id": user_id, "query": request.query_string.decode("latin-1")[:200]}


def flash_error(error):
    flash(message_for(error), "error")


def local_datetime(instant, format="medium"):
    if instant is None:
        return ""
    return format_datetime(to_local(instant), format)


def register_template_helpers(app):
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.globals["absolute_url"] = absolute_url
    # Lets the layout link to pages only where their blueprint provides them.
    app.jinja_env.globals["url_map_endpoints"] = app.view_functions
