"""The tenancy and move endpoints (shapes in ../shared/api.md)."""
from datetime import timedelta

from bookings.models import Booking
from tests.api.conftest import berlin, error_of, local, next_weekday
from tests.tenancies.conftest import fresh, mails


def rows(counts):
    """Rows per table, without the API tokens that switching callers issues."""
    return {table: count for table, count in counts().items() if table != "api_tokens"}


def _application(lab, thursday, **overrides):
    body = {
        "organisation_id": lab.partner.id, "unit_ids": [lab.desk_a.id], "weekdays": ["TH"],
        "start_time": "09:00", "end_time": "16:00", "starts_on": thursday.isoformat(),
        "ends_on": (thursday + timedelta(weeks=2)).isoformat(), "purpose": "Advice desk",
        "proposed_monthly_fee_cents": 45_000,
    }
    body.update(overrides)
    return body


def test_apply_resolve_the_clash_and_approve_over_the_api(api, lab, make, counts):
    thursday = next_weekday(3)
    clash = make.booking(lab.desk_a, user=lab.member,
                         starts_at=_instant(thursday + timedelta(weeks=1), 10),
                         ends_at=_instant(thursday + timedelta(weeks=1), 12))
    created = api.as_user(lab.partner_admin).post("/tenancies", json=_application(lab, thursday))
    assert created.status_code == 201, created.get_json()
    tenancy = created.get_json()
    assert (tenancy["status"], tenancy["weekdays"], tenancy["start_time"]) == (
        "requested", ["TH"], "09:00")
    # The organisation sees when its tenancy clashes, never with whom.
    assert tenancy["clashes"] == [{"unit_id": lab.desk_a.id,
                                   "start": berlin(thursday + timedelta(weeks=1), 10),
                                   "end": berlin(thursday + timedelta(weeks=1), 12)}]
    listed = api.as_user(lab.witten_manager).get("/tenancies").get_json()["items"]
    assert [item["id"] for item in listed] == [tenancy["id"]]
    assert listed[0]["clashes"][0]["booking_id"] == clash.id
    assert listed[0]["clashes"][0]["booked_by"] == "Max Member"

    before = rows(counts)
    refused = api.post(f"/tenancies/{tenancy['id']}/approve", json={"monthly_fee_cents": 40_000})
    error = error_of(refused, 409, "conflict")
    assert error["details"]["conflicts"] == [{"start": berlin(thursday + timedelta(weeks=1), 10),
                                              "end": berlin(thursday + timedelta(weeks=1), 12)}]
    assert rows(counts) == before

    moved = api.post(f"/bookings/{clash.id}/move", json={"unit_id": lab.desk_b.id})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["id"], moved.get_json()["unit_id"]) == (clash.id, lab.desk_b.id)

    approved = api.post(f"/tenancies/{tenancy['id']}/approve",
                        json={"monthly_fee_cents": 40_000})
    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["status"], approved.get_json()["monthly_fee_cents"]) == (
        "approved", 40_000)
    again = api.post(f"/tenancies/{tenancy['id']}/approve", json={"monthly_fee_cents": 40_000},
                     headers={"Accept-Language": "en"})
    assert error_of(again, 409, "invalid_transition")["message"] == (
        "This request has already been decided.")

    taken = api.as_user(lab.member).post("/bookings", json={
        "unit_id": lab.desk_a.id, "start": local(thursday, 10), "end": local(thursday, 11),
        "terms_accepted": True})
    error_of(taken, 409, "conflict")


def _instant(day, hour):
    from core.time import parse_instant

    return parse_instant(local(day, hour))


def test_a_herne_manager_cannot_decide_a_witten_tenancy(api, lab, counts):
    thursday = next_weekday(3)
    tenancy = api.as_user(lab.partner_admin).post(
        "/tenancies", json=_application(lab, thursday)).get_json()
    before = rows(counts)
    api.as_user(lab.herne_manager)
    error_of(api.post(f"/tenancies/{tenancy['id']}/approve", json={"monthly_fee_cents": 1}),
             403, "forbidden")
    error_of(api.post(f"/tenancies/{tenancy['id']}/reject", json={"reason": "No"}),
             403, "forbidden")
    assert api.get("/tenancies").get_json()["items"] == []
    assert rows(counts) == before


def test_reject_needs_a_reason_and_end_frees_later_dates(api, lab, make, counts):
    thursday = next_weekday(3)
    api.as_user(lab.partner_admin)
    first = api.post("/tenancies", json=_application(lab, thursday)).get_json()
    second = api.post("/tenancies", json=_application(
        lab, thursday, unit_ids=[lab.desk_c.id])).get_json()
    api.as_user(lab.witten_manager)
    before = rows(counts)
    missing = error_of(api.post(f"/tenancies/{first['id']}/reject", json={}), 422, "validation")
    assert missing["details"]["fields"] == {"reason": "required"}
    assert rows(counts) == before
    rejected = api.post(f"/tenancies/{first['id']}/reject", json={"reason": "Desk reserved"})
    assert (rejected.get_json()["status"], rejected.get_json()["reason"]) == (
        "rejected", "Desk reserved")

    api.post(f"/tenancies/{second['id']}/approve", json={"monthly_fee_cents": 1})
    ended = api.post(f"/tenancies/{second['id']}/end", json={"ends_on": thursday.isoformat()})
    assert ended.status_code == 200, ended.get_json()
    statuses = sorted((b.starts_at, b.status) for b in
                      make_query_occurrences(second["id"]))
    assert [status for _, status in statuses] == ["confirmed", "cancelled", "cancelled"]


def make_query_occurrences(tenancy_id):
    from tests.tenancies.conftest import occurrences

    return occurrences(tenancy_id)


