"""Feeds read back by a calendar library equal the bookings in the database."""
from datetime import date, datetime, timedelta

import icalendar
from bookings.models import Booking, BookingSeries
from bookings.series import create_series
from bookings.services import cancel_booking
from calendars import feeds
from core.time import BERLIN, UTC
from extensions import db
from tests.calendars.conftest import (add_booking, berlin, expected, raw_events, read_feed,
                                      without_summary)

NOW = berlin(2027, 1, 11, 9)  # feeds are built "as of" this instant


def build(app, feed_factory, *args, now=NOW):
    with app.test_request_context():
        return feeds.build_feed(feed_factory(*args), now)


def test_single_bookings_of_every_status_appear_as_they_are_stored(app, make):
    unit = make.unit()
    booker = make.user()
    confirmed = add_booking(unit, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 11), user=booker)
    requested = add_booking(unit, berlin(2027, 2, 2, 9), berlin(2027, 2, 2, 10), user=booker,
                            status="requested")
    held = add_booking(unit, berlin(2027, 2, 3, 9), berlin(2027, 2, 3, 10), user=booker,
                       status="held", hold_expires_at=NOW + timedelta(minutes=10))
    lapsed = add_booking(unit, berlin(2027, 2, 4, 9), berlin(2027, 2, 4, 10), user=booker,
                         status="held", hold_expires_at=NOW - timedelta(minutes=1))
    cancelled = add_booking(unit, berlin(2027, 2, 5, 9), berlin(2027, 2, 5, 10), user=booker,
                            status="cancelled", cancelled_at=NOW - timedelta(days=2),
                            updated_at=NOW - timedelta(days=2), sequence=2)
    add_booking(unit, berlin(2027, 2, 8, 9), berlin(2027, 2, 8, 10), user=booker,
                status="cancelled", cancelled_at=NOW - timedelta(days=31),
                updated_at=NOW - timedelta(days=31))  # long gone: dropped
    add_booking(unit, berlin(2026, 9, 1, 9), berlin(2026, 9, 1, 10), user=booker)  # too old
    add_booking(unit, berlin(2028, 9, 1, 9), berlin(2028, 9, 1, 10), user=booker)  # too far

    for factory, target in ((feeds.unit_feed, unit), (feeds.user_feed, booker)):
        args = (target, "de") if factory is feeds.unit_feed else (target,)
        events = read_feed(build(app, factory, *args))
        want = expected([confirmed, requested, held, cancelled])
        want[f"booking-{lapsed.id}@localhost"] = (lapsed.starts_at, lapsed.ends_at,
                                                  "CANCELLED", 0)
        assert without_summary(events) == want


def test_series_with_a_cancelled_occurrence(app, make):
    site = make.site()
    unit = make.unit(site)
    booker = make.user()
    created_at = datetime(2027, 1, 4, 8, tzinfo=UTC)
    result = create_series(
        booker, unit=unit, starts_at=berlin(2027, 1, 12, 9), ends_at=berlin(2027, 1, 12, 12),
        recurrence={"freq": "weekly", "byday": ["TU", "TH"], "count": 8}, now=created_at,
        terms_accepted=True,
    )
    series_id = result.series.id
    occurrences = db.session.scalars(
        db.select(Booking).where(Booking.series_id == series_id).order_by(Booking.starts_at)
    ).all()
    assert len(occurrences) == 8
    cancel_booking(booker, occurrences[3], now=created_at + timedelta(hours=1))

    events = read_feed(build(app, feeds.user_feed, booker))
    assert without_summary(events) == expected(occurrences)
    statuses = [events[f"booking-{b.id}@localhost"][2] for b in occurrences]
    assert statuses == ["CONFIRMED"] * 3 + ["CANCELLED"] + ["CONFIRMED"] * 4
    assert events[f"booking-{occurrences[3].id}@localhost"][3] >= 1  # SEQUENCE rose
    # One VEVENT per occurrence: nothing for a client to expand or to get wrong.
    assert all("RRULE" not in event for event in raw_events(build(app, feeds.unit_feed, unit, "de")))
    assert db.session.get(BookingSeries, series_id) is not None


