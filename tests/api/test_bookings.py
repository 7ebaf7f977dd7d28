"""Booking over the API: book, series, list, show, cancel; who may see what."""
from datetime import timedelta

import pytest

from bookings.services import create_booking
from core import hooks
from core.time import local_date, parse_instant, utcnow
from tests.api.conftest import berlin, error_of, local, next_weekday


@pytest.fixture
def desk(make):
    return make.unit(make.site("witten"), "desk", name="Desk 1", position=1)


def book(api, unit, day, start_hour, end_hour, **extra):
    return api.post("/bookings", json={
        "unit_id": unit.id, "start": local(day, start_hour), "end": local(day, end_hour),
        "terms_accepted": True, **extra})


def test_booking_a_unit(api, make, desk):
    organisation = make.organisation("Flusslicht GmbH")
    user = make.user(organisation=organisation)
    tuesday = next_weekday(1)

    response = book(api.as_user(user), desk, tuesday, 9, 12, purpose="Workshop prep",
                    attendees=1, organisation_id=organisation.id)

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/bookings/{body['id']}"
    assert body == {
        "id": body["id"], "unit_id": desk.id, "site": "witten", "status": "confirmed",
        "start": berlin(tuesday, 9), "end": berlin(tuesday, 12), "series_id": None,
        "hold_expires_at": None, "price": body["price"], "checkout_url": None,
        "purpose": "Workshop prep", "attendees": 1, "created_at": body["created_at"],
    }
    assert body["created_at"].endswith(("+01:00", "+02:00"))
    assert api.get(f"/bookings/{body['id']}").get_json() == body


def test_booking_any_desk_of_a_site(api, make, desk):
    second = make.unit(desk.site, "desk", name="Desk 2", position=2)
    tuesday = next_weekday(1)
    api.as_user(make.user())
    first = book(api, desk, tuesday, 9, 12).get_json()
    any_desk = api.post("/bookings", json={
        "site": "witten", "kind": "desk", "start": local(tuesday, 10),
        "end": local(tuesday, 11), "terms_accepted": True})
    assert any_desk.status_code == 201
    assert any_desk.get_json()["unit_id"] == second.id
    assert first["unit_id"] == desk.id


def test_a_unit_that_needs_approval_is_requested(api, make):
    window = make.unit(make.site("witten"), "shop_window", granularity="week",
                       needs_approval=True)
    monday = next_weekday(0)
    response = api.as_user(make.user()).post("/bookings", json={
        "unit_id": window.id, "start": local(monday, 0),
        "end": local(monday + timedelta(days=7), 0), "terms_accepted": True})
    assert response.status_code == 201
    assert response.get_json()["status"] == "requested"


def test_a_taken_time_is_a_conflict_naming_times_not_people(api, make, desk, counts):
    tuesday = next_weekday(1)
    first_booker = make.user("first.booker@example.org", name="Erika Mustermann")
    book(api.as_user(first_booker), desk, tuesday, 10, 12)
    api.as_user(make.user())
    before = counts()

    response = book(api, desk, tuesday, 9, 11)

    error = error_of(response, 409, "conflict")
    assert error["details"] == {
        "conflicts": [{"start": berlin(tuesday, 10), "end": berlin(tuesday, 11)}]}
    text = response.get_data(as_text=True)
    assert "Erika" not in text and "first.booker" not in text
    assert counts() == before
    # Back to back is fine.
    assert book(api, desk, tuesday, 12, 13).status_code == 201


def test_a_weekly_series(api, make, desk):
    tuesday = next_weekday(1)
    response = api.as_user(make.user()).post("/bookings", json={
        "unit_id": desk.id, "start": local(tuesday, 9), "end": local(tuesday, 17),
        "terms_accepted": True,
        "recurrence": {"freq": "weekly", "byday": ["TU"], "count": 3}})

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["skipped"] == []
    days = [tuesday + timedelta(weeks=n) for n in range(3)]
    assert [(b["start"], b["end"]) for b in body["bookings"]] == [
        (berlin(day, 9), berlin(day, 17)) for day in days]
    assert {b["series_id"] for b in body["bookings"]} == {body["series_id"]}


