"""Occupancy: booked hours inside opening hours / open hours, worked out by hand."""
import pytest

from reports.occupancy import occupancy_report
from reports.periods import build_period
from tests.reports.helpers import EVERY_DAY_8_20, TEN_HOURS, day, local, midnight


def kind_share(report, kind):
    return next(row["share"] for row in report["by_kind"] if row["kind"] == kind)


def unit_share(report, unit):
    return next(row["share"] for row in report["by_unit"] if row["unit_id"] == unit.id)


def test_unit_open_ten_hours_booked_four_is_forty_percent(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    tuesday = day("2027-03-16")
    make.booking(desk, starts_at=local(tuesday, 9), ends_at=local(tuesday, 13))

    report = occupancy_report(build_period([site], tuesday, tuesday))

    share = unit_share(report, desk)
    assert share.booked_hours == 4 and share.open_hours == 10
    assert share.ratio == pytest.approx(0.4)


def test_week_counts_only_open_days_and_leaves_out_other_statuses(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    tuesday = day("2027-03-16")
    make.booking(desk, starts_at=local(tuesday, 9), ends_at=local(tuesday, 13))
    # None of these occupy: cancelled, awaiting approval, awaiting payment, no-show.
    for status, hour in (("cancelled", 13), ("requested", 14), ("held", 15), ("no_show", 16)):
        make.booking(desk, starts_at=local(tuesday, hour), ends_at=local(tuesday, hour + 1),
                     status=status)
    # A booking of the next week is outside the period.
    make.booking(desk, starts_at=local(day("2027-03-22"), 9), ends_at=local(day("2027-03-22"), 17))

    report = occupancy_report(build_period([site], day("2027-03-15"), day("2027-03-21")))

    # Mon-Fri open 10 h = 50 h; booked 4 h -> 8 %.
    share = unit_share(report, desk)
    assert (share.booked_hours, share.open_hours) == (4, 50)
    assert share.ratio == pytest.approx(4 / 50)
    assert report["total"].ratio == pytest.approx(4 / 50)


def test_booking_partly_outside_opening_hours_is_clipped(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    tuesday = day("2027-03-16")
    # 06:00-10:00 local: only 08:00-10:00 is inside opening hours.
    make.booking(desk, starts_at=local(tuesday, 6), ends_at=local(tuesday, 10))

    report = occupancy_report(build_period([site], tuesday, tuesday))

    assert unit_share(report, desk).booked_hours == 2


def test_dst_week_day_booking_is_clipped_to_opening_hours(make):
    """Week 2027-03-22..28: the clocks go forward on Sunday 28th (a 23-hour day)."""
    site = make.site(hours=EVERY_DAY_8_20)
    shelf = make.unit(site, "popup_shelf", granularity="day")
    window = make.unit(site, "shop_window", granularity="week")
    desk = make.unit(site, "desk")
    sunday = day("2027-03-28")
    make.booking(shelf, starts_at=midnight(sunday), ends_at=midnight(day("2027-03-29")))
    make.booking(window, starts_at=midnight(day("2027-03-22")), ends_at=midnight(day("2027-03-29")))
    make.booking(desk, starts_at=local(sunday, 8), ends_at=local(sunday, 20))

    sunday_only = occupancy_report(build_period([site], sunday, sunday))
    # Open 8-20 = 12 h on the DST day; the 23-hour day booking counts 12 h, not 23.
    for unit in (shelf, window, desk):
        share = unit_share(sunday_only, unit)
        assert (share.booked_hours, share.open_hours) == (12, 12)
        assert share.ratio == pytest.approx(1.0)

    week = occupancy_report(build_period([site], day("2027-03-22"), sunday))
    # 7 days x 12 h = 84 h open; the week booking fills it exactly, never above 100 %.
    assert unit_share(week, window).ratio == pytest.approx(1.0)
    assert unit_share(week, shelf).ratio == pytest.approx(12 / 84)
    assert unit_share(week, desk).ratio == pytest.approx(12 / 84)
    assert all(row["share"].ratio <= 1.0 for row in week["by_unit"])


def test_autumn_dst_day_is_counted_in_local_hours(make):
    """2027-10-31 has 25 hours; the site opens 8-20 local: 12 open hours."""
    site = make.site(hours=EVERY_DAY_8_20)
    shelf = make.unit(site, "popup_shelf", granularity="day")
    sunday = day("2027-10-31")
    make.booking(shelf, starts_at=midnight(sunday), ends_at=midnight(day("2027-11-01")))

    report = occupancy_report(build_period([site], day("2027-10-25"), sunday))

    share = unit_share(report, shelf)
    assert (share.booked_hours, share.open_hours) == (12, 84)


def test_closure_day_drops_out_of_the_denominator(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    shelf = make.unit(site, "popup_shelf", granularity="day")
    wednesday = day("2027-03-17")
    make.closure(site, wednesday)
    make.booking(desk, starts_at=local(day("2027-03-16"), 8), ends_at=local(day("2027-03-16"), 12))
    # A shelf let for Tuesday to Thursday: its goods stay over the closed Wednesday, which
    # counts in neither the booked nor the open hours.
    make.booking(shelf, starts_at=midnight(day("2027-03-16")), ends_at=midnight(day("2027-03-19")))

    report = occupancy_report(build_period([site], day("2027-03-15"), day("2027-03-21")))

    # Open: Mon, Tue, Thu, Fri x 10 h = 40 h.
    assert unit_share(report, desk).open_hours == 40
    assert unit_share(report, desk).ratio == pytest.approx(4 / 40)
    assert unit_share(report, shelf).booked_hours == 20
    assert unit_share(report, shelf).ratio == pytest.approx(20 / 40)
    # Per kind and overall: (4 + 20) / (40 + 40).
    assert kind_share(report, "desk").ratio == pytest.approx(0.1)
    assert report["total"].ratio == pytest.approx(24 / 80)


def test_per_week_and_per_month_buckets(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    make.unit(site, "desk")  # an unbooked second desk halves the kind's share
    # Wednesday 31 March (week 13, March) and Thursday 1 April (week 13, April).
    make.booking(desk, starts_at=local(day("2027-03-31"), 8), ends_at=local(day("2027-03-31"), 18))
    make.booking(desk, starts_at=local(day("2027-04-01"), 8), ends_at=local(day("2027-04-01"), 13))

    report = occupancy_report(build_period([site], day("2027-03-29"), day("2027-04-11")))

    assert [label for _, _, label in report["weeks"]] == ["2027-W13", "2027-W14"]
    assert [label for _, _, label in report["months"]] == ["2027-03", "2027-04"]
    desks = kind_share(report, "desk")
    weekly = next(row["weekly"] for row in report["by_kind"] if row["kind"] == "desk")
    monthly = next(row["monthly"] for row in report["by_kind"] if row["kind"] == "desk")
    # Week 13: 2 desks x 5 days x 10 h = 100 h open, 15 h booked.
    assert (weekly[0].booked_hours, weekly[0].open_hours) == (15, 100)
    assert weekly[1].booked_hours == 0
    # March in the period: Mon 29 - Wed 31 = 3 days x 10 h x 2 desks = 60 h, 10 booked.
    assert (monthly[0].booked_hours, monthly[0].open_hours) == (10, 60)
    # April: Thu 1 - Sun 11 = 7 open days x 10 h x 2 = 140 h, 5 booked.
    assert (monthly[1].booked_hours, monthly[1].open_hours) == (5, 140)
    assert desks.ratio == pytest.approx(15 / 200)


def test_booking_reaching_into_the_period_counts_only_inside_it(make):
    site = make.site(hours=EVERY_DAY_8_20)
    shelf = make.unit(site, "popup_shelf", granularity="month")
    make.booking(shelf, starts_at=midnight(day("2027-03-01")), ends_at=midnight(day("2027-05-01")))

    report = occupancy_report(build_period([site], day("2027-04-01"), day("2027-04-10")))

    share = unit_share(report, shelf)
    assert (share.booked_hours, share.open_hours) == (120, 120)


def test_sites_are_reported_apart(make):
    herne = make.site("herne", hours=TEN_HOURS)
    witten = make.site("witten", hours=TEN_HOURS)
    tuesday = day("2027-03-16")
    make.booking(make.unit(herne, "desk"), starts_at=local(tuesday, 8), ends_at=local(tuesday, 18))
    make.unit(witten, "desk")

    report = occupancy_report(build_period([herne, witten], tuesday, tuesday))

    ratios = {row["site_id"]: row["share"].ratio for row in report["by_site"]}
    assert ratios == {herne.id: pytest.approx(1.0), witten.id: pytest.approx(0.0)}
    only_witten = occupancy_report(build_period([witten], tuesday, tuesday))
    assert only_witten["total"].booked_hours == 0