def test_bookings_across_both_daylight_saving_changes_of_2027(app, make):
    site = make.site()
    hourly = make.unit(site)
    daily = make.unit(site, "popup_shelf", granularity="day")
    night_spring = add_booking(hourly, berlin(2027, 3, 28, 0), berlin(2027, 3, 28, 4))
    after_spring = add_booking(hourly, berlin(2027, 3, 29, 9), berlin(2027, 3, 29, 10))
    # 01:30 to 04:00 on 31 October: 01:30 CEST (fold 0) is 23:30 UTC the day before.
    night_autumn = add_booking(hourly, datetime(2027, 10, 30, 23, 30, tzinfo=UTC),
                               berlin(2027, 10, 31, 4))
    # 02:00-02:45 in the repeated hour (CET, the second pass), on another unit.
    second_two = add_booking(make.unit(site), datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
                             datetime(2027, 10, 31, 1, 45, tzinfo=UTC))
    days_spring = add_booking(daily, berlin(2027, 3, 27), berlin(2027, 3, 30))
    days_autumn = add_booking(daily, berlin(2027, 10, 30), berlin(2027, 11, 2))
    all_bookings = [night_spring, after_spring, night_autumn, second_two, days_spring,
                    days_autumn]
    now = berlin(2027, 3, 1, 12)

    body = build(app, feeds.site_feed, site, "en", now=now)
    events = read_feed(body)
    assert without_summary(events) == expected(all_bookings)
    assert events[f"booking-{night_spring.id}@localhost"][1] - \
        events[f"booking-{night_spring.id}@localhost"][0] == timedelta(hours=3)
    assert events[f"booking-{night_autumn.id}@localhost"][1] - \
        events[f"booking-{night_autumn.id}@localhost"][0] == timedelta(hours=3, minutes=30)

    # The VTIMEZONE itself (what Outlook uses) has both changes right.
    calendar = icalendar.Calendar.from_ical(body)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Berlin"
    tz = vtimezone.to_tz()
    assert datetime(2027, 3, 28, 1, 59, tzinfo=tz).utcoffset() == timedelta(hours=1)
    assert datetime(2027, 3, 28, 3, 0, tzinfo=tz).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 10, 31, 1, 59, tzinfo=tz).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 10, 31, 3, 0, tzinfo=tz).utcoffset() == timedelta(hours=1)
    # Whole-day bookings are all-day events; hourly ones carry TZID=Europe/Berlin.
    by_uid = {str(event["UID"]): event for event in raw_events(body)}
    assert by_uid[f"booking-{days_spring.id}@localhost"]["DTSTART"].dt == date(2027, 3, 27)
    assert by_uid[f"booking-{days_spring.id}@localhost"]["DTEND"].dt == date(2027, 3, 30)
    start = by_uid[f"booking-{night_spring.id}@localhost"]["DTSTART"]
    assert start.params["TZID"] == "Europe/Berlin"
    assert b"DTSTART;TZID=Europe/Berlin:20270328T000000" in body
    assert b"DTEND;TZID=Europe/Berlin:20270328T040000" in body


def test_every_event_has_the_required_properties(app, make):
    unit = make.unit()
    booker = make.user()
    booking = add_booking(unit, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 11), user=booker,
                          sequence=3)
    (event,) = raw_events(build(app, feeds.user_feed, booker))
    for name in ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY",
                 "LOCATION", "DESCRIPTION", "STATUS"):
        assert name in event, name
    assert str(event["UID"]) == f"booking-{booking.id}@localhost"
    assert int(event["SEQUENCE"]) == 3
    assert "Teststraße 1, 44787 Bochum" in str(event["LOCATION"])
    assert f"http://localhost/bookings/{booking.id}" in str(event["DESCRIPTION"])


