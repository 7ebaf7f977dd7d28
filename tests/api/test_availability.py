"""GET /availability: free units and their maximal bookable intervals."""
from datetime import timedelta

from tests.api.conftest import berlin, error_of, local, next_weekday


def _window(day):
    return {"start": local(day, 0), "end": local(day + timedelta(days=1), 0)}


def test_free_intervals_of_a_kind_at_a_site(api, make):
    site = make.site("witten")
    first = make.unit(site, "desk", name="Desk 1", position=1)
    second = make.unit(site, "desk", name="Desk 2", position=2)
    make.unit(site, "popup_shelf", granularity="day", name="Shelf")
    tuesday = next_weekday(1)
    booker = make.user()
    api.as_user(booker).post("/bookings", json={
        "unit_id": first.id, "start": local(tuesday, 10), "end": local(tuesday, 12),
        "terms_accepted": True,
    })

    response = api.anonymous().get("/availability", query_string={
        "site": "witten", "kind": "desk", **_window(tuesday)})

    assert response.status_code == 200
    units = response.get_json()["units"]
    assert [unit["unit_id"] for unit in units] == [first.id, second.id]
    assert units[0] == {
        "unit_id": first.id, "name": "Desk 1", "kind": "desk", "granularity": "hour",
        "free": [
            {"start": berlin(tuesday, 8), "end": berlin(tuesday, 10)},
            {"start": berlin(tuesday, 12), "end": berlin(tuesday, 20)},
        ],
    }
    assert [(i["start"][11:16], i["end"][11:16]) for i in units[1]["free"]] == [
        ("08:00", "20:00")]


def test_one_unit_by_id(api, make):
    shelf = make.unit(make.site("witten"), "popup_shelf", granularity="day", name="Shelf")
    monday = next_weekday(0)
    response = api.get("/availability", query_string={
        "unit": shelf.id, "start": local(monday, 0),
        "end": local(monday + timedelta(days=7), 0)})
    units = response.get_json()["units"]
    assert len(units) == 1 and units[0]["granularity"] == "day"
    # Day units span the whole week, Sunday included.
    [free] = units[0]["free"]
    assert free == {"start": berlin(monday, 0), "end": berlin(monday + timedelta(days=7), 0)}


def test_a_window_over_31_days_is_refused(api, make):
    make.unit(make.site("witten"), "desk")
    day = next_weekday(0)
    error = error_of(api.get("/availability", query_string={
        "site": "witten", "kind": "desk", "start": local(day, 0),
        "end": local(day + timedelta(days=32), 0)}), 422, "validation")
    assert error["details"]["fields"] == {"end": "window_too_long"}
    assert "31" in api.get("/availability", headers={"Accept-Language": "en"}, query_string={
        "site": "witten", "start": local(day, 0),
        "end": local(day + timedelta(days=32), 0)}).get_json()["error"]["message"]


def test_an_unknown_kind_is_refused(api, make):
    make.site("witten")
    day = next_weekday(0)
    error = error_of(api.get("/availability", query_string={
        "site": "witten", "kind": "spaceship", **_window(day)}), 422, "validation")
    assert error["details"]["fields"] == {"kind": "unknown_kind"}


def test_query_problems_are_named_together(api, make):
    error = error_of(api.get("/availability", query_string={
        "site": "atlantis", "start": "tomorrow"}), 422, "validation")
    assert error["details"]["fields"] == {
        "site": "unknown", "start": "invalid_time", "end": "required"}
    error = error_of(api.get("/availability", query_string={
        "start": "2027-01-04T00:00", "end": "2027-01-05T00:00"}), 422, "validation")
    assert error["details"]["fields"] == {"site": "required"}
    error = error_of(api.get("/availability", query_string={
        "unit": "999999", "start": "2027-01-04T00:00", "end": "2027-01-05T00:00"}),
        422, "validation")
    assert error["details"]["fields"] == {"unit": "unknown"}
