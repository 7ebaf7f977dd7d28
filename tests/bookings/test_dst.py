"""Daylight saving in Berlin: 2027-03-28 has 23 hours, 2027-10-31 has 25."""
from datetime import date, time, timedelta

import pytest

from bookings.availability import free_intervals
from bookings.services import create_booking, create_series
from core.errors import BookingConflict, ValidationError
from core.time import format_instant, parse_instant
from tests.bookings.conftest import NOW, berlin


def book(actor, unit, start, end, now=NOW):
    return create_booking(actor, unit=unit, starts_at=start, ends_at=end, now=now,
                          terms_accepted=True)


@pytest.mark.parametrize("day, hours", [((2027, 3, 28), 23), ((2027, 10, 31), 25),
                                        ((2027, 3, 27), 24)])
def test_a_day_booking_lasts_the_local_day(make, member, site, day, hours):
    shelf = make.unit(site, "popup_shelf", granularity="day")
    booking = book(member, shelf, berlin(*day), next_midnight(day))
    assert booking.ends_at - booking.starts_at == timedelta(hours=hours)


def next_midnight(day):
    following = date(*day) + timedelta(days=1)
    return berlin(following.year, following.month, following.day)


def test_a_week_from_monday_2027_10_25_lasts_169_hours(make, member, site):
    window = make.unit(site, "shop_window", granularity="week")
    booking = book(member, window, berlin(2027, 10, 25), berlin(2027, 11, 1))
    assert booking.ends_at - booking.starts_at == timedelta(hours=169)
    # The next Monday is a week step on: booking it back to back works.
    assert book(member, window, berlin(2027, 11, 1), berlin(2027, 11, 8)).status == "confirmed"


def test_day_availability_counts_whole_local_days_across_the_change(make, site):
    shelf = make.unit(site, "popup_shelf", granularity="day")
    assert free_intervals([shelf], berlin(2027, 3, 27), berlin(2027, 3, 30), NOW)[shelf.id] == [
        (berlin(2027, 3, 27), berlin(2027, 3, 30))
    ]
    # A window edge in the middle of the short day rounds to its midnights.
    start = berlin(2027, 3, 28, 12)
    assert free_intervals([shelf], start, berlin(2027, 3, 30), NOW)[shelf.id] == [
        (berlin(2027, 3, 29), berlin(2027, 3, 30))
    ]


@pytest.mark.parametrize("day, labels", [
    ((2027, 3, 28), ["00:00:00+01:00", "01:00:00+01:00", "03:00:00+02:00", "04:00:00+02:00",
                     "05:00:00+02:00"]),
    ((2027, 10, 31), ["00:00:00+02:00", "01:00:00+02:00", "02:00:00+02:00", "02:00:00+01:00",
                      "03:00:00+01:00", "04:00:00+01:00", "05:00:00+01:00"]),
])
def test_hourly_slots_neither_vanish_nor_repeat(make, member, day, labels):
    night = make.site(hours={6: (time(0), time(6))})  # open Sunday 0:00-6:00 only
    desk = make.unit(night, max_length=24)
    opens, closes = berlin(*day, 0), berlin(*day, 6)
    assert free_intervals([desk], berlin(*day), next_midnight(day), NOW)[desk.id] == [
        (opens, closes)
    ]
    assert closes - opens == timedelta(hours=len(labels))
    starts = []
    slot = opens
    while slot < closes:
        starts.append(book(member, desk, slot, slot + timedelta(hours=1)).starts_at)
        slot += timedelta(hours=1)
    assert [format_instant(start)[11:] for start in starts] == labels
    assert free_intervals([desk], opens, closes, NOW)[desk.id] == []
    with pytest.raises(BookingConflict):
        book(make.user(), desk, opens, closes)


def test_the_whole_night_can_be_one_booking(make, member):
    night = make.site(hours={6: (time(0), time(6))})
    desk = make.unit(night, max_length=7)
    booking = book(member, desk, berlin(2027, 10, 31, 0), berlin(2027, 10, 31, 6))
    assert booking.ends_at - booking.starts_at == timedelta(hours=7)


def test_nonexistent_and_ambiguous_local_times_are_rejected():
    with pytest.raises(ValidationError) as caught:
        parse_instant("2027-03-28T02:30:00", "start")
    assert list(caught.value.fields) == ["start"]
    with pytest.raises(ValidationError) as caught:
        parse_instant("2027-10-31T02:30:00", "end")
    assert caught.value.fields == {"end": "ambiguous_local_time"}
    # With an offset both halves of the repeated hour are clear.
    first = parse_instant("2027-10-31T02:30:00+02:00")
    second = parse_instant("2027-10-31T02:30:00+01:00")
    assert second - first == timedelta(hours=1)
    # Just around the gap, local times exist.
    assert parse_instant("2027-03-28T03:00:00") - parse_instant("2027-03-28T01:59:00") == (
        timedelta(minutes=1))


def test_a_time_in_the_spring_gap_is_called_nonexistent():
    with pytest.raises(ValidationError) as caught:
        parse_instant("2027-03-28T02:30:00", "start")
    assert caught.value.message_key == "nonexistent_local_time"
    assert caught.value.fields == {"start": "nonexistent_local_time"}


@pytest.mark.parametrize("first, utc_hours", [
    ((2027, 3, 16), [8, 8, 7, 7]),    # CET, CET, CEST, CEST
    ((2027, 10, 19), [7, 7, 8, 8]),   # CEST, CEST, CET, CET
])
def test_a_weekly_series_stays_at_nine_berlin_time(make, member, site, first, utc_hours):
    desk = make.unit(site)
    result = create_series(member, unit=desk, starts_at=berlin(*first, 9),
                           ends_at=berlin(*first, 17), now=NOW, terms_accepted=True,
                           recurrence={"freq": "weekly", "byday": ["TU"], "count": 4})
    assert [format_instant(b.starts_at)[11:16] for b in result.bookings] == ["09:00"] * 4
    assert [format_instant(b.ends_at)[11:16] for b in result.bookings] == ["17:00"] * 4
    assert [b.starts_at.hour for b in result.bookings] == utc_hours
    assert [b.starts_at.date() - result.bookings[0].starts_at.date()
            for b in result.bookings] == [timedelta(weeks=n) for n in range(4)]
