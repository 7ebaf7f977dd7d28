"""Password change and reset; the profile."""
from accounts.models import User
from core.models import AuditEntry
from extensions import db
from tests.accounts.helpers import build, english, links_in, login, mails, path_of, query, table_counts

EN = {"Accept-Language": "en"}


def reset_link(app, email):
    mail = [m for m in mails(app, email) if m["kind"] == "account_password_reset"][-1]
    return path_of(next(link for link in links_in(mail) if "/password/reset/" in link))


def test_password_change_ends_other_sessions_but_keeps_this_one(app):
    build(app, lambda make: make.user("a@example.org"))
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "a@example.org")
    login(phone, "a@example.org")
    assert phone.get("/account").status_code == 200

    response = laptop.post("/account/password", data={
        "old_password": "secret-password", "password": "new-password-1",
        "password_repeat": "new-password-1"})
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # this session goes on
    assert phone.get("/account").status_code == 302  # the other one ended
    assert login(app.test_client(), "a@example.org").status_code == 422
    assert login(app.test_client(), "a@example.org", "new-password-1").status_code == 302
    [mail] = mails(app, "a@example.org")
    assert mail["kind"] == "account_password_changed"


def test_password_change_needs_the_old_password(app):
    build(app, lambda make: make.user("a@example.org"))
    client = english(app.test_client())
    login(client, "a@example.org")
    before = table_counts(app)
    response = client.post("/account/password", headers=EN, data={
        "old_password": "not-the-password", "password": "new-password-1",
        "password_repeat": "new-password-1"})
    assert response.status_code == 422
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert table_counts(app) == before
    assert login(app.test_client(), "a@example.org").status_code == 302


def test_password_change_rejects_mismatch(app):
    build(app, lambda make: make.user("a@example.org"))
    client = english(app.test_client())
    login(client, "a@example.org")
    response = client.post("/account/password", headers=EN, data={
        "old_password": "secret-password", "password": "new-password-1",
        "password_repeat": "new-password-2"})
    assert response.status_code == 422
    assert "The two passwords do not match." in response.get_data(as_text=True)


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(app):
    build(app, lambda make: make.user("a@example.org"))
    known = app.test_client().post("/password/reset", data={"email": "a@example.org"})
    unknown = app.test_client().post("/password/reset", data={"email": "b@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("a@example.org", "X") == \
        unknown.get_data(as_text=True).replace("b@example.org", "X")
    assert [m["recipient"] for m in mails(app)] == ["a@example.org"]


def test_reset_link_works_once_and_ends_sessions(app):
    build(app, lambda make: make.user("a@example.org"))
    old_session = app.test_client()
    login(old_session, "a@example.org")
    app.test_client().post("/password/reset", data={"email": "a@example.org"})
    link = reset_link(app, "a@example.org")

    client = app.test_client()
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "brand-new-pw", "password_repeat": "brand-new-pw"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert login(app.test_client(), "a@example.org", "brand-new-pw").status_code == 302
    assert old_session.get("/account").status_code == 302

    # The same link a second time: refused, the password stays.
    assert client.get(link).status_code == 422
    again = client.post(link, data={"password": "evil-password", "password_repeat": "evil-password"})
    assert again.status_code == 422
    assert login(app.test_client(), "a@example.org", "evil-password").status_code == 422


def test_reset_confirms_an_unconfirmed_address(app):
    build(app, lambda make: make.user("a@example.org", confirmed=False))
    app.test_client().post("/password/reset", data={"email": "a@example.org"})
    app.test_client().post(reset_link(app, "a@example.org"),
                           data={"password": "brand-new-pw", "password_repeat": "brand-new-pw"})

    def confirmed():
        return db.session.scalar(db.select(User).where(User.email == "a@example.org")).is_confirmed

    assert query(app, confirmed) is True


def test_reset_form_errors_write_nothing(app):
    build(app, lambda make: make.user("a@example.org"))
    app.test_client().post("/password/reset", data={"email": "a@example.org"})
    link = reset_link(app, "a@example.org")
    before = table_counts(app)
    response = app.test_client().post(link, headers=EN,
                                      data={"password": "short", "password_repeat": "short"})
    assert response.status_code == 422
    assert "8 to 128 characters" in response.get_data(as_text=True)
    assert table_counts(app) == before
    # The link still works after a failed attempt.
    assert app.test_client().get(link).status_code == 200


def test_profile_saves_name_and_language(app):
    build(app, lambda make: make.user("a@example.org", name="Alt"))
    client = app.test_client()
    login(client, "a@example.org")
    response = client.post("/account", data={"display_name": "Neu Name", "locale": "en"})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Neu Name" in page
    assert '<html lang="en">' in page

    def saved():
        user = db.session.scalar(db.select(User).where(User.email == "a@example.org"))
        return user.display_name, user.locale

    assert query(app, saved) == ("Neu Name", "en")


def test_profile_rejects_a_too_long_name(app):
    build(app, lambda make: make.user("a@example.org"))
    client = english(app.test_client())
    login(client, "a@example.org")
    before = table_counts(app)
    response = client.post("/account", headers=EN, data={"display_name": "x" * 121, "locale": "de"})
    assert response.status_code == 422
    assert "at most 120 characters" in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_password_change_is_audited(app):
    build(app, lambda make: make.user("a@example.org"))
    client = app.test_client()
    login(client, "a@example.org")
    client.post("/account/password", data={
        "old_password": "secret-password", "password": "new-password-1",
        "password_repeat": "new-password-1"})
    actions = query(app, lambda: db.session.scalars(db.select(AuditEntry.action)).all())
    assert "user.password_changed" in actions
