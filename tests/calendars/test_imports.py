"""Importing external calendars: materialised as blocking bookings, re-sync, clashes,
hostile files, URL sources synced by the CLI."""
import http.server
import io
import threading
import time
from datetime import timedelta

import pytest

from bookings.models import Booking
from bookings.services import create_booking
from calendars import feeds, imports
from calendars.models import CalendarSource, ImportedEvent
from core.errors import BookingConflict, NotAllowed, ValidationError
from extensions import db
from tests.calendars.conftest import add_booking, berlin, read_feed

NOW = berlin(2027, 1, 11, 9)


def ics(*events):
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//City//Test//EN\r\n" + body
            + "END:VCALENDAR\r\n").encode()


WEEKLY = """UID:council@city.example
SUMMARY:Ratssitzung
DTSTART;TZID=Europe/Berlin:20270201T101500
DTEND;TZID=Europe/Berlin:20270201T114500
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20270215T101500"""
ALL_DAY = """UID:fair@city.example
SUMMARY:Stadtfest
DTSTART;VALUE=DATE:20270305
DTEND;VALUE=DATE:20270306"""
FREE = """UID:info@city.example
SUMMARY:Just information
TRANSP:TRANSPARENT
DTSTART:20270306T100000Z
DTEND:20270306T110000Z"""


def bookings_of(unit):
    return db.session.scalars(
        db.select(Booking).where(Booking.unit_id == unit.id).order_by(Booking.starts_at)
    ).all()


@pytest.fixture
def setup(make):
    site = make.site()
    unit = make.unit(site, "event_space")
    manager = make.user(role="manager", sites=[site])
    return unit, manager


def test_upload_materialises_events_as_blocking_bookings(app, setup, make):
    unit, manager = setup
    result = imports.import_upload(manager, unit, name="Stadt", now=NOW,
                                   data=ics(WEEKLY, ALL_DAY, FREE))
    assert result.clashes == [] and result.added == 4
    stored = bookings_of(unit)
    # Weekly x4 minus the EXDATE, widened to whole hours; the all-day event; not the free one.
    assert [(b.starts_at, b.ends_at) for b in stored] == [
        (berlin(2027, 2, 1, 10), berlin(2027, 2, 1, 12)),
        (berlin(2027, 2, 8, 10), berlin(2027, 2, 8, 12)),
        (berlin(2027, 2, 22, 10), berlin(2027, 2, 22, 12)),
        (berlin(2027, 3, 5), berlin(2027, 3, 6)),
    ]
    assert all(b.status == "confirmed" and b.booked_by_id is None for b in stored)
    assert stored[0].purpose == "Extern: Ratssitzung"

    # Availability sees them: a local booking into that time is refused.
    booker = make.user()
    with pytest.raises(BookingConflict):
        create_booking(booker, unit=unit, starts_at=berlin(2027, 2, 8, 11),
                       ends_at=berlin(2027, 2, 8, 13), now=NOW, terms_accepted=True)
    # The public feed shows them as busy, without the external summary.
    with app.test_request_context():
        body = feeds.build_feed(feeds.unit_feed(unit, "en"), NOW)
    events = read_feed(body)
    assert len(events) == 4 and {e[4] for e in events.values()} == {"Booked"}
    assert b"Ratssitzung" not in body


def test_clashes_are_reported_never_dropped_and_local_bookings_stay(app, client, auth, setup,
                                                                    make):
    unit, manager = setup
    local = add_booking(unit, berlin(2027, 2, 8, 11), berlin(2027, 2, 8, 13), user=make.user(),
                        purpose="Local workshop")
    result = imports.import_upload(manager, unit, name="Stadt", now=NOW, data=ics(WEEKLY))
    assert [(c.summary, c.clashes_with_booking_id) for c in result.clashes] == [
        ("Ratssitzung", local.id)]
    assert result.added == 2
    fresh = db.session.get(Booking, local.id)
    assert (fresh.status, fresh.starts_at, fresh.purpose) == ("confirmed", local.starts_at,
                                                              "Local workshop")
    auth.login(manager.email)
    page = client.get(f"/calendars/units/{unit.id}/sources").get_data(as_text=True)
    assert "Ratssitzung" in page and f"#{local.id}" in page


