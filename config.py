"""Settings read from the environment.

Every setting is documented in the README's configuration table. ``Config`` is used for
development (the default), ``ProductionConfig`` when ``APP_ENV=production`` and
``TestConfig`` by the test suite.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"


class ConfigurationError(RuntimeError):
    """A production setting is missing or unsafe; the app refuses to start."""


def _int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None


def _bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _sqlalchemy_url(url):
    # Heroku-style URLs name the scheme "postgres://"; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    APP_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means: the embedded SQLite database in instance/ (set in create_app).
    SQLALCHEMY_DATABASE_URI = (
        _sqlalchemy_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # First start on the embedded database: run migrations and load demo data.
    AUTO_SETUP = _bool("AUTO_SETUP", True)

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    PASSWORD_HASH_METHOD = "scrypt"

    MAIL_FROM = os.environ.get("MAIL_FROM", "Stadtlabor <noreply@stadtlabor.example>")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)

    BOOKING_HOLD_MINUTES = _int("BOOKING_HOLD_MINUTES", 15)
    TERMS_VERSION = os.environ.get("TERMS_VERSION", "2026-11")
    EMAIL_TOKEN_MAX_AGE_HOURS = _int("EMAIL_TOKEN_MAX_AGE_HOURS", 48)

    # Texts of the legally required pages (Impressum, privacy, accessibility).
    IMPRINT_TEXT = os.environ.get(
        "IMPRINT_TEXT",
        "Industrie- und Handelskammer Mittleres Ruhrgebiet (Demo)\n"
        "Ostring 30-32, 44787 Bochum\nTelefon: +49 234 0000-0\n"
        "E-Mail: stadtlabor@ihk.example\n"
        "Vertreten durch die Hauptgeschäftsführung.\n"
        "Die IHK ist eine Körperschaft des öffentlichen Rechts.",
    )
    PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "datenschutz@ihk.example")
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "barrierefreiheit@ihk.example")

    @classmethod
    def validate(cls, config):
        """Hook for subclasses: raise ConfigurationError on unsafe settings."""


class ProductionConfig(Config):
    APP_ENV = "production"
    AUTO_SETUP = _bool("AUTO_SETUP", False)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def validate(cls, config):
        if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
            raise ConfigurationError(
                "SECRET_KEY must be set to a long random value when APP_ENV=production."
            )
        if len(config["SECRET_KEY"]) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters long.")
        if not config.get("SQLALCHEMY_DATABASE_URI"):
            raise ConfigurationError("DATABASE_URL must be set when APP_ENV=production.")


class TestConfig(Config):
    APP_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    AUTO_SETUP = False
    WTF_CSRF_ENABLED = False
    SMTP_HOST = ""
    # A cheap hash keeps the suite fast; production uses scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def config_from_environment():
    env = os.environ.get("APP_ENV", "development")
    try:
        return {"development": Config, "production": ProductionConfig}[env]
    except KeyError:
        raise ConfigurationError(
            f"APP_ENV must be 'development' or 'production', not {env!r}"
        ) from None
