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


def _list(name, default):
    """A comma-separated setting as a tuple of stripped, non-empty items."""
    value = os.environ.get(name)
    text = default if value is None else value
    return tuple(item.strip() for item in text.split(",") if item.strip())


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

    # Redis (optional): shared rate limits and the data version that invalidates caches.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Without Redis, trust a per-process data version (one process: development).
    LOCAL_DATA_VERSION = _bool("LOCAL_DATA_VERSION", True)
    BOOKING_HOLD_MINUTES = _int("BOOKING_HOLD_MINUTES", 15)
    # How long an approved request that needs payment keeps its slot for the booker to pay
    # (never past the booking's start).
    APPROVAL_PAYMENT_HOURS = _int("APPROVAL_PAYMENT_HOURS", 48)
    # How long the first in line on a waitlist may take a freed slot before the next gets it.
    WAITLIST_OFFER_MINUTES = _int("WAITLIST_OFFER_MINUTES", 60)
    # Requests not decided within this many working days (Mon-Fri) are flagged overdue.
    REQUEST_DECISION_WORKING_DAYS = _int("REQUEST_DECISION_WORKING_DAYS", 5)
    # A confirmed hourly desk booking without check-in this long after its start is a no-show.
    NO_SHOW_GRACE_MINUTES = _int("NO_SHOW_GRACE_MINUTES", 30)
    TERMS_VERSION = os.environ.get("TERMS_VERSION", "2026-11")
    # The chamber's district, for "local" organisations in reports: a German postcode that
    # starts with one of these prefixes, or one of these municipalities (comma-separated).
    # Default: IHK Mittleres Ruhrgebiet (Bochum 447/448, Herne 446, Hattingen 4552,
    # Sprockhövel 4554, Witten 5845).
    CHAMBER_DISTRICT_POSTCODE_PREFIXES = _list(
        "CHAMBER_DISTRICT_POSTCODE_PREFIXES", "447,448,446,4552,4554,5845")
    CHAMBER_DISTRICT_MUNICIPALITIES = _list(
        "CHAMBER_DISTRICT_MUNICIPALITIES", "Bochum,Herne,Hattingen,Witten,Sprockhövel")
    # Report sections queried at the same time on PostgreSQL (1: one after the other).
    REPORT_PARALLEL_QUERIES = _int("REPORT_PARALLEL_QUERIES", 4)
    EMAIL_TOKEN_MAX_AGE_HOURS = _int("EMAIL_TOKEN_MAX_AGE_HOURS", 48)

    # Payments: without STRIPE_SECRET_KEY the app runs in "invoice / pay on site" mode.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # Only for tests and mocks: where the Stripe API is reached (empty: Stripe itself).
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    # How long a booking paid by SEPA direct debit keeps its slot while the debit clears.
    STRIPE_ASYNC_HOLD_HOURS = _int("STRIPE_ASYNC_HOLD_HOURS", 120)
    # De-minimis ceiling per organisation over any three years (Regulation (EU) 2023/2831).
    DEMINIMIS_CEILING_CENTS = _int("DEMINIMIS_CEILING_CENTS", 30_000_000)

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

    # Operations: uploads, logs, proxies, rate limits (core/logging.py, core/ratelimit.py).
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "keyvalue")  # "json" or "keyvalue"
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none).
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    HSTS_SECONDS = _int("HSTS_SECONDS", 0)
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    )
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "stadtlabor")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get(
        "RATELIMIT_PASSWORD_RESET", "5 per minute;20 per hour"
    )
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per minute;20 per hour")
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "600 per minute")

    # Privacy (privacy/services.py): anonymise personal data of bookings older than this;
    # invoices and what they need are kept for the statutory accounting period.
    PRIVACY_RETENTION_DAYS = _int("PRIVACY_RETENTION_DAYS", 730)
    ACCOUNTING_RETENTION_YEARS = _int("ACCOUNTING_RETENTION_YEARS", 8)

    # Invoices (billing/invoices.py): the issuer as printed on every invoice (§14 UStG),
    # number prefixes (invoices SL-2026-00042, credit notes GS-2026-00003), payment terms,
    # reminders and the DATEV export.
    ISSUER_NAME = os.environ.get("ISSUER_NAME", "IHK Mittleres Ruhrgebiet – Stadtlabor")
    ISSUER_STREET = os.environ.get("ISSUER_STREET", "Ostring 30-32")
    ISSUER_POSTCODE = os.environ.get("ISSUER_POSTCODE", "44787")
    ISSUER_CITY = os.environ.get("ISSUER_CITY", "Bochum")
    ISSUER_COUNTRY = os.environ.get("ISSUER_COUNTRY", "DE")
    ISSUER_VAT_ID = os.environ.get("ISSUER_VAT_ID", "DE123456789")
    ISSUER_TAX_NUMBER = os.environ.get("ISSUER_TAX_NUMBER", "306/5700/0000")
    ISSUER_IBAN = os.environ.get("ISSUER_IBAN", "DE02120300000000202051")
    ISSUER_BIC = os.environ.get("ISSUER_BIC", "BYLADEM1001")
    ISSUER_BANK = os.environ.get("ISSUER_BANK", "Demo-Bank")
    ISSUER_EMAIL = os.environ.get("ISSUER_EMAIL", "rechnungen@stadtlabor.example")
    ISSUER_PHONE = os.environ.get("ISSUER_PHONE", "+49 234 0000-0")
    ISSUER_CONTACT = os.environ.get("ISSUER_CONTACT", "Buchhaltung Stadtlabor")
    ISSUER_REGISTER = os.environ.get(
        "ISSUER_REGISTER", "Körperschaft des öffentlichen Rechts"
    )
    INVOICE_PREFIX = os.environ.get("INVOICE_PREFIX", "SL")
    CREDIT_NOTE_PREFIX = os.environ.get("CREDIT_NOTE_PREFIX", "GS")
    PAYMENT_TERM_DAYS = _int("PAYMENT_TERM_DAYS", 14)
    # A reminder (Zahlungserinnerung) this many days after the due date, then a dunning
    # letter (Mahnung) this many days after the reminder.
    REMINDER_AFTER_DAYS = _int("REMINDER_AFTER_DAYS", 7)
    DUNNING_AFTER_DAYS = _int("DUNNING_AFTER_DAYS", 14)
    DATEV_CONSULTANT_NUMBER = _int("DATEV_CONSULTANT_NUMBER", 1001)
    DATEV_CLIENT_NUMBER = _int("DATEV_CLIENT_NUMBER", 1)
    DATEV_ACCOUNT_LENGTH = _int("DATEV_ACCOUNT_LENGTH", 4)
    # SKR03: 8400 revenue 19 %, 8300 revenue 7 %, 8200 revenue without VAT; debtors from 10000.
    DATEV_REVENUE_ACCOUNTS = os.environ.get("DATEV_REVENUE_ACCOUNTS", "1900:8400,700:8300,0:8200")
    DATEV_DEBTOR_BASE = _int("DATEV_DEBTOR_BASE", 10000)

    @classmethod
    def validate(cls, config):
        """Hook for subclasses: raise ConfigurationError on unsafe settings."""


class ProductionConfig(Config):
    APP_ENV = "production"
    # Several gunicorn workers: only a version shared through Redis can be trusted.
    LOCAL_DATA_VERSION = _bool("LOCAL_DATA_VERSION", False)
    AUTO_SETUP = _bool("AUTO_SETUP", False)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    HSTS_SECONDS = _int("HSTS_SECONDS", 31536000)

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
        if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
            raise ConfigurationError(
                "STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is set."
            )


class TestConfig(Config):
    APP_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    AUTO_SETUP = False
    WTF_CSRF_ENABLED = False
    SMTP_HOST = ""
    # Tests turn payments on explicitly, against a local Stripe-compatible server.
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    STRIPE_API_BASE = ""
    DEMINIMIS_CEILING_CENTS = 30_000_000
    # A cheap hash keeps the suite fast; production uses scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The rate-limit tests build their own app with limits on.
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"


def config_from_environment():
    env = os.environ.get("APP_ENV", "development")
    try:
        return {"development": Config, "production": ProductionConfig}[env]
    except KeyError:
        raise ConfigurationError(
            f"APP_ENV must be 'development' or 'production', not {env!r}"
        ) from None
