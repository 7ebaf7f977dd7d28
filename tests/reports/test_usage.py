"""Heat map, pop-up slots, organisations served, cancellations: small data, answers by hand."""
import pytest

from reports.periods import build_period
from reports.usage import cancellations_report, heat_map, popup_report, served_report
from tests.reports.helpers import TEN_HOURS, day, local, midnight


def test_heat_map_cells_share_of_open_unit_hours(make):
    site = make.site(hours=TEN_HOURS)
    first, second = make.unit(site, "desk"), make.unit(site, "desk")
    make.unit(site, "popup_shelf", granularity="day")  # not in the heat map
    tuesday = day("2027-03-16")
    make.booking(first, starts_at=local(tuesday, 10), ends_at=local(tuesday, 12))
    make.booking(second, starts_at=local(tuesday, 10, 30), ends_at=local(tuesday, 11))
    make.booking(second, starts_at=local(tuesday, 14), ends_at=local(tuesday, 15),
                 status="cancelled")

    maps = heat_map(build_period([site], day("2027-03-15"), day("2027-03-21")))

    assert [entry["kind"] for entry in maps] == ["desk"]
    cells = maps[0]["cells"]
    assert maps[0]["hours"] == list(range(8, 18))
    # Tuesday 10-11: desk one 1 h + desk two 0.5 h of 2 open unit-hours.
    assert cells[(1, 10)]["booked_hours"] == 1.5 and cells[(1, 10)]["open_hours"] == 2
    assert cells[(1, 10)]["ratio"] == pytest.approx(0.75)
    assert cells[(1, 11)]["ratio"] == pytest.approx(0.5)
    assert cells[(1, 14)]["ratio"] == 0  # the cancelled hour is free
    assert cells[(0, 10)]["ratio"] == 0
    assert cells[(5, 10)]["ratio"] is None  # Saturday: closed


def test_heat_map_in_summer_time_uses_local_hours(make):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "meeting_room")
    thursday = day("2027-07-15")
    make.booking(desk, starts_at=local(thursday, 8), ends_at=local(thursday, 9))

    cells = heat_map(build_period([site], thursday, thursday))[0]["cells"]

    assert cells[(3, 8)]["ratio"] == pytest.approx(1.0)
    assert cells[(3, 9)]["ratio"] == 0


def test_popup_weeks_let_distinct_retailers_and_repeat_bookers(make):
    site = make.site(hours=TEN_HOURS)
    shelf_a = make.unit(site, "popup_shelf", granularity="day")
    shelf_b = make.unit(site, "popup_shelf", granularity="day")
    make.unit(site, "desk")
    roesterei = make.organisation("Rösterei", kind="retailer")
    laden = make.organisation("Laden", kind="retailer")
    other = make.organisation("Abgesagt", kind="retailer")
    walk_in = make.user()
    # Period: four whole weeks, 1-28 March 2027.
    make.booking(shelf_a, organisation=roesterei, starts_at=midnight(day("2027-03-02")),
                 ends_at=midnight(day("2027-03-03")))
    make.booking(shelf_a, organisation=roesterei, starts_at=midnight(day("2027-03-16")),
                 ends_at=midnight(day("2027-03-19")))
    make.booking(shelf_b, organisation=laden, starts_at=midnight(day("2027-03-20")),
                 ends_at=midnight(day("2027-03-23")))  # Sat-Mon: weeks 3 and 4
    make.booking(shelf_b, user=walk_in, starts_at=midnight(day("2027-03-24")),
                 ends_at=midnight(day("2027-03-25")))
    make.booking(shelf_a, organisation=other, starts_at=midnight(day("2027-03-09")),
                 ends_at=midnight(day("2027-03-10")), status="cancelled")

    popup = popup_report(build_period([site], day("2027-03-01"), day("2027-03-28")))

    lets = {row["unit_id"]: row["weeks_let"] for row in popup["units"]}
    assert lets == {shelf_a.id: 2, shelf_b.id: 2}
    assert popup["unit_weeks"] == 8 and popup["ratio"] == pytest.approx(0.5)
    assert popup["retailers"] == 3  # Rösterei, Laden and the walk-in person
    assert popup["repeat_bookers"] == 1  # only the Rösterei booked twice