def test_a_series_with_a_taken_date_all_or_nothing_or_partial(api, make, desk, counts):
    tuesday = next_weekday(1)
    book(api.as_user(make.user()), desk, tuesday + timedelta(weeks=1), 10, 11)
    api.as_user(make.user())
    request = {"unit_id": desk.id, "start": local(tuesday, 9), "end": local(tuesday, 12),
               "terms_accepted": True,
               "recurrence": {"freq": "weekly", "byday": ["TU"], "count": 3}}
    before = counts()

    error = error_of(api.post("/bookings", json=request), 409, "conflict")
    assert error["details"]["conflicts"] == [
        {"start": berlin(tuesday + timedelta(weeks=1), 9),
         "end": berlin(tuesday + timedelta(weeks=1), 12)}]
    assert counts() == before

    response = api.post("/bookings", json={**request, "partial": True})
    assert response.status_code == 201
    body = response.get_json()
    assert [b["start"] for b in body["bookings"]] == [
        berlin(tuesday, 9), berlin(tuesday + timedelta(weeks=2), 9)]
    assert body["skipped"] == [{"start": berlin(tuesday + timedelta(weeks=1), 9),
                                "end": berlin(tuesday + timedelta(weeks=1), 12)}]


def _next_dst_change():
    """The next last Sunday of March or October, at least a week away."""
    today = local_date(utcnow()) + timedelta(days=7)
    for year in (today.year, today.year + 1):
        for month in (3, 10):
            last = (today.replace(year=year, month=month + 1, day=1) - timedelta(days=1))
            sunday = last - timedelta(days=(last.weekday() - 6) % 7)
            if sunday > today:
                return sunday
    raise AssertionError("unreachable")


def test_a_series_keeps_its_local_time_across_a_daylight_saving_change(api, make, desk):
    sunday = _next_dst_change()
    tuesday_before = sunday - timedelta(days=5)
    response = api.as_user(make.user()).post("/bookings", json={
        "unit_id": desk.id, "start": local(tuesday_before, 9), "end": local(tuesday_before, 17),
        "terms_accepted": True, "recurrence": {"freq": "weekly", "byday": ["TU"], "count": 2}})
    assert response.status_code == 201, response.get_data(as_text=True)
    starts = [b["start"] for b in response.get_json()["bookings"]]
    assert [start[11:19] for start in starts] == ["09:00:00", "09:00:00"]
    assert starts[0][-6:] != starts[1][-6:]


def test_listing_own_bookings_page_by_page(api, make, desk):
    tuesday = next_weekday(1)
    other = make.user()
    book(api.as_user(other), desk, tuesday, 8, 9)
    api.as_user(make.user())
    ids = [book(api, desk, tuesday, hour, hour + 1).get_json()["id"] for hour in (10, 12, 14)]

    first = api.get("/bookings?limit=2").get_json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert first["next"].startswith("http://localhost/api/v1/bookings?")
    second = api.get(first["next"].removeprefix("http://localhost/api/v1")).get_json()
    assert [item["id"] for item in second["items"]] == ids[2:]
    assert second["next"] is None


