"""Helpers of the calendar tests: bookings as rows, and feeds read back with the icalendar
library and recurring-ical-events (the way calendar clients read them)."""
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from bookings.models import Booking
from core.time import BERLIN, UTC, local_midnight
from extensions import db


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    from calendars.feeds import FeedCache

    from calendars import feed_cache

    app.extensions["calendars.feed_cache"] = FeedCache()
    feed_cache.clear()
    yield


def berlin(*parts):
    """A Berlin wall-clock time as an aware UTC instant."""
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def add_booking(unit, starts_at, ends_at, *, status="confirmed", user=None, organisation=None,
                purpose="", series=None, updated_at=None, cancelled_at=None,
                hold_expires_at=None, sequence=0):
    now = updated_at or datetime.now(UTC)
    booking = Booking(
        unit_id=unit.id, starts_at=starts_at, ends_at=ends_at, status=status,
        booked_by_id=user.id if user else None,
        billed_organisation_id=organisation.id if organisation else None,
        series_id=series.id if series else None, purpose=purpose, terms_version="2026-11",
        created_at=now, updated_at=now, cancelled_at=cancelled_at,
        hold_expires_at=hold_expires_at, sequence=sequence,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def _instant(value):
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "feeds must not contain floating times"
        return value.astimezone(UTC)
    assert isinstance(value, date)
    return local_midnight(value)


def read_feed(body, start=date(2020, 1, 1), end=date(2035, 1, 1)):
    """{uid: (start, end, status, sequence, summary)} of the expanded events of a feed."""
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = {}
    for event in recurring_ical_events.of(calendar).between(start, end):
        uid = str(event["UID"])
        assert uid not in events, f"{uid} occurs twice"
        events[uid] = (
            _instant(event["DTSTART"].dt), _instant(event["DTEND"].dt), str(event["STATUS"]),
            int(event.get("SEQUENCE", 0)), str(event["SUMMARY"]),
        )
    return events


def raw_events(body):
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


def expected(bookings, status_of=None, domain="localhost"):
    """What a feed must contain for ``bookings``: {uid: (start, end, status, sequence)}."""
    status_map = {"confirmed": "CONFIRMED", "requested": "TENTATIVE", "held": "TENTATIVE"}
    result = {}
    for booking in bookings:
        fresh = db.session.get(Booking, booking.id)
        status = status_map.get(fresh.status, "CANCELLED")
        result[f"booking-{fresh.id}@{domain}"] = (fresh.starts_at, fresh.ends_at, status,
                                                  fresh.sequence)
    return result


def without_summary(events):
    return {uid: value[:4] for uid, value in events.items()}


__all__ = ["berlin", "add_booking", "read_feed", "raw_events", "expected", "without_summary",
           "timedelta"]
