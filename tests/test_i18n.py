"""German by default, English on request; the choice sticks."""
from tests.accounts.helpers import build


def test_german_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmelden" in page
    assert "Passwort" in page


def test_lang_parameter_switches_to_english_and_is_remembered(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Anmelden" not in page
    again = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in again
    assert "Password" in again
    back = client.get("/login?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in back


def test_accept_language_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Forgot your password?" in page


def test_unknown_language_falls_back_to_german(client):
    page = client.get("/login?lang=fr", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de">' in page


def test_error_pages_and_form_errors_are_german(app):
    client = app.test_client()
    response = client.post("/register", data={"email": "kaputt", "display_name": "",
                                              "password": "a", "password_repeat": "b",
                                              "locale": "de"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein" in text
    assert "Die beiden Passwörter stimmen nicht überein." in text
    assert "Fehler 404" in client.get("/gibt-es-nicht").get_data(as_text=True)


def test_users_language_preference_applies_after_login(app):
    build(app, lambda make: make.user("en@example.org", locale="en"))
    client = app.test_client()
    client.post("/login", data={"email": "en@example.org", "password": "secret-password"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