def test_listing_filters(api, make, desk):
    tuesday = next_weekday(1)
    api.as_user(make.user())
    early = book(api, desk, tuesday, 9, 10).get_json()
    late = book(api, desk, tuesday + timedelta(weeks=1), 9, 10).get_json()
    api.post(f"/bookings/{late['id']}/cancel")
    make.unit(make.site("bochum"), "desk")

    def ids(**query):
        response = api.get("/bookings", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(status="cancelled") == [late["id"]]
    assert ids(status="confirmed") == [early["id"]]
    assert ids(to=local(tuesday, 23)) == [early["id"]]
    assert ids(**{"from": local(tuesday, 23)}) == [late["id"]]
    assert ids(site="witten") == [early["id"], late["id"]]
    assert ids(site="bochum") == []
    error = error_of(api.get("/bookings", query_string={
        "site": "atlantis", "status": "lost", "limit": "0"}), 422, "validation")
    assert error["details"]["fields"] == {
        "site": "unknown", "status": "unknown", "limit": "out_of_range"}


def test_managers_see_the_bookings_of_their_sites_only(api, make, desk):
    bochum_desk = make.unit(make.site("bochum"), "desk")
    tuesday = next_weekday(1)
    api.as_user(make.user())
    at_witten = book(api, desk, tuesday, 9, 10).get_json()
    at_bochum = book(api, bochum_desk, tuesday, 9, 10).get_json()
    manager = make.user(role="manager", sites=[desk.site])

    api.as_user(manager)
    assert [item["id"] for item in api.get("/bookings").get_json()["items"]] == [at_witten["id"]]
    assert api.get(f"/bookings/{at_witten['id']}").status_code == 200
    error_of(api.get(f"/bookings/{at_bochum['id']}"), 403, "forbidden")


def test_others_bookings_are_forbidden_and_unknown_ones_not_found(api, make, desk, counts):
    booking = book(api.as_user(make.user()), desk, next_weekday(1), 9, 10).get_json()
    api.as_user(make.user())
    error_of(api.get(f"/bookings/{booking['id']}"), 403, "forbidden")
    before = counts()
    error_of(api.post(f"/bookings/{booking['id']}/cancel"), 403, "forbidden")
    assert counts() == before
    error_of(api.get(f"/bookings/{booking['id'] + 1000}"), 404, "not_found")
    error_of(api.post(f"/bookings/{booking['id'] + 1000}/cancel"), 404, "not_found")


def test_cancelling_frees_the_slot_and_twice_is_an_invalid_transition(api, make, desk, counts):
    tuesday = next_weekday(1)
    api.as_user(make.user())
    booking = book(api, desk, tuesday, 9, 10).get_json()

    response = api.post(f"/bookings/{booking['id']}/cancel", json={"reason": "Plans changed"})

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    before = counts()
    error = error_of(api.post(f"/bookings/{booking['id']}/cancel"), 409, "invalid_transition")
    assert error["details"] == {}
    assert counts() == before
    assert book(api, desk, tuesday, 9, 10).status_code == 201


def test_a_manager_cancels_a_started_booking_only_with_a_reason(api, make, desk, counts):
    # Book through the service with a pinned past "now": the API always uses the real clock.
    user = make.user()
    today = local_date(utcnow())
    yesterday = today - timedelta(days=1)
    while yesterday.weekday() > 4:
        yesterday -= timedelta(days=1)
    booking = create_booking(user, unit=desk, starts_at=parse_instant(local(yesterday, 9)),
                             ends_at=parse_instant(local(yesterday, 10)),
                             now=parse_instant(local(yesterday - timedelta(days=3), 9)),
                             terms_accepted=True)
    booking_id = booking.id
    error_of(api.as_user(user).post(f"/bookings/{booking_id}/cancel"), 403, "forbidden")
    api.as_user(make.user(role="manager", sites=[desk.site]))
    before = counts()
    error = error_of(api.post(f"/bookings/{booking_id}/cancel"), 422, "validation")
    assert error["details"]["fields"] == {"reason": "required"}
    assert counts() == before
    response = api.post(f"/bookings/{booking_id}/cancel", json={"reason": "Nobody came"})
    assert response.get_json()["status"] == "cancelled"


def test_bookings_need_a_caller(api, make, desk, counts):
    before = counts()
    error_of(book(api, desk, next_weekday(1), 9, 10), 401, "unauthenticated")
    error_of(api.get("/bookings"), 401, "unauthenticated")
    error_of(api.get("/bookings/1"), 401, "unauthenticated")
    error_of(api.post("/bookings/1/cancel"), 401, "unauthenticated")
    assert counts() == before


def test_a_booking_awaiting_payment_shows_its_hold_and_checkout(api, make, desk, monkeypatch):
    # Billing decides through hooks; stand in for it here.
    monkeypatch.setitem(hooks._HOOKS, "payment_required", lambda booking: True)
    monkeypatch.setitem(hooks._HOOKS, "checkout_url",
                        lambda booking: f"https://pay.example/{booking.id}")
    before = utcnow()
    body = book(api.as_user(make.user()), desk, next_weekday(1), 9, 10).get_json()
    assert body["status"] == "held"
    assert body["checkout_url"] == f"https://pay.example/{body['id']}"
    hold = parse_instant(body["hold_expires_at"])
    assert before + timedelta(minutes=14) < hold <= utcnow() + timedelta(minutes=15)


def test_cancel_bodies_are_checked(api, make, desk, counts):
    booking = book(api.as_user(make.user()), desk, next_weekday(1), 9, 10).get_json()
    before = counts()
    error_of(api.post(f"/bookings/{booking['id']}/cancel", data="reason",
                      content_type="application/json"), 400, "invalid_json")
    error = error_of(api.post(f"/bookings/{booking['id']}/cancel", json={"why": "x"}),
                     422, "validation")
    assert error["details"]["fields"] == {"why": "unknown_field"}
    assert counts() == before
