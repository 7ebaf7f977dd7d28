"""Free intervals: opening hours, closures, steps, lead time, horizon, minimum length."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from bookings.availability import free_intervals, search_availability
from core.errors import ValidationError
from extensions import db
from tests.bookings.conftest import NOW, berlin


def free(unit, start, end, now=NOW):
    return free_intervals([unit], start, end, now)[unit.id]


def test_an_empty_hourly_unit_is_free_during_opening_hours_only(make, site):
    desk = make.unit(site)
    # Tuesday 8-20, Saturday 10-16, Sunday closed.
    assert free(desk, berlin(2027, 3, 16), berlin(2027, 3, 17)) == [
        (berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 20))
    ]
    assert free(desk, berlin(2027, 3, 19, 12), berlin(2027, 3, 22)) == [
        (berlin(2027, 3, 19, 12), berlin(2027, 3, 19, 20)),
        (berlin(2027, 3, 20, 10), berlin(2027, 3, 20, 16)),
    ]


def test_bookings_split_the_free_time_and_only_blocking_ones_count(make, site):
    desk = make.unit(site)
    make.booking(desk, starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12))
    make.booking(desk, starts_at=berlin(2027, 3, 16, 14), ends_at=berlin(2027, 3, 16, 15),
                 status="requested")
    for status in ("cancelled", "rejected", "expired", "no_show"):
        make.booking(desk, starts_at=berlin(2027, 3, 16, 16), ends_at=berlin(2027, 3, 16, 18),
                     status=status)
    make.booking(desk, starts_at=berlin(2027, 3, 16, 18), ends_at=berlin(2027, 3, 16, 19),
                 status="held", hold_expires_at=NOW + timedelta(minutes=5))
    assert free(desk, berlin(2027, 3, 16), berlin(2027, 3, 17)) == [
        (berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 10)),
        (berlin(2027, 3, 16, 12), berlin(2027, 3, 16, 14)),
        (berlin(2027, 3, 16, 15), berlin(2027, 3, 16, 18)),
        (berlin(2027, 3, 16, 19), berlin(2027, 3, 16, 20)),
    ]
    # Five minutes later the hold has lapsed: free without any sweeper.
    assert free(desk, berlin(2027, 3, 16), berlin(2027, 3, 17), NOW + timedelta(minutes=5))[-1] == (
        berlin(2027, 3, 16, 15), berlin(2027, 3, 16, 20))


def test_gaps_shorter_than_the_minimum_length_are_not_offered(make, site):
    room = make.unit(site, "meeting_room", min_length=3)
    make.booking(room, starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12))
    make.booking(room, starts_at=berlin(2027, 3, 16, 14), ends_at=berlin(2027, 3, 16, 16))
    assert free(room, berlin(2027, 3, 16), berlin(2027, 3, 17)) == [
        (berlin(2027, 3, 16, 16), berlin(2027, 3, 16, 20))
    ]


def test_lead_time_and_horizon_cut_the_window(make, site):
    desk = make.unit(site, lead_time_minutes=90, horizon_days=2)
    now = berlin(2027, 3, 16, 9, 10)
    # 9:10 + 90 min = 10:40, rounded up to 11:00; horizon 2 days ends Thursday 9:00.
    assert free(desk, berlin(2027, 3, 16), berlin(2027, 3, 20), now) == [
        (berlin(2027, 3, 16, 11), berlin(2027, 3, 16, 20)),
        (berlin(2027, 3, 17, 8), berlin(2027, 3, 17, 20)),
        (berlin(2027, 3, 18, 8), berlin(2027, 3, 18, 9)),
    ]


def test_the_window_is_rounded_inwards_to_whole_steps(make, site):
    desk = make.unit(site)
    assert free(desk, berlin(2027, 3, 16, 9, 30), berlin(2027, 3, 16, 12, 45)) == [
        (berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 12))
    ]


def test_closures_remove_whole_days_for_hourly_units_only(make, site):
    make.closure(site, date(2027, 3, 16))
    desk = make.unit(site)
    shelf = make.unit(site, "popup_shelf", granularity="day")
    window = (berlin(2027, 3, 15), berlin(2027, 3, 18))
    assert free(desk, *window) == [
        (berlin(2027, 3, 15, 8), berlin(2027, 3, 15, 20)),
        (berlin(2027, 3, 17, 8), berlin(2027, 3, 17, 20)),
    ]
    assert free(shelf, *window) == [window]


def test_day_week_and_month_units_are_free_in_whole_local_steps(make, site):
    shelf = make.unit(site, "popup_shelf", granularity="day")
    make.booking(shelf, starts_at=berlin(2027, 3, 17), ends_at=berlin(2027, 3, 19))
    assert free(shelf, berlin(2027, 3, 15, 12), berlin(2027, 3, 22)) == [
        (berlin(2027, 3, 16), berlin(2027, 3, 17)),
        (berlin(2027, 3, 19), berlin(2027, 3, 22)),
    ]
    window = make.unit(site, "shop_window", granularity="week")
    # Wednesday to a Sunday three weeks on: Mondays 22 March to 5 April.
    assert free(window, berlin(2027, 3, 17), berlin(2027, 4, 11)) == [
        (berlin(2027, 3, 22), berlin(2027, 4, 5))
    ]
    corner = make.unit(site, "cafe_corner", granularity="month")
    assert free(corner, berlin(2027, 3, 20), berlin(2027, 5, 20)) == [
        (berlin(2027, 4, 1), berlin(2027, 5, 1))
    ]


def test_bookings_of_all_units_are_read_in_one_query(app, make, site):
    units = [make.unit(site) for _ in range(6)]
    for unit in units:
        make.booking(unit)
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    units = [db.session.get(type(units[0]), unit.id) for unit in units]
    _ = [unit.site.opening_hours for unit in units]
    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        result = free_intervals(units, berlin(2027, 3, 15), berlin(2027, 3, 22), NOW)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert len([s for s in statements if re.search(r"\b(FROM|JOIN) bookings\b", s)]) == 1
    assert all(len(result[unit.id]) == 7 for unit in units)  # Mon, Tue split in two, Wed-Sat




# --- search_availability ------------------------------------------------------------------

def test_search_lists_active_units_of_a_kind_in_order_even_when_full(make, site):
    late = make.unit(site, "desk", position=2)
    early = make.unit(site, "desk", position=1)
    make.unit(site, "desk", position=0, active=False)
    make.unit(site, "meeting_room", position=0)
    make.booking(early, starts_at=berlin(2027, 3, 16, 8), ends_at=berlin(2027, 3, 16, 20))
    result = search_availability(now=NOW, start=berlin(2027, 3, 16), end=berlin(2027, 3, 17),
                                 site=site, kind="desk")
    assert [(unit.id, free) for unit, free in result] == [
        (early.id, []),
        (late.id, [(berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 20))]),
    ]
    everything = search_availability(now=NOW, start=berlin(2027, 3, 16),
                                      end=berlin(2027, 3, 17), site=site)
    assert len(everything) == 3
    single = search_availability(now=NOW, start=berlin(2027, 3, 16), end=berlin(2027, 3, 17),
                                 unit=late)
    assert [unit.id for unit, _ in single] == [late.id]


@pytest.mark.parametrize("start, end, kind, field, key", [
    ((2027, 3, 17), (2027, 3, 16), None, "end", "end_before_start"),
    ((2027, 3, 1), (2027, 4, 2), None, "end", "window_too_long"),
    ((2027, 3, 16), (2027, 3, 17), "spaceship", "kind", "unknown_kind"),
])
def test_search_rejects_bad_windows_and_kinds(site, start, end, kind, field, key):
    with pytest.raises(ValidationError) as caught:
        search_availability(now=NOW, start=berlin(*start), end=berlin(*end), site=site, kind=kind)
    assert caught.value.message_key == key
    assert field in caught.value.fields


def test_a_window_of_exactly_31_days_is_fine(site):
    search_availability(now=NOW, start=berlin(2027, 3, 1), end=berlin(2027, 4, 1), site=site)
