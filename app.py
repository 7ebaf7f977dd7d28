"""Application factory: ``flask --app app run`` or ``gunicorn 'app:create_app()'``."""
import logging
import os
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, TestConfig, config_from_environment
from extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(config=None):
    """Build the app. ``config`` is a config class or a dict of overrides (tests)."""
    app = Flask(__name__, instance_relative_config=False, instance_path=str(BASE_DIR / "instance"))
    # Ids in URLs fit the database's INTEGER columns: a larger number is a 404, not an
    # overflow inside the driver (a 500).
    app.url_map.converters["int"] = DatabaseIdConverter
    config_class = config if isinstance(config, type) else config_from_environment()
    app.config.from_object(config_class)
    if isinstance(config, dict):
        app.config.update(config)
    # Before the embedded default is filled in: production must name its database.
    config_class.validate(app.config)
    embedded = not app.config.get("SQLALCHEMY_DATABASE_URI")
    if embedded:
        Path(app.instance_path).mkdir(exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'stadtlabor.sqlite'}"
        )
    from core.logging import configure_logging
    from core.security import init_security

    # First: the request id must exist before any other hook may answer the request.
    configure_logging(app)
    init_security(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    from core.ratelimit import init_rate_limits

    init_rate_limits(app)  # after the blueprints: it limits some of their views
    _register_hooks()

    from core.web import register_error_handlers, register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)

    if embedded and app.config["AUTO_SETUP"]:
        from bootstrap import ensure_embedded_database

        ensure_embedded_database(app)
    return app


def _init_extensions(app):
    # Import the models so that every table is known to the metadata (and to migrations).
    import models  # noqa: F401

    db.init_app(app)
    from core import changes

    changes.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(BASE_DIR / "translations"),
    )
    _compile_translations()
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    from accounts.auth import load_user_from_request, load_user_from_session

    login_manager.user_loader(load_user_from_session)
    login_manager.request_loader(load_user_from_request)

    @app.before_request
    def remember_language_choice():
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            session["lang"] = chosen


def _select_locale():
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    header_choice = request.accept_languages.best_match(languages)
    # API clients say what they want per request; pages follow the saved preference.
    if header_choice and request.path.startswith("/api/"):
        return header_choice
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return header_choice or current_app.config["BABEL_DEFAULT_LOCALE"]


def _compile_translations():
    """Compile .po catalogues to .mo when they are missing or stale (no build step)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (BASE_DIR / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp_path = mo_path.with_suffix(f".mo.{os.getpid()}")
        with tmp_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp_path.replace(mo_path)


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app):
    from accounts.views import bp as accounts_bp
    from api import bp as api_bp
    from billing.invoice_views import bp as invoices_bp
    from billing.views import bp as billing_bp
    from billing.webhooks import bp as billing_webhooks_bp
    from bookings.listing_views import bp as listings_bp
    from bookings.tenancy_views import bp as tenancies_bp
    from bookings.views import bp as bookings_bp
    from bookings.waitlist_views import bp as waitlist_bp
    from calendars.views import bp as calendars_bp
    from core.health import bp as health_bp
    from core.pages import bp as pages_bp
    from privacy.views import bp as privacy_bp
    from reports.views import bp as reports_bp
    from spaces.management import bp as manage_bp
    from spaces.views import bp as spaces_bp

    # The manager's booking pages (queue, check-in) join the manage blueprint from
    # bookings, which may import spaces (not the other way round); before it is registered.
    import bookings.management_views  # noqa: F401

    for blueprint in (
        pages_bp, spaces_bp, manage_bp, accounts_bp, bookings_bp, tenancies_bp, waitlist_bp,
        calendars_bp, api_bp, billing_bp, billing_webhooks_bp, invoices_bp, health_bp,
        privacy_bp, reports_bp, listings_bp,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app):
    from accounts.cli import users_cli
    from billing.invoice_cli import billing_cli
    from bookings.cli import bookings_cli
    from bootstrap import demo_data_command
    from calendars.cli import calendars_cli
    from core.backup import backup_command, restore_command
    from core.cli import outbox_cli
    from privacy.cli import privacy_cli

    for command in (
        users_cli, bookings_cli, calendars_cli, outbox_cli, demo_data_command, backup_command,
        restore_command, privacy_cli, billing_cli,
    ):
        app.cli.add_command(command)


def _register_hooks():
    """Higher layers answer the questions of lower ones (core.hooks) and react to
    booking signals, written in the transaction of each change."""
    from billing.invoices import register_hooks as register_invoice_hooks
    from billing.prices import register_hooks as register_billing_hooks
    from bookings import notifications, waitlist
    from bookings.site_changes import register_hooks as register_booking_hooks

    register_billing_hooks()
    register_invoice_hooks()
    register_booking_hooks()
    notifications.connect()
    waitlist.connect()


__all__ = ["create_app", "TestConfig", "get_locale"]
