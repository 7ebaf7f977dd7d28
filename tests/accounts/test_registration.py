"""Registration with double opt-in, without revealing which addresses have accounts."""
import pytest

from accounts.models import User
from extensions import db
from tests.accounts.helpers import (
    build, english, links_in, login, mails, path_of, query, table_counts,
)


def register(client, **overrides):
    data = {"email": "neu@example.org", "display_name": "Nina Neu", "password": "lang-genug-1",
            "password_repeat": "lang-genug-1", "locale": "de"}
    data.update(overrides)
    return client.post("/register", data=data, headers={"Accept-Language": "en"})


def user_row(app, email):
    def work():
        user = db.session.scalar(db.select(User).where(User.email == email))
        return None if user is None else {"confirmed": user.is_confirmed, "locale": user.locale,
                                          "name": user.display_name}
    return query(app, work)


BAD_REGISTRATIONS = [
    ({"email": ""}, "Please enter your e-mail address."),
    ({"email": "not-an-address"}, "Please enter a valid e-mail address"),
    ({"email": "a@b@example.org"}, "Please enter a valid e-mail address"),
    ({"email": "x" * 310 + "@example.org"}, "at most 320 characters"),
    ({"display_name": ""}, "Please enter your name."),
    ({"display_name": "N" * 121}, "at most 120 characters"),
    ({"password": "", "password_repeat": ""}, "Please choose a password."),
    ({"password": "kurz", "password_repeat": "kurz"}, "8 to 128 characters"),
    ({"password": "p" * 129, "password_repeat": "p" * 129}, "8 to 128 characters"),
    ({"password_repeat": "something-else"}, "The two passwords do not match."),
    ({"locale": "fr"}, "Not a valid choice"),
]


@pytest.mark.parametrize("overrides,error", BAD_REGISTRATIONS)
def test_bad_registration_shows_the_error_and_writes_nothing(app, overrides, error):
    client = app.test_client()
    before = table_counts(app)
    response = register(client, **overrides)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert table_counts(app) == before


BAD_LOGINS = [
    ({"email": "", "password": "x"}, "Please enter your e-mail address."),
    ({"email": "kein-at-zeichen", "password": "x"}, "Please enter a valid e-mail address"),
    ({"email": "x" * 320 + "@example.org", "password": "x"}, "at most 320 characters"),
    ({"email": "a@example.org", "password": ""}, "Please enter your password."),
    ({"email": "a@example.org", "password": "p" * 129}, "at most 128 characters"),
    ({"email": "a@example.org", "password": "wrong-password"}, "E-mail address or password is wrong."),
    ({"email": "nobody@example.org", "password": "secret-password"},
     "E-mail address or password is wrong."),
]


