"""Credentials (Bearer token, session cookie with CSRF header) and the message language."""
import re

import pytest

from accounts.auth import issue_api_token
from app import create_app
from config import TestConfig
from extensions import db
from tests.api.conftest import error_of, local, next_weekday


def test_a_bearer_token_identifies_the_caller(api, make):
    user = make.user("token@example.org")
    response = api.as_user(user).get("/me")
    assert response.status_code == 200
    assert response.get_json()["email"] == "token@example.org"


def test_a_bad_bearer_token_is_refused_even_on_public_endpoints(api, make):
    make.site("witten")
    headers = {"Authorization": "Bearer not-a-real-token"}
    error_of(api.get("/me", headers=headers), 401, "unauthenticated")
    error_of(api.get("/sites", headers=headers), 401, "unauthenticated")
    assert api.get("/sites").status_code == 200


def test_a_bearer_token_wins_over_a_session_cookie(api, make, auth):
    make.user("cookie@example.org")
    auth.login("cookie@example.org")
    assert api.get("/me").get_json()["email"] == "cookie@example.org"
    error_of(api.get("/me", headers={"Authorization": "Bearer wrong"}), 401, "unauthenticated")


def test_the_session_cookie_identifies_the_caller(api, make, auth):
    make.user("cookie@example.org")
    auth.login("cookie@example.org")
    assert api.get("/me").get_json()["email"] == "cookie@example.org"


@pytest.fixture
def csrf_app(app):
    """A second app on the same database with CSRF protection switched on."""
    config = type("CsrfConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": True,
    })
    csrf_app = create_app(config)
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


def _csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def test_cookie_posts_need_the_csrf_header_and_bearer_posts_do_not(csrf_app, make, counts):
    site = make.site("witten")
    unit = make.unit(site, "desk")
    user = make.user("cookie@example.org")
    token = issue_api_token(user)
    day = next_weekday(1)
    body = {"unit_id": unit.id, "terms_accepted": True}
    email = user.email
    # The other app has its own sessions: end ours, or SQLite's write lock stays with it.
    db.session.rollback()
    browser = csrf_app.test_client()
    csrf_token = _csrf_token(browser)
    login = browser.post("/login", data={"email": email, "password": "secret-password",
                                         "csrf_token": csrf_token})
    assert login.status_code == 302
    assert browser.get("/api/v1/me").status_code == 200
    before = counts()

    refused = browser.post("/api/v1/bookings",
                           json={**body, "start": local(day, 9), "end": local(day, 10)})

    error = error_of(refused, 403, "forbidden")
    assert "X-CSRFToken" in error["message"]
    assert counts() == before
    accepted = browser.post("/api/v1/bookings",
                            json={**body, "start": local(day, 10), "end": local(day, 11)},
                            headers={"X-CSRFToken": csrf_token})
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    with_token = csrf_app.test_client().post(
        "/api/v1/bookings", json={**body, "start": local(day, 11), "end": local(day, 12)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert with_token.status_code == 201, with_token.get_data(as_text=True)
    # The HTML pages stay protected by the global CSRFProtect.
    assert csrf_app.test_client().post("/login", data={"email": email}).status_code == 400


def test_messages_are_german_by_default_and_english_on_request(api, make):
    desk = make.unit(make.site("witten"), "desk", max_length=4)
    day = next_weekday(1)
    request = {"unit_id": desk.id, "start": local(day, 9), "end": local(day, 14),
               "terms_accepted": True}
    api.as_user(make.user(locale="en"))
    english = error_of(api.post("/bookings", json=request), 422, "validation")
    assert english["message"] == "This unit can be booked for at most 4 step(s) (hour)."
    api.anonymous()
    anonymous_english = error_of(api.get("/sites/atlantis", headers={"Accept-Language": "en"}),
                                 404, "not_found")
    anonymous_german = error_of(api.get("/sites/atlantis"), 404, "not_found")
    assert anonymous_english["message"] == "There is no site “atlantis”."
    assert anonymous_german["message"] != anonymous_english["message"]
    assert "atlantis" in anonymous_german["message"]
    api.as_user(make.user(locale="de"))
    assert error_of(api.get("/sites/atlantis"), 404, "not_found") == anonymous_german


def test_accept_language_decides_for_an_authenticated_api_caller(api, make):
    api.as_user(make.user(locale="de"))
    error = error_of(api.get("/sites/atlantis", headers={"Accept-Language": "en"}),
                     404, "not_found")
    assert error["message"] == "There is no site “atlantis”."