def test_resync_replaces_the_previous_import_and_keeps_unchanged_events(setup, make):
    unit, manager = setup
    local = add_booking(unit, berlin(2027, 4, 1, 9), berlin(2027, 4, 1, 10), user=make.user())
    first = imports.import_upload(manager, unit, name="Stadt", now=NOW, data=ics(WEEKLY, ALL_DAY))
    source = first.source
    fair = next(b for b in bookings_of(unit) if b.purpose == "Extern: Stadtfest")
    moved = (WEEKLY.replace("COUNT=4", "COUNT=2").replace("T101500", "T141500")
             .replace("T114500", "T154500"))
    second = imports.import_upload(manager, unit, name="Stadt", now=NOW, source=source,
                                   data=ics(moved, ALL_DAY))
    assert (second.added, second.removed, second.kept) == (2, 3, 1)
    stored = bookings_of(unit)
    assert [(b.starts_at, b.purpose) for b in stored] == [
        (berlin(2027, 2, 1, 14), "Extern: Ratssitzung"),
        (berlin(2027, 2, 8, 14), "Extern: Ratssitzung"),
        (berlin(2027, 3, 5), "Extern: Stadtfest"),
        (local.starts_at, ""),
    ]
    assert fair.id in {b.id for b in stored}  # unchanged event, same booking (same UID)
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarSource)) == 1
    imports.remove_source(manager, db.session.get(CalendarSource, source.id), now=NOW)
    assert [b.id for b in bookings_of(unit)] == [local.id]


