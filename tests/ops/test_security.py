"""Security headers, production settings, cookies, CSRF, upload size, no enumeration."""
import re

import pytest
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, DEFAULT_SECRET_KEY, ConfigurationError, ProductionConfig
from core.models import OutboxMessage
from extensions import db

STRONG_KEY = "k" * 48


def test_pages_and_api_answers_carry_the_security_headers(client):
    for path in ("/", "/api/v1/sites", "/no/such/page"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                          "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'",
                          "form-action 'self'"):
            assert directive in policy, (path, directive)
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain http in development


# Inline code would need 'unsafe-inline' in the CSP; keep it out of every template.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:",
    re.IGNORECASE,
)


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    offenders = []
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_CODE.search(line):
                offenders.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    assert offenders == []


def _production(make_app, **settings):
    settings.setdefault("SECRET_KEY", STRONG_KEY)
    settings.setdefault("RATELIMIT_ENABLED", False)
    return make_app(base=ProductionConfig, **settings)


@pytest.mark.parametrize("key", [DEFAULT_SECRET_KEY, "", None, "short-but-not-default"])
def test_production_refuses_to_start_with_a_weak_secret_key(make_app, key):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        _production(make_app, SECRET_KEY=key)


def test_production_refuses_to_start_without_a_database_url(make_app):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        _production(make_app, SQLALCHEMY_DATABASE_URI=None)


def test_production_cookies_are_secure_httponly_and_samesite(make_app):
    production = _production(make_app)
    response = production.test_client().get("/login")  # the CSRF token starts a session
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_production_sends_hsts(make_app):
    response = _production(make_app).test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _sample_value(converter):
    return "1" if isinstance(converter, IntegerConverter) else "x"


def test_every_state_changing_form_needs_a_csrf_token(make_app):
    """Walks the URL map, so a new form route is covered without being listed here."""
    protected = make_app(WTF_CSRF_ENABLED=True)
    csrf = protected.extensions["csrf"]
    adapter = protected.url_map.bind("localhost")
    client = protected.test_client()
    checked = []
    for rule in protected.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        view = protected.view_functions[rule.endpoint]
        blueprint = protected.blueprints.get(rule.endpoint.rpartition(".")[0])
        if (not methods or blueprint in csrf._exempt_blueprints
                or f"{view.__module__}.{view.__name__}" in csrf._exempt_views):
            continue
        values = {name: _sample_value(conv) for name, conv in rule._converters.items()}
        url = adapter.build(rule.endpoint, values, method=sorted(methods)[0])
        method = sorted(methods)[0]
        response = client.open(url, method=method, data={"anything": "1"},
                               query_string={"lang": "en"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "The form expired" in response.get_data(as_text=True), rule.rule
        checked.append(rule.rule)
    assert {"/login", "/register", "/account/delete"} <= set(checked)


def test_a_too_large_form_upload_is_refused_with_413(client):
    too_big = "x" * (5 * 1024 * 1024 + 1)
    response = client.post("/login?lang=en", data={"email": "a@example.org", "password": too_big})
    assert response.status_code == 413
    assert "The upload is too large." in response.get_data(as_text=True)


def test_a_too_large_api_body_is_refused_in_the_api_error_format(client, make):
    from accounts.auth import issue_api_token

    token = issue_api_token(make.user("big@example.org"))
    body = b'{"purpose": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/bookings", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_login_does_not_reveal_whether_an_address_has_an_account(client, make):
    make.user("known@example.org")
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "wrong-pw1"})
    wrong = client.post("/login", data={"email": "known@example.org", "password": "wrong-pw1"})
    assert unknown.status_code == wrong.status_code == 422
    assert (unknown.get_data(as_text=True).replace("nobody@", "known@")
            == wrong.get_data(as_text=True))


def test_password_reset_does_not_reveal_whether_an_address_has_an_account(client, make):
    make.user("known@example.org")
    unknown = client.post("/password/reset", data={"email": "nobody@example.org"})
    known = client.post("/password/reset", data={"email": "known@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert (unknown.get_data(as_text=True).replace("nobody@", "known@")
            == known.get_data(as_text=True))
    recipients = db.session.scalars(db.select(OutboxMessage.recipient)).all()
    assert recipients == ["known@example.org"]  # only the real account gets a mail