def test_bad_applications_are_422_and_only_admins_apply(api, lab, make, counts):
    thursday = next_weekday(3)
    before = rows(counts)
    api.as_user(lab.partner_admin)
    unknown = error_of(api.post("/tenancies", json=_application(
        lab, thursday, unit_ids=[lab.desk_a.id + 999], weekdays=["TH", "XX"],
        starts_on="tomorrow", extra=1)), 422, "validation")
    assert unknown["details"]["fields"] == {"unit_ids": "unknown", "weekdays": "unknown",
                                            "starts_on": "invalid_date",
                                            "extra": "unknown_field"}
    mixed = error_of(api.post("/tenancies", json=_application(
        lab, thursday, unit_ids=[lab.desk_a.id, lab.herne_desk.id])), 422, "validation")
    assert mixed["details"]["fields"] == {"unit_ids": "units_of_several_sites"}
    error_of(api.as_user(lab.member).post("/tenancies", json=_application(lab, thursday)),
             403, "forbidden")
    error_of(api.anonymous().get("/tenancies"), 401, "unauthenticated")
    assert rows(counts) == before


def test_whole_days_over_the_api(api, lab):
    monday = next_weekday(0)
    created = api.as_user(lab.partner_admin).post("/tenancies", json=_application(
        lab, monday, unit_ids=[lab.shelf.id], weekdays=["MO"], start_time=None,
        end_time=None, whole_days=True))
    assert created.status_code == 201, created.get_json()
    assert (created.get_json()["whole_days"], created.get_json()["start_time"]) == (True, None)


def test_move_over_the_api_refuses_busy_and_other_kind_units(api, lab, make, counts):
    tuesday = next_weekday(1)
    booking = make.booking(lab.desk_a, user=lab.member, starts_at=_instant(tuesday, 10),
                           ends_at=_instant(tuesday, 12))
    make.booking(lab.desk_b, user=lab.member, starts_at=_instant(tuesday, 9),
                 ends_at=_instant(tuesday, 11))
    before = rows(counts)
    api.as_user(lab.witten_manager)
    busy = error_of(api.post(f"/bookings/{booking.id}/move", json={"unit_id": lab.desk_b.id}),
                    409, "conflict")
    assert busy["details"]["conflicts"] == [{"start": berlin(tuesday, 10),
                                             "end": berlin(tuesday, 11)}]
    kind = error_of(api.post(f"/bookings/{booking.id}/move",
                             json={"unit_id": lab.meeting_room.id}), 422, "validation")
    assert kind["details"]["fields"] == {"unit_id": "other_kind"}
    error_of(api.post(f"/bookings/{booking.id}/move", json={"unit_id": 10**6}), 422,
             "validation")
    error_of(api.post(f"/bookings/{booking.id + 999}/move", json={"unit_id": lab.desk_c.id}),
             404, "not_found")
    error_of(api.as_user(lab.herne_manager).post(
        f"/bookings/{booking.id}/move", json={"unit_id": lab.desk_c.id}), 403, "forbidden")
    assert rows(counts) == before
    assert fresh(Booking, booking.id).unit_id == lab.desk_a.id
    assert mails("booking_moved") == []


def test_answers_match_the_openapi_document(api, lab, make):
    from tests.api.test_openapi import assert_documented

    document = api.anonymous().get("/openapi.json").get_json()
    thursday = next_weekday(3)
    clash = make.booking(lab.desk_a, user=lab.member, starts_at=_instant(thursday, 10),
                         ends_at=_instant(thursday, 12))
    api.as_user(lab.partner_admin)
    created = api.post("/tenancies", json=_application(lab, thursday))
    assert_documented(document, "POST", "/tenancies", created)
    assert_documented(document, "POST", "/tenancies", api.post("/tenancies", json={}))
    tenancy_id = created.get_json()["id"]
    assert_documented(document, "GET", "/tenancies", api.get("/tenancies"))
    api.as_user(lab.witten_manager)
    assert_documented(document, "GET", "/tenancies", api.get("/tenancies?status=requested"))
    assert_documented(document, "GET", "/tenancies/{tenancy_id}", api.get(f"/tenancies/{tenancy_id}"))
    approve = f"/tenancies/{tenancy_id}/approve"
    assert_documented(document, "POST", "/tenancies/{tenancy_id}/approve",
                      api.post(approve, json={"monthly_fee_cents": 1}))
    assert_documented(document, "POST", "/bookings/{booking_id}/move",
                      api.post(f"/bookings/{clash.id}/move", json={"unit_id": lab.desk_b.id}))
    assert_documented(document, "POST", "/bookings/{booking_id}/move",
                      api.post(f"/bookings/{clash.id}/move", json={"unit_id": lab.shelf.id}))
    assert_documented(document, "POST", "/tenancies/{tenancy_id}/approve",
                      api.post(approve, json={"monthly_fee_cents": 1, "ends_on": None}))
    assert_documented(document, "POST", "/tenancies/{tenancy_id}/approve",
                      api.post(approve, json={"monthly_fee_cents": 1}))
    assert_documented(document, "POST", "/tenancies/{tenancy_id}/end",
                      api.post(f"/tenancies/{tenancy_id}/end",
                               json={"ends_on": thursday.isoformat()}))
    assert_documented(document, "POST", "/tenancies/{tenancy_id}/reject",
                      api.post(f"/tenancies/{tenancy_id}/reject", json={"reason": "x"}))
    assert_documented(document, "GET", "/tenancies/{tenancy_id}",
                      api.as_user(lab.herne_manager).get(f"/tenancies/{tenancy_id}"))