HOSTILE = {
    "bad syntax": b"BEGIN:VCALENDAR\r\nthis is not ical\r\nEND:VCALENDAR\r\n",
    "bad date": ics("UID:x\r\nDTSTART:20270101Tgarbage\r\nDTEND:20270101T100000Z"),
    "not a calendar": b"<html>Hello</html>",
    "too large": ics(WEEKLY) + b" " * (imports.MAX_BYTES + 1),
    "every minute since 2000": ics(
        "UID:m\r\nDTSTART:20000101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY"),
    "thousands of years": ics(
        "UID:y\r\nDTSTART:00010101T000000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;BYHOUR=0,12"),
    "too many occurrences": ics(
        "UID:h\r\nDTSTART:20270201T000000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=HOURLY"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_broken_or_hostile_files_import_nothing(setup, counts, name):
    unit, manager = setup
    before = counts()
    started = time.monotonic()
    with pytest.raises(ValidationError) as error:
        imports.import_upload(manager, unit, name="Bad", now=NOW, data=HOSTILE[name])
    assert error.value.message_key.startswith("ical_")
    assert time.monotonic() - started < 10
    assert counts() == before


def test_only_managers_of_the_site_may_import(client, auth, setup, make):
    unit, manager = setup
    other = make.user("other.manager@example.org", role="manager", sites=[make.site()])
    with pytest.raises(NotAllowed):
        imports.import_upload(other, unit, name="x", now=NOW, data=ics(ALL_DAY))
    auth.login("other.manager@example.org")
    assert client.get(f"/calendars/units/{unit.id}/sources").status_code == 403


def test_upload_through_the_form_page(client, auth, setup):
    unit, manager = setup
    auth.login(manager.email)
    response = client.post(f"/calendars/units/{unit.id}/sources", data={
        "name": "Stadt", "file": (io.BytesIO(ics(ALL_DAY)), "stadt.ics")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    bad = client.post(f"/calendars/units/{unit.id}/sources", data={
        "name": "Bad", "file": (io.BytesIO(HOSTILE["bad syntax"]), "bad.ics")},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "not a valid iCalendar file" in bad.get_data(as_text=True) or \
        "kein" in bad.get_data(as_text=True).lower()
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarSource)) == 1


class _Served:
    body = b""
    status = 200


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(_Served.status)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(_Served.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def calendar_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/city.ics"
    server.shutdown()
    server.server_close()


def test_url_source_synced_by_the_cli(app, runner, setup, calendar_server, monkeypatch):
    unit, manager = setup
    # The CLI runs "now"; keep the events inside its window whatever today is.
    from core.time import local_date, utcnow

    day = local_date(utcnow()) + timedelta(days=10)
    event = (f"UID:e@city\r\nSUMMARY:Bürgerversammlung\r\n"
             f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}")
    _Served.body, _Served.status = ics(event), 200
    result = imports.add_url_source(manager, unit, name="Stadt", url=calendar_server,
                                    now=utcnow())
    assert result.added == 1
    second_day = day + timedelta(days=2)
    _Served.body = ics(event, event.replace("UID:e@", "UID:f@").replace(
        f"{day:%Y%m%d}", f"{second_day:%Y%m%d}").replace(
        f"{day + timedelta(days=1):%Y%m%d}", f"{second_day + timedelta(days=1):%Y%m%d}"))
    outcome = runner.invoke(args=["calendars", "sync"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.strip().splitlines()[-1] == "1 synced, 0 failed"
    assert len(bookings_of(unit)) == 2

    _Served.status = 500
    outcome = runner.invoke(args=["calendars", "sync"])
    assert outcome.exit_code == 1, outcome.exception
    assert outcome.output.strip().splitlines()[-1] == "0 synced, 1 failed"
    db.session.expire_all()
    assert len(bookings_of(unit)) == 2  # the previous import stays
    assert db.session.scalars(db.select(CalendarSource)).one().last_error_message
    assert db.session.scalar(db.select(db.func.count()).select_from(ImportedEvent)) == 2


# --- refusals in the reader's language ----------------------------------------------------

def _message(app, error, language):
    from flask_babel import force_locale

    from core.messages import message_for

    with app.test_request_context(), force_locale(language):
        return message_for(error)


NO_START = ics("UID:s\r\nSUMMARY:Ohne Beginn\r\nDTEND:20270201T100000Z")
TWO_CALENDARS = ics(ALL_DAY) + ics(ALL_DAY)


@pytest.mark.parametrize("data, german, english", [
    (TWO_CALENDARS, "Dies ist keine gültige iCalendar-Datei (sie enthält nicht genau einen "
                    "Kalender). Es wurde nichts importiert.",
     "This is not a valid iCalendar file (it does not contain exactly one calendar). "
     "Nothing was imported."),
    (NO_START, "Dies ist keine gültige iCalendar-Datei (ein Termin hat keine Anfangszeit). "
               "Es wurde nichts importiert.",
     "This is not a valid iCalendar file (an event has no start time). Nothing was imported."),
])
def test_our_own_reasons_for_refusing_a_file_are_translated(app, setup, data, german,
                                                              english):
    unit, manager = setup
    with pytest.raises(ValidationError) as refused:
        imports.import_upload(manager, unit, name="Bad", now=NOW, data=data)
    assert refused.value.fields == {"calendar": "ical_invalid"}
    assert _message(app, refused.value, "de") == german
    assert _message(app, refused.value, "en") == english


def test_a_parser_error_follows_the_translated_sentence_as_a_technical_detail(app, setup):
    unit, manager = setup
    with pytest.raises(ValidationError) as refused:
        imports.import_upload(manager, unit, name="Bad", now=NOW, data=HOSTILE["bad syntax"])
    assert refused.value.fields == {"calendar": "ical_invalid"}
    german, english = (_message(app, refused.value, language) for language in ("de", "en"))
    assert german.startswith("Dies ist keine gültige iCalendar-Datei (die Datei ist nicht "
                             "lesbar). Es wurde nichts importiert. Technische Angabe: ")
    assert english.startswith("This is not a valid iCalendar file (the file cannot be read). "
                              "Nothing was imported. Technical detail: ")
    # The detail is the parser's own text, the same in both languages.
    assert german.split("Technische Angabe: ")[1] == english.split("Technical detail: ")[1] != ""


def test_the_upload_page_names_the_reason_in_german_and_in_english(client, auth, setup):
    unit, manager = setup
    auth.login(manager.email)

    def upload(query=""):
        response = client.post(f"/calendars/units/{unit.id}/sources{query}", data={
            "name": "Bad", "file": (io.BytesIO(NO_START), "bad.ics")},
            content_type="multipart/form-data")
        assert response.status_code == 422
        return response.get_data(as_text=True)

    german = upload()
    assert "ein Termin hat keine Anfangszeit" in german and "DTSTART" not in german
    assert "an event has no start time" in upload("?lang=en")


def test_a_calendar_that_cannot_be_loaded_says_why_in_the_readers_language(
        app, setup, calendar_server):
    unit, manager = setup
    _Served.body, _Served.status = b"", 404
    with pytest.raises(ValidationError) as refused:
        imports.add_url_source(manager, unit, name="Stadt", url=calendar_server, now=NOW)
    assert refused.value.fields == {"calendar": "ical_fetch_failed"}
    assert _message(app, refused.value, "de") == (
        f"Der Kalender unter {calendar_server} konnte nicht geladen werden (der Server war "
        "nicht erreichbar oder hat die Datei nicht herausgegeben). Technische Angabe: HTTP 404")
    assert _message(app, refused.value, "en") == (
        f"The calendar at {calendar_server} could not be loaded (the server could not be "
        "reached or did not hand out the file). Technical detail: HTTP 404")
