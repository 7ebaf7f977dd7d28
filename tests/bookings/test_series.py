"""Recurring series: all or nothing, the free ones, closed days, "any desk", cancelling."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from bookings.models import Booking
from bookings.services import cancel_series, create_series, get_series
from core.errors import BookingConflict, NotAllowed, NotFound, ValidationError
from core.models import AuditEntry
from extensions import db
from tests.bookings.conftest import NOW, berlin

TUESDAYS = [(2027, 3, 16), (2027, 3, 23), (2027, 3, 30), (2027, 4, 6)]


def slot(day, start=9, end=17):
    return berlin(*day, start), berlin(*day, end)


def series(actor, unit=None, count=4, first=TUESDAYS[0], **kwargs):
    kwargs.setdefault("terms_accepted", True)
    return create_series(actor, unit=unit, starts_at=slot(first)[0], ends_at=slot(first)[1],
                         now=NOW, recurrence={"freq": "weekly", "byday": ["TU"], "count": count},
                         **kwargs)


def stored_bookings():
    return db.session.scalars(sa.select(Booking).order_by(Booking.starts_at)).all()


def test_a_free_series_books_every_occurrence(member, desk):
    result = series(member, desk)
    assert [(b.starts_at, b.ends_at) for b in result.bookings] == [slot(d) for d in TUESDAYS]
    assert result.skipped == []
    assert {b.series_id for b in result.bookings} == {result.series.id}
    assert {b.status for b in result.bookings} == {"confirmed"}
    stored = get_series(result.series.id)
    assert stored.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=4"
    assert [b.id for b in stored.bookings] == [b.id for b in result.bookings]
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert sorted(actions) == ["booking.created"] * 4 + ["series.created"]


def test_all_or_nothing_reports_every_clashing_occurrence_and_writes_nothing(
    make, member, desk, counts
):
    make.booking(desk, starts_at=berlin(2027, 3, 23, 12), ends_at=berlin(2027, 3, 23, 13))
    make.booking(desk, starts_at=berlin(2027, 3, 30, 16), ends_at=berlin(2027, 3, 30, 18))
    before = counts()
    with pytest.raises(BookingConflict) as caught:
        series(member, desk)
    assert caught.value.conflicts == [slot(TUESDAYS[1]), slot(TUESDAYS[2])]
    assert counts() == before


def test_partial_books_the_free_ones_and_reports_the_others(make, member, desk):
    make.booking(desk, starts_at=berlin(2027, 3, 23, 12), ends_at=berlin(2027, 3, 23, 13))
    result = series(member, desk, partial=True)
    assert [(b.starts_at, b.ends_at) for b in result.bookings] == [
        slot(TUESDAYS[0]), slot(TUESDAYS[2]), slot(TUESDAYS[3])
    ]
    assert result.skipped == [slot(TUESDAYS[1])]
    assert len(stored_bookings()) == 4


def test_partial_with_nothing_free_is_a_conflict(make, member, desk, counts):
    for day in TUESDAYS[:2]:
        make.booking(desk, starts_at=berlin(*day, 8), ends_at=berlin(*day, 20))
    before = counts()
    with pytest.raises(BookingConflict) as caught:
        series(member, desk, count=2, partial=True)
    assert len(caught.value.conflicts) == 2
    assert counts() == before


def test_closed_days_clash_for_hourly_units_but_not_for_day_units(make, member, site, desk):
    make.closure(site, date(2027, 3, 30))
    with pytest.raises(BookingConflict) as caught:
        series(member, desk)
    assert caught.value.conflicts == [slot(TUESDAYS[2])]
    result = series(member, desk, partial=True)
    assert result.skipped == [slot(TUESDAYS[2])]
    shelf = make.unit(site, "popup_shelf", granularity="day")
    days = create_series(member, unit=shelf, starts_at=berlin(2027, 3, 16),
                         ends_at=berlin(2027, 3, 17), now=NOW, terms_accepted=True,
                         recurrence={"freq": "weekly", "byday": ["TU"], "until": "2027-04-06"})
    assert len(days.bookings) == 4
    assert days.skipped == []


def test_any_desk_prefers_one_desk_free_for_every_occurrence(make, member, site):
    first = make.unit(site, "desk", position=1)
    second = make.unit(site, "desk", position=2)
    make.unit(site, "desk", position=3)
    make.booking(first, starts_at=berlin(2027, 3, 23, 9), ends_at=berlin(2027, 3, 23, 10))
    result = series(member, site=site, kind="desk")
    assert {b.unit_id for b in result.bookings} == {second.id}
    assert result.series.unit_id == second.id


def test_any_desk_assigns_per_occurrence_when_no_desk_is_free_for_all(make, member, site):
    first = make.unit(site, "desk", position=1)
    second = make.unit(site, "desk", position=2)
    make.booking(first, starts_at=berlin(2027, 3, 23, 9), ends_at=berlin(2027, 3, 23, 10))
    make.booking(second, starts_at=berlin(2027, 3, 16, 9), ends_at=berlin(2027, 3, 16, 10))
    result = series(member, count=3, site=site, kind="desk")
    assert [b.unit_id for b in result.bookings] == [first.id, second.id, first.id]


def test_every_occurrence_must_pass_the_rules(make, member, site, counts):
    near = make.unit(site, horizon_days=20)
    before = counts()
    with pytest.raises(ValidationError) as caught:
        series(member, near)
    assert caught.value.fields == {"end": "too_far_ahead"}
    assert caught.value.params["occurrence"] == "2027-03-23T09:00:00+01:00"
    with pytest.raises(ValidationError) as caught:
        series(member, near, count=1, terms_accepted=False)
    assert caught.value.fields == {"terms_accepted": "required"}
    with pytest.raises(ValidationError):
        series(member, near, count=500)
    assert counts() == before


def test_cancel_the_rest_of_a_series(make, member, desk):
    result = series(member, desk)
    with pytest.raises(NotAllowed):
        cancel_series(make.user(), result.series, now=NOW)
    cancelled = cancel_series(member, result.series, now=NOW, from_starts_at=slot(TUESDAYS[2])[0])
    assert [b.starts_at for b in cancelled] == [slot(d)[0] for d in TUESDAYS[2:]]
    assert [b.status for b in stored_bookings()] == ["confirmed", "confirmed", "cancelled",
                                                    "cancelled"]
    # By default from now on: after the first occurrence began, the booker can still
    # cancel the future ones.
    later = slot(TUESDAYS[0])[0] + timedelta(hours=1)
    assert [b.starts_at for b in cancel_series(member, result.series, now=later)] == [
        slot(TUESDAYS[1])[0]
    ]
    assert [b.status for b in stored_bookings()] == ["confirmed", "cancelled", "cancelled",
                                                    "cancelled"]


def test_unknown_series(member):
    with pytest.raises(NotFound):
        get_series(12345)
