"""Refused booking requests: 400 for a body that is not JSON, 422 naming each bad field for
every rule of issue 3, and nothing written in any case."""
from datetime import timedelta

import pytest

from tests.api.conftest import error_of, local, next_weekday


@pytest.fixture
def booker(api, make):
    user = make.user()
    api.as_user(user)
    return user


@pytest.fixture
def refused(api, counts, booker):
    """POST a body, expect the error, and prove that no table changed."""

    def post(body, status=422, code="validation", **kwargs):
        before = counts()
        response = api.post("/bookings", json=body, **kwargs) if body is not None else (
            api.post("/bookings", **kwargs))
        error = error_of(response, status, code)
        assert counts() == before
        return error

    return post


def desk_request(unit, day, start, end, **extra):
    return {"unit_id": unit.id, "start": local(day, *start), "end": local(day, *end),
            "terms_accepted": True, **extra}


@pytest.fixture
def desk(make):
    return make.unit(make.site("witten"), "desk", min_length=2, max_length=4)


@pytest.mark.parametrize("data, content_type", [
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ("", "application/json"),
    ("unit_id=1", "application/x-www-form-urlencoded"),
])
def test_a_body_that_is_not_a_json_object(refused, data, content_type):
    refused(None, 400, "invalid_json", data=data, content_type=content_type)


@pytest.mark.parametrize("start, end, fields", [
    ((12,), (10,), {"end": "end_before_start"}),
    ((18,), (21,), {"start": "outside_opening_hours"}),
    ((9,), (14,), {"end": "too_long"}),
    ((9,), (10,), {"end": "too_short"}),
    ((9, 30), (11, 30), {"start": "not_on_step", "end": "not_on_step"}),
], ids=["end_before_start", "outside_opening_hours", "too_long", "too_short", "not_on_step"])
def test_slot_rules(refused, desk, start, end, fields):
    error = refused(desk_request(desk, next_weekday(1), start, end))
    assert error["details"]["fields"] == fields


def test_on_a_sunday_the_lab_is_closed(refused, desk):
    error = refused(desk_request(desk, next_weekday(6), (10,), (12,)))
    assert error["details"]["fields"] == {"start": "outside_opening_hours"}


def test_too_soon_and_too_far_ahead(refused, make):
    site = make.site("bochum")
    needs_notice = make.unit(site, "meeting_room", lead_time_minutes=14 * 24 * 60)
    near = make.unit(site, "desk", horizon_days=30)
    error = refused(desk_request(needs_notice, next_weekday(1), (9,), (10,)))
    assert error["details"]["fields"] == {"start": "too_soon"}
    error = refused(desk_request(near, next_weekday(1, weeks_ahead=6), (9,), (10,)))
    assert error["details"]["fields"] == {"end": "too_far_ahead"}


def test_day_units_need_local_midnights(refused, make):
    shelf = make.unit(make.site("witten"), "popup_shelf", granularity="day")
    day = next_weekday(1)
    error = refused({"unit_id": shelf.id, "start": local(day, 12),
                     "end": local(day + timedelta(days=1), 0), "terms_accepted": True})
    assert error["details"]["fields"] == {"start": "not_on_step"}


@pytest.mark.parametrize("start, code", [
    ("2027-03-28T02:30:00", "nonexistent_local_time"),
    ("2027-10-31T02:30:00", "ambiguous_local_time"),
])
def test_local_times_that_do_not_exist_or_exist_twice(refused, desk, api, start, code):
    body = {"unit_id": desk.id, "start": start, "end": start.replace("02:30", "04:00"),
            "terms_accepted": True}
    error = refused(body)
    assert error["details"]["fields"] == {"start": code}
    assert "2027" in error["message"]


def test_an_unknown_kind(refused, desk):
    day = next_weekday(1)
    error = refused({"site": "witten", "kind": "spaceship", "start": local(day, 9),
                     "end": local(day, 11), "terms_accepted": True})
    assert error["details"]["fields"] == {"kind": "unknown_kind"}


def test_the_terms_must_be_accepted(refused, desk):
    request = desk_request(desk, next_weekday(1), (9,), (11,))
    del request["terms_accepted"]
    error = refused(request)
    assert error["details"]["fields"] == {"terms_accepted": "required"}
    error = refused({**request, "terms_accepted": False})
    assert error["details"]["fields"] == {"terms_accepted": "required"}


def test_wrong_types_and_unknown_ids_name_every_field(refused, desk, make):
    day = next_weekday(1)
    error = refused({"unit_id": "one", "start": 900, "end": local(day, 11),
                     "attendees": "2", "purpose": ["x"], "terms_accepted": "yes",
                     "partial": 1, "recurence": {"freq": "weekly"}})
    assert error["details"]["fields"] == {
        "unit_id": "must_be_integer", "start": "must_be_string", "attendees": "must_be_integer",
        "purpose": "must_be_string", "terms_accepted": "must_be_boolean",
        "partial": "must_be_boolean", "recurence": "unknown_field"}
    error = refused({"unit_id": desk.id + 1000, "organisation_id": 424242,
                     "start": local(day, 9), "end": local(day, 11), "terms_accepted": True})
    assert error["details"]["fields"] == {"unit_id": "unknown", "organisation_id": "unknown"}
    error = refused({"site": "atlantis", "start": local(day, 9), "end": local(day, 11),
                     "terms_accepted": True})
    assert error["details"]["fields"] == {"site": "unknown", "kind": "required"}
    error = refused({"start": local(day, 9), "end": local(day, 11), "terms_accepted": True})
    assert error["details"]["fields"] == {"site": "required", "kind": "required"}
    error = refused({"unit_id": desk.id, "site": "witten", "kind": "desk",
                     "start": local(day, 9), "end": local(day, 11), "terms_accepted": True})
    assert error["details"]["fields"] == {"unit_id": "unit_or_site_and_kind"}


def test_billing_an_organisation_the_caller_does_not_belong_to(refused, desk, make):
    other = make.organisation("Not mine GmbH")
    error = refused(desk_request(desk, next_weekday(1), (9,), (11,), organisation_id=other.id))
    assert error["details"]["fields"] == {"organisation_id": "not_a_member"}


def test_a_bad_recurrence(refused, desk):
    request = desk_request(desk, next_weekday(1), (9,), (11,))
    error = refused({**request, "recurrence": {"freq": "daily", "count": 3}})
    assert error["details"]["fields"] == {"recurrence": "unsupported_freq"}
    error = refused({**request, "recurrence": "FREQ=WEEKLY"})
    assert error["details"]["fields"] == {"recurrence": "must_be_object"}


def test_an_unconfirmed_account_cannot_book(api, make, desk, counts):
    api.as_user(make.user(confirmed=False))
    before = counts()
    error_of(api.post("/bookings", json=desk_request(desk, next_weekday(1), (9,), (11,))),
             403, "forbidden")
    assert counts() == before


def test_a_recurrence_with_a_bad_weekday(refused, desk):
    request = desk_request(desk, next_weekday(1), (9,), (11,))
    error = refused({**request, "recurrence": {"freq": "weekly", "byday": ["XX"], "count": 2}})
    assert error["details"]["fields"] == {"recurrence": "bad_day"}