def test_site_feed_shows_closures_and_every_unit_and_unit_feed_only_its_own(app, make):
    site = make.site()
    desk, room = make.unit(site, name="Desk A"), make.unit(site, "meeting_room", name="Room B")
    closure = make.closure(site, date(2027, 5, 13), date(2027, 5, 14), reason="Brückentag")
    on_desk = add_booking(desk, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10))
    on_room = add_booking(room, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10))
    other_site = add_booking(make.unit(), berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10))

    site_events = read_feed(build(app, feeds.site_feed, site, "en"))
    closure_event = site_events.pop(f"closure-{closure.id}@localhost")
    assert closure_event[:2] == (berlin(2027, 5, 13), berlin(2027, 5, 15))
    assert "Brückentag" in closure_event[4]
    assert without_summary(site_events) == expected([on_desk, on_room])
    assert {event[4] for event in site_events.values()} == {"Booked: Desk A", "Booked: Room B"}

    unit_events = read_feed(build(app, feeds.unit_feed, desk, "en"))
    assert without_summary(unit_events) == expected([on_desk])
    assert f"booking-{other_site.id}@localhost" not in unit_events


def test_manager_feed_has_names_and_marks_requests_tentative(app, make):
    site = make.site()
    unit = make.unit(site, name="Event space")
    booker = make.user(name="Erika Mustermann")
    confirmed = add_booking(unit, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10), user=booker)
    requested = add_booking(unit, berlin(2027, 2, 2, 9), berlin(2027, 2, 2, 10), user=booker,
                            status="requested", purpose="Workshop")
    events = read_feed(build(app, feeds.manager_feed, site, "en"))
    assert without_summary(events) == expected([confirmed, requested])
    assert events[f"booking-{requested.id}@localhost"][2] == "TENTATIVE"
    assert events[f"booking-{confirmed.id}@localhost"][4] == "Event space: Erika Mustermann"


def test_organisation_feed_holds_the_organisations_bookings_only(app, make):
    organisation = make.organisation()
    unit = make.unit()
    member = make.user(organisation=organisation)
    billed = add_booking(unit, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10), user=member,
                         organisation=organisation)
    add_booking(unit, berlin(2027, 2, 2, 9), berlin(2027, 2, 2, 10), user=member)  # private
    events = read_feed(build(app, feeds.organisation_feed, organisation, "de"))
    assert without_summary(events) == expected([billed])


def test_feed_language_follows_the_feed(app, make):
    unit = make.unit()
    add_booking(unit, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 10))
    (english,) = read_feed(build(app, feeds.unit_feed, unit, "en")).values()
    assert english[4] == "Booked"


def _whole_calendar(calendar, components):
    """The library's own way: every event added, then the calendar serialised at once."""
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


def test_feeds_serialised_event_by_event_are_byte_for_byte_the_librarys_output(
        app, make, monkeypatch):
    from calendars import render

    site = make.site()
    desk, room = make.unit(site, name="Desk A"), make.unit(site, "meeting_room", name="Raum B")
    booker = make.user(name="Jürgen Ößwald-Müller")
    make.closure(site, date(2027, 5, 13), date(2027, 5, 14), reason="Brückentag; Umbau, Teil 2")
    long_purpose = "Gründungsworkshop „Innenstadt beleben“, Teil 1; " * 6 + "\nZweite Zeile"
    add_booking(desk, berlin(2027, 2, 1, 9), berlin(2027, 2, 1, 11), user=booker,
                purpose=long_purpose, sequence=2)
    add_booking(room, berlin(2027, 3, 28, 1), berlin(2027, 3, 28, 4), user=booker,
                status="requested")
    second_pass = datetime(2027, 10, 31, 2, 30, tzinfo=BERLIN, fold=1).astimezone(UTC)
    add_booking(room, second_pass, berlin(2027, 10, 31, 4), user=booker)  # written in UTC

    factories = [(feeds.manager_feed, site, "de"), (feeds.site_feed, site, "en"),
                 (feeds.unit_feed, desk, "de"), (feeds.user_feed, booker)]
    streamed = [build(app, *factory) for factory in factories]
    monkeypatch.setattr(render, "serialise", _whole_calendar)
    assert streamed == [build(app, *factory) for factory in factories]
    assert len(raw_events(streamed[0])) == 4  # three bookings and the closure
