"""Why a calendar source's last sync failed is stored without a language and shown in the
reader's: German to a German manager, English to an English one, from the same row. Rows
of older versions hold the text itself and show it as it is."""
import html

import pytest
import requests

from calendars import imports
from calendars.models import CalendarSource
from core.errors import ValidationError
from extensions import db
from tests.calendars.conftest import berlin

NOW = berlin(2027, 1, 11, 9)
URL = "https://city.example/rooms.ics"
EVENT = ("BEGIN:VEVENT\r\nUID:fair@city.example\r\nSUMMARY:Stadtfest\r\n"
         "DTSTART;VALUE=DATE:20270305\r\nDTEND;VALUE=DATE:20270306\r\nEND:VEVENT\r\n")
CALENDAR = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//City//Test//EN\r\n" + EVENT
            + "END:VCALENDAR\r\n").encode()

UNREACHABLE = {
    "de": f"Der Kalender unter {URL} konnte nicht geladen werden (der Server war nicht "
          "erreichbar oder hat die Datei nicht herausgegeben). Technische Angabe: "
          "ConnectTimeout",
    "en": f"The calendar at {URL} could not be loaded (the server could not be reached or "
          "did not hand out the file). Technical detail: ConnectTimeout",
}
TWO_CALENDARS = {
    "de": "Dies ist keine gültige iCalendar-Datei (sie enthält nicht genau einen Kalender). "
          "Es wurde nichts importiert.",
    "en": "This is not a valid iCalendar file (it does not contain exactly one calendar). "
          "Nothing was imported.",
}


@pytest.fixture
def lab(make):
    site = make.site()
    unit = make.unit(site, "event_space")
    managers = {language: make.user(f"manager.{language}@example.org", role="manager",
                                    sites=[site], locale=language)
                for language in ("de", "en")}
    source = imports.add_url_source(managers["de"], unit, name="Stadt", url=URL, now=NOW,
                                    fetch=lambda url: CALENDAR).source
    return unit, managers, source.id


@pytest.fixture
def unreachable(monkeypatch):
    """The real download, against a server that never answers."""
    def timed_out(*args, **kwargs):
        raise requests.ConnectTimeout("connect timeout=5")

    monkeypatch.setattr(requests, "get", timed_out)
    return imports.fetch_calendar


def _stored(source_id):
    db.session.expire_all()
    return db.session.get(CalendarSource, source_id)


def _page(client, auth, unit, manager, query=""):
    auth.logout()
    auth.login(manager.email)
    response = client.get(f"/calendars/units/{unit.id}/sources{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _fail_sync(source_id, fetch):
    with pytest.raises(ValidationError):
        imports.sync_source(_stored(source_id), now=NOW, fetch=fetch)


@pytest.fixture(params=["unreachable", "two calendars"])
def failure(request):
    """A sync that fails: (fetch, the message in each language)."""
    if request.param == "unreachable":
        return request.getfixturevalue("unreachable"), UNREACHABLE
    return (lambda url: CALENDAR + CALENDAR), TWO_CALENDARS


def test_one_stored_error_reads_german_and_english(client, auth, lab, failure):
    unit, managers, source_id = lab
    fetch, expected = failure
    _fail_sync(source_id, fetch)
    stored = _stored(source_id)
    assert stored.last_error is None and stored.last_error_message
    # Neither language is in the row itself.
    for text in expected.values():
        assert text not in str(stored.last_error_message)

    german = _page(client, auth, unit, managers["de"])
    assert expected["de"] in german and expected["en"] not in german
    english = _page(client, auth, unit, managers["en"])
    assert expected["en"] in english and expected["de"] not in english
    # ?lang= overrides the saved preference, as on every page.
    english_on_request = _page(client, auth, unit, managers["de"], "?lang=en")
    assert expected["en"] in english_on_request


def test_a_failure_of_the_cli_sync_reads_in_the_managers_language(client, auth, lab,
                                                                    unreachable):
    # The CLI runs outside any request: what it stores must not be German either.
    unit, managers, source_id = lab
    results, failures = imports.sync_url_sources(now=NOW, fetch=unreachable)
    assert results == [] and len(failures) == 1
    assert failures[0][1] == UNREACHABLE["de"]  # its own output: the default language
    assert UNREACHABLE["en"] in _page(client, auth, unit, managers["en"])
    assert UNREACHABLE["de"] in _page(client, auth, unit, managers["de"])


def test_an_old_row_with_the_text_itself_shows_it_as_it_is(client, auth, lab):
    unit, managers, source_id = lab
    old_text = "Der Kalender unter https://alt.example konnte nicht geladen werden (alt)."
    source = _stored(source_id)
    source.last_error, source.last_error_message = old_text, None
    db.session.commit()
    for language in ("de", "en"):
        page = _page(client, auth, unit, managers[language])
        assert old_text in page


def test_a_successful_sync_clears_the_error(client, auth, lab, unreachable):
    unit, managers, source_id = lab
    _fail_sync(source_id, unreachable)
    source = _stored(source_id)
    source.last_error = "an old text"
    db.session.commit()
    imports.sync_source(_stored(source_id), now=NOW, fetch=lambda url: CALENDAR)
    source = _stored(source_id)
    assert source.last_error is None and source.last_error_message is None
    for language in ("de", "en"):
        page = _page(client, auth, unit, managers[language])
        assert UNREACHABLE[language] not in page and "an old text" not in page
        assert ("Letzter Fehler" if language == "de" else "Last error") not in page