@pytest.mark.parametrize("data,error", BAD_LOGINS)
def test_bad_login_shows_the_error_and_writes_nothing(app, data, error):
    build(app, lambda make: make.user("a@example.org"))
    client = app.test_client()
    before = table_counts(app)
    response = client.post("/login", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert table_counts(app) == before
    assert client.get("/account").status_code == 302  # not logged in


def test_unknown_address_and_wrong_password_look_the_same(app):
    build(app, lambda make: make.user("a@example.org"))
    client = app.test_client()
    wrong_password = client.post("/login", data={"email": "a@example.org", "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "b@example.org", "password": "nope-nope"})
    assert wrong_password.get_data(as_text=True).replace("a@example.org", "X") == \
        unknown.get_data(as_text=True).replace("b@example.org", "X")


def test_registration_creates_an_unconfirmed_account_and_mails_a_link(app):
    client = app.test_client()
    response = register(client, email="Neu@Example.org", locale="en")
    assert response.status_code == 200
    assert "neu@example.org" in response.get_data(as_text=True)
    assert user_row(app, "neu@example.org") == {"confirmed": False, "locale": "en",
                                                "name": "Nina Neu"}
    [mail] = mails(app)
    assert mail["recipient"] == "neu@example.org"
    assert mail["subject"] == "Please confirm your e-mail address"  # the chosen language
    assert any("/confirm/" in link for link in links_in(mail))


def test_duplicate_registration_answers_the_same_creates_nothing_and_warns_the_owner(app):
    build(app, lambda make: make.user("alt@example.org", name="Alte Adresse", locale="de"))
    fresh = register(app.test_client(), email="frisch@example.org")
    before = table_counts(app)
    duplicate = register(app.test_client(), email="alt@example.org", display_name="Mallory",
                         password="ganz-anderes-1", password_repeat="ganz-anderes-1")
    after = table_counts(app)

    assert duplicate.status_code == fresh.status_code == 200
    assert duplicate.get_data(as_text=True).replace("alt@example.org", "ADDRESS") == \
        fresh.get_data(as_text=True).replace("frisch@example.org", "ADDRESS")
    assert after["users"] == before["users"]
    assert after["outbox_messages"] == before["outbox_messages"] + 1
    assert {k: v for k, v in after.items() if k != "outbox_messages"} == \
        {k: v for k, v in before.items() if k != "outbox_messages"}
    [mail] = mails(app, "alt@example.org")
    assert mail["kind"] == "account_exists"
    assert "versucht" in mail["body"]  # German: the owner's language
    assert any("/password/reset" in link for link in links_in(mail))
    # The owner's account is untouched: old password and name still work.
    assert user_row(app, "alt@example.org")["name"] == "Alte Adresse"
    assert login(app.test_client(), "alt@example.org").status_code == 302
    assert login(app.test_client(), "alt@example.org", "ganz-anderes-1").status_code == 422


def test_confirmation_link_confirms_and_unlocks_booking(app):
    from accounts import policy

    client = english(app.test_client())
    register(client)
    # Logging in works before the confirmation, with a notice.
    response = client.post("/login", data={"email": "neu@example.org", "password": "lang-genug-1"},
                           follow_redirects=True, headers={"Accept-Language": "en"})
    assert "Please confirm your e-mail address" in response.get_data(as_text=True)

    def can_book():
        user = db.session.scalar(db.select(User).where(User.email == "neu@example.org"))
        user.is_authenticated  # noqa: B018 - UserMixin: always True
        return policy.can_book(user)

    assert query(app, can_book) is False
    [mail] = mails(app)
    link = path_of(next(link for link in links_in(mail) if "/confirm/" in link))
    assert client.get(link).status_code == 302
    assert user_row(app, "neu@example.org")["confirmed"] is True
    assert query(app, can_book) is True
    # A second click is harmless.
    assert client.get(link).status_code == 302


def test_forged_confirmation_link_is_refused(app):
    client = app.test_client()
    register(client)
    [mail] = mails(app)
    link = path_of(next(link for link in links_in(mail) if "/confirm/" in link))
    assert client.get(link[:-3] + "abc").status_code == 422
    assert client.get("/confirm/nonsense").status_code == 422
    assert user_row(app, "neu@example.org")["confirmed"] is False


def test_expired_confirmation_link_is_refused(app, monkeypatch):
    client = app.test_client()
    register(client)
    [mail] = mails(app)
    link = path_of(next(link for link in links_in(mail) if "/confirm/" in link))
    monkeypatch.setitem(app.config, "EMAIL_TOKEN_MAX_AGE_HOURS", -1)
    assert client.get(link).status_code == 422
    assert user_row(app, "neu@example.org")["confirmed"] is False


def test_resend_confirmation_answers_the_same_for_any_address(app):
    build(app, lambda make: make.user("offen@example.org", confirmed=False))
    build(app, lambda make: make.user("fertig@example.org", confirmed=True))
    pages = {}
    for email in ("offen@example.org", "fertig@example.org", "niemand@example.org"):
        response = app.test_client().post("/confirm", data={"email": email},
                                          headers={"Accept-Language": "en"})
        assert response.status_code == 200
        pages[email] = response.get_data(as_text=True).replace(email, "ADDRESS")
    assert len(set(pages.values())) == 1
    sent = mails(app)
    assert [mail["recipient"] for mail in sent] == ["offen@example.org"]
    assert any("/confirm/" in link for link in links_in(sent[0]))


def test_resend_confirmation_rejects_a_malformed_address(app):
    before = table_counts(app)
    response = app.test_client().post("/confirm", data={"email": "nope"})
    assert response.status_code == 422
    assert table_counts(app) == before