def test_organisations_served_local_members_and_new_per_month(make, app):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    bochum = make.organisation("A", kind="startup", postcode="44787", municipality="Bochum",
                               chamber_member_number="IHK-1")
    witten = make.organisation("B", kind="retailer", postcode="58452", municipality="Witten")
    berlin = make.organisation("C", kind="retailer", postcode="10115", municipality="Berlin",
                               chamber_member_number="  ")
    hattingen = make.organisation("D", kind="partner", postcode="", municipality=" hattingen ")
    dortmund = make.organisation("E", kind="other", postcode="44137", municipality="Dortmund",
                                 chamber_member_number="IHK-2")
    cancelled_only = make.organisation("F", kind="startup", postcode="44787")
    anna, ben, cara = make.user(), make.user(), make.user()
    slot = iter(range(8, 18))

    def book(organisation, user, on, status="confirmed"):
        hour = next(slot)
        make.booking(desk, organisation=organisation, user=user, status=status,
                     starts_at=local(day(on), hour), ends_at=local(day(on), hour + 1))

    book(dortmund, cara, "2027-02-10")  # first came in February
    book(dortmund, cara, "2027-03-10")
    book(bochum, anna, "2027-03-02")
    book(bochum, anna, "2027-03-03")
    book(witten, anna, "2027-03-04")
    book(berlin, ben, "2027-03-05")
    book(hattingen, ben, "2027-04-06")
    book(None, ben, "2027-04-07")
    book(cancelled_only, anna, "2027-03-08", status="cancelled")

    served = served_report(build_period([site], day("2027-03-01"), day("2027-04-30")))

    assert served["organisations"] == 5  # A, B, C, D, E; F only cancelled
    assert served["persons"] == 3
    assert served["local"] == 3  # A (postcode), B (postcode), D (municipality)
    assert served["members"] == 2  # A and E; C's number is blank
    by_kind = {row["kind"]: (row["organisations"], row["local"], row["members"])
               for row in served["by_kind"]}
    assert by_kind == {"startup": (1, 1, 1), "retailer": (2, 1, 0), "partner": (1, 1, 0),
                       "other": (1, 0, 1)}
    assert served["new"] == [
        {"month": "2027-03", "organisations": 3, "persons": 2},  # A, B, C; Anna, Ben
        {"month": "2027-04", "organisations": 1, "persons": 0},  # D
    ]


def test_district_is_configurable(make, app):
    site = make.site(hours=TEN_HOURS)
    desk = make.unit(site, "desk")
    berlin = make.organisation("C", kind="retailer", postcode="10115", municipality="Berlin")
    make.booking(desk, organisation=berlin, starts_at=local(day("2027-03-16"), 9),
                 ends_at=local(day("2027-03-16"), 10))
    period = build_period([site], day("2027-03-01"), day("2027-03-31"))
    assert served_report(period)["local"] == 0
    saved = app.config["CHAMBER_DISTRICT_POSTCODE_PREFIXES"]
    app.config["CHAMBER_DISTRICT_POSTCODE_PREFIXES"] = ("101",)
    try:
        assert served_report(period)["local"] == 1
    finally:
        app.config["CHAMBER_DISTRICT_POSTCODE_PREFIXES"] = saved


def test_cancellations_and_no_shows_per_kind(make):
    site = make.site(hours=TEN_HOURS)
    desk, room = make.unit(site, "desk"), make.unit(site, "meeting_room")
    tuesday = day("2027-03-16")
    for unit, hour, status in ((desk, 8, "confirmed"), (desk, 9, "confirmed"),
                               (desk, 10, "no_show"), (desk, 11, "cancelled"),
                               (room, 8, "cancelled"), (room, 9, "expired"),
                               (room, 10, "rejected")):
        make.booking(unit, status=status, starts_at=local(tuesday, hour),
                     ends_at=local(tuesday, hour + 1))
    make.booking(desk, status="cancelled", starts_at=local(day("2027-04-01"), 9),
                 ends_at=local(day("2027-04-01"), 10))

    result = cancellations_report(build_period([site], day("2027-03-01"), day("2027-03-31")))

    rows = {row["kind"]: row for row in result["rows"]}
    assert (rows["desk"]["confirmed"], rows["desk"]["cancelled"], rows["desk"]["no_show"]) == (2, 1, 1)
    assert rows["desk"]["no_show_ratio"] == pytest.approx(0.25)
    assert (rows["meeting_room"]["cancelled"], rows["meeting_room"]["confirmed"]) == (1, 0)
    assert result["total"]["cancelled"] == 2
    assert result["total"]["cancelled_ratio"] == pytest.approx(2 / 5)
