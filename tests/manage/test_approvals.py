"""Approving and rejecting requests: services, queue page, API, races, overdue flags."""
import threading
from datetime import date, timedelta

import pytest

from accounts.auth import issue_api_token
from accounts.models import User
from bookings.approvals import (
    approval_queue, approve_booking, decide_bookings, decision_due_on, is_overdue,
    reject_booking,
)
from bookings.availability import blocking_ranges
from bookings.models import Booking
from core.errors import InvalidTransition, NotAllowed, ValidationError
from core.time import utcnow
from extensions import db
from tests.manage.conftest import NOW, audit_entries, berlin, fresh, outbox


# --- services -------------------------------------------------------------------------------

def test_approving_confirms_audits_and_mails_the_requester_in_their_language(
        witten_manager, request_at_witten):
    booking = approve_booking(witten_manager, request_at_witten, now=NOW)
    assert booking.status == "confirmed"
    stored = fresh(request_at_witten.id)
    assert (stored.status, stored.decided_by_id, stored.decided_at) == (
        "confirmed", witten_manager.id, NOW)
    [entry] = audit_entries("booking.approved")
    assert entry.actor_id == witten_manager.id
    assert entry.before["status"] == "requested" and entry.after["status"] == "confirmed"
    assert entry.site_id == stored.unit.site_id
    # The confirmation mail (with its calendar event), in the requester's English.
    [mail] = outbox("booking_confirmed")
    assert mail.recipient == "rita@example.org"
    assert mail.subject.startswith("Booking confirmed: Saal")
    assert outbox("booking_approved") == []


def test_approval_holds_the_slot_for_payment_when_payment_is_due(
        witten_manager, request_at_witten, restore_hooks, app):
    restore_hooks.register("payment_required", lambda booking: True)
    booking = approve_booking(witten_manager, request_at_witten, now=NOW)
    assert booking.status == "held"
    # The request starts two weeks later: the booker has the whole payment window.
    hold_end = NOW + timedelta(hours=app.config["APPROVAL_PAYMENT_HOURS"])
    assert hold_end < request_at_witten.starts_at
    stored = fresh(booking.id)
    assert stored.hold_expires_at == hold_end
    assert (stored.decided_by_id, stored.decided_at, stored.sequence) == (
        witten_manager.id, NOW, 1)
    [entry] = audit_entries("booking.approved")
    assert entry.before["status"] == "requested" and entry.after["status"] == "held"
    assert entry.after["hold_expires_at"] == hold_end.isoformat()
    [mail] = outbox("booking_approved")
    assert mail.recipient == "rita@example.org"
    assert "please pay" in mail.subject
    assert "Saal" in mail.body_text
    # The booking's page (where "Pay now" always gets a valid Checkout), no Stripe link.
    assert f"/bookings/{booking.id}\n" in mail.body_text
    assert "stripe" not in mail.body_text.lower()
    assert outbox("booking_confirmed") == []


@pytest.mark.parametrize("starts_in, held_for", [
    (timedelta(hours=5), timedelta(hours=5)),           # the hold ends at the start
    (timedelta(minutes=10), None),                      # too near: BOOKING_HOLD_MINUTES
])
def test_approval_shortly_before_the_start_holds_no_longer_than_to_the_start(
        make, witten_manager, event_space, requester, restore_hooks, app, starts_in,
        held_for):
    restore_hooks.register("payment_required", lambda booking: True)
    request = make.booking(event_space, user=requester, status="requested",
                           starts_at=NOW + starts_in, ends_at=NOW + starts_in + timedelta(hours=2),
                           created_at=NOW - timedelta(days=1))
    approve_booking(witten_manager, request, now=NOW)
    held_for = held_for or timedelta(minutes=app.config["BOOKING_HOLD_MINUTES"])
    assert fresh(request.id).hold_expires_at == NOW + held_for


def test_rejection_needs_a_reason_and_writes_nothing_without_one(
        witten_manager, request_at_witten, counts):
    before = counts()
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError) as caught:
            reject_booking(witten_manager, request_at_witten, now=NOW, reason=reason)
        assert "reason" in caught.value.fields
    assert counts() == before
    assert fresh(request_at_witten.id).status == "requested"


def test_rejection_frees_the_slot_and_tells_the_requester_why(
        witten_manager, request_at_witten):
    reject_booking(witten_manager, request_at_witten, now=NOW, reason="Room is being painted")
    stored = fresh(request_at_witten.id)
    assert stored.status == "rejected"
    assert stored.status_reason == "Room is being painted"
    free = blocking_ranges([stored.unit_id], stored.starts_at, stored.ends_at, NOW)
    assert free[stored.unit_id] == []
    [mail] = outbox("booking_rejected")
    assert "Room is being painted" in mail.body_text
    # The calendar event that the request mail added is taken back.
    [calendar] = mail.attachments
    assert "METHOD:CANCEL" in calendar["text"]
    [entry] = audit_entries("booking.rejected")
    assert entry.after["reason"] == "Room is being painted"


def test_a_decided_request_cannot_be_decided_again(witten_manager, request_at_witten):
    approve_booking(witten_manager, request_at_witten, now=NOW)
    for decide in (lambda: approve_booking(witten_manager, request_at_witten, now=NOW),
                   lambda: reject_booking(witten_manager, request_at_witten, now=NOW,
                                          reason="late")):
        with pytest.raises(InvalidTransition) as caught:
            decide()
        assert caught.value.message_key == "already_decided"
    assert len(audit_entries("booking.approved")) == 1
    assert len(outbox()) == 1


def test_only_managers_of_the_site_and_chamber_admins_decide(
        make, herne_manager, request_at_witten, requester):
    for outsider in (herne_manager, requester):
        with pytest.raises(NotAllowed):
            approve_booking(outsider, request_at_witten, now=NOW)
    assert fresh(request_at_witten.id).status == "requested"
    admin = make.user(role="admin")
    assert approve_booking(admin, request_at_witten, now=NOW).status == "confirmed"


def test_several_requests_are_decided_each_on_its_own(
        make, witten_manager, event_space, requester, request_at_witten):
    other = make.booking(event_space, user=requester, status="requested",
                         starts_at=berlin(2027, 3, 17, 14), ends_at=berlin(2027, 3, 17, 16))
    decided = make.booking(event_space, user=requester, status="confirmed",
                           starts_at=berlin(2027, 3, 18, 14), ends_at=berlin(2027, 3, 18, 16))
    with pytest.raises(ValidationError):
        decide_bookings(witten_manager, [other.id], "reject", now=NOW)
    outcomes = decide_bookings(witten_manager, [request_at_witten.id, decided.id, other.id],
                               "reject", now=NOW, reason="Fully booked that week")
    assert [outcome.ok for outcome in outcomes] == [True, False, True]
    assert outcomes[1].error.message_key == "already_decided"
    assert fresh(request_at_witten.id).status == "rejected"
    assert fresh(other.id).status == "rejected"
    assert fresh(decided.id).status == "confirmed"
    assert len(outbox("booking_rejected")) == 2


# --- two managers at the same moment --------------------------------------------------------

def test_approve_and_reject_at_the_same_moment_end_in_exactly_one_decision(
        app, make, witten, witten_manager, event_space, requester):
    second_manager = make.user(role="manager", sites=[witten])
    manager_ids = [witten_manager.id, second_manager.id]
    booking_ids = [
        make.booking(event_space, user=requester, status="requested",
                     starts_at=berlin(2027, 3, 15 + n, 10),
                     ends_at=berlin(2027, 3, 15 + n, 12)).id
        for n in range(3)
    ]
    db.session.commit()

    for booking_id in booking_ids:
        barrier = threading.Barrier(2)
        results = [None, None]

        def decide(index):
            with app.app_context():
                try:
                    actor = db.session.get(User, manager_ids[index])
                    booking = db.session.get(Booking, booking_id)
                    # SQLite takes its write lock when a transaction begins: hold none
                    # while waiting for the other thread.
                    db.session.commit()
                    barrier.wait(timeout=30)
                    if index == 0:
                        results[index] = approve_booking(actor, booking, now=NOW).status
                    else:
                        results[index] = reject_booking(actor, booking, now=NOW,
                                                        reason="No").status
                except Exception as error:  # noqa: BLE001 - inspected below
                    results[index] = error
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if isinstance(r, InvalidTransition)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].message_key == "already_decided"
        stored = fresh(booking_id)
        assert stored.status == won[0]
        decisions = [entry for entry in audit_entries()
                     if entry.subject_id == booking_id
                     and entry.action in ("booking.approved", "booking.rejected")]
        assert len(decisions) == 1
        mails = [mail for mail in outbox() if mail.kind in ("booking_confirmed",
                                                            "booking_rejected")]
        assert len(mails) == booking_ids.index(booking_id) + 1
        db.session.rollback()


# --- overdue ----------------------------------------------------------------------------------

@pytest.mark.parametrize("requested_on, due_on", [
    (date(2027, 3, 1), date(2027, 3, 8)),    # Monday -> the Monday after
    (date(2027, 3, 5), date(2027, 3, 12)),   # Friday -> the Friday after
    (date(2027, 3, 6), date(2027, 3, 12)),   # Saturday: Monday..Friday count
    (date(2027, 3, 3), date(2027, 3, 10)),   # Wednesday -> the Wednesday after
])
def test_the_decision_is_due_after_five_working_days(requested_on, due_on):
    assert decision_due_on(requested_on, 5) == due_on


def test_overdue_requests_are_flagged_never_approved(
        app, make, witten, witten_manager, event_space, requester, browser):
    old = make.booking(event_space, user=requester, status="requested",
                       starts_at=berlin(2027, 4, 6, 10), ends_at=berlin(2027, 4, 6, 12),
                       created_at=berlin(2027, 3, 1, 17), purpose="Old request")
    new = make.booking(event_space, user=requester, status="requested",
                       starts_at=berlin(2027, 4, 7, 10), ends_at=berlin(2027, 4, 7, 12),
                       created_at=berlin(2027, 3, 5, 9), purpose="New request")
    assert not is_overdue(old, berlin(2027, 3, 8, 23, 59))
    assert is_overdue(old, berlin(2027, 3, 9, 0, 0))
    assert not is_overdue(new, berlin(2027, 3, 9, 0, 0))
    queue = approval_queue(witten, berlin(2027, 3, 9, 8))
    assert [(item.booking.id, item.overdue) for item in queue] == [(old.id, True), (new.id, False)]
    app.config["REQUEST_DECISION_WORKING_DAYS"] = 2
    try:
        assert is_overdue(new, berlin(2027, 3, 10, 0, 0))  # Fri + Mon, Tue -> Wed overdue
        assert not is_overdue(new, berlin(2027, 3, 9, 23, 0))
    finally:
        app.config["REQUEST_DECISION_WORKING_DAYS"] = 5
    # The pages use the real clock: a request made weeks ago is flagged, today's is not,
    # and nothing is decided by itself.
    old.created_at = utcnow() - timedelta(days=30)
    new.created_at = utcnow()
    db.session.commit()
    browser.login(witten_manager)
    page = browser.get("/manage/witten/requests", query_string={"lang": "en"})
    text = page.get_data(as_text=True)
    assert f'id="request-{old.id}" class="overdue"' in text
    assert f'id="request-{new.id}">' in text
    assert fresh(old.id).status == "requested" and fresh(new.id).status == "requested"
    overview = browser.get("/manage/witten").get_data(as_text=True)
    assert "1 overdue" in overview


# --- the queue page -------------------------------------------------------------------------

def test_the_queue_lists_requests_oldest_first_with_everything_needed(
        make, witten, witten_manager, event_space, requester, request_at_witten, browser):
    newer = make.booking(event_space, user=requester, status="requested",
                         starts_at=berlin(2027, 3, 23, 10), ends_at=berlin(2027, 3, 23, 12),
                         created_at=NOW + timedelta(hours=1), purpose="Second request",
                         price={"net_cents": 10000, "vat_cents": 1900, "gross_cents": 11900,
                                "currency": "EUR"})
    make.closure(witten, date(2027, 3, 23), reason="Maintenance")
    browser.login(witten_manager)
    page = browser.get("/manage/witten/requests", query_string={"lang": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("Tasting evening") < text.index("Second request")
    for expected in ("Rita Röster", "rita@example.org", "Ruhrbeans Kaffeerösterei", "119.00"):
        assert expected in text
    assert "The lab is closed on" in text  # the closure added after the request
    assert f'value="{newer.id}:approve"' in text


def test_deciding_from_the_queue_one_by_one_and_several_at_once(
        make, witten_manager, event_space, requester, request_at_witten, browser, counts):
    second = make.booking(event_space, user=requester, status="requested",
                          starts_at=berlin(2027, 3, 17, 10), ends_at=berlin(2027, 3, 17, 12))
    third = make.booking(event_space, user=requester, status="requested",
                         starts_at=berlin(2027, 3, 18, 10), ends_at=berlin(2027, 3, 18, 12))
    browser.login(witten_manager)
    before = counts()
    refused = browser.post("/manage/witten/requests",
                           data={"single": f"{request_at_witten.id}:reject"})
    assert refused.status_code == 422
    assert counts() == before
    done = browser.post("/manage/witten/requests",
                        data={"single": f"{request_at_witten.id}:reject",
                              f"reason-{request_at_witten.id}": "Private event that day"})
    assert done.status_code == 302
    assert fresh(request_at_witten.id).status_reason == "Private event that day"
    both = browser.post("/manage/witten/requests",
                        data={"bulk": "approve", "ids": [str(second.id), str(third.id)]})
    assert both.status_code == 302
    assert {fresh(second.id).status, fresh(third.id).status} == {"confirmed"}


def test_a_herne_manager_cannot_approve_a_witten_request_on_the_web(
        herne_manager, request_at_witten, browser, counts):
    browser.login(herne_manager)
    before = counts()
    assert browser.get("/manage/witten/requests").status_code == 403
    response = browser.post("/manage/witten/requests",
                            data={"single": f"{request_at_witten.id}:approve"})
    assert response.status_code == 403
    # Through their own site's page the Witten request is not found either.
    response = browser.post("/manage/herne/requests",
                            data={"single": f"{request_at_witten.id}:approve"})
    assert response.status_code in (403, 404)
    assert counts() == before
    assert fresh(request_at_witten.id).status == "requested"


# --- the API --------------------------------------------------------------------------------

def _bearer(user):
    return {"Authorization": f"Bearer {issue_api_token(user)}"}


def test_api_approve_then_approve_again_is_already_decided(client, witten_manager,
                                                          request_at_witten):
    headers = _bearer(witten_manager)
    url = f"/api/v1/bookings/{request_at_witten.id}/approve"
    response = client.post(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["id"], body["status"], body["site"]) == (request_at_witten.id, "confirmed",
                                                          "witten")
    again = client.post(url, headers={**headers, "Accept-Language": "en"})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert "already been decided" in error["message"]


def test_api_reject_needs_a_reason(client, witten_manager, request_at_witten, counts):
    headers = _bearer(witten_manager)
    url = f"/api/v1/bookings/{request_at_witten.id}/reject"
    before = counts()
    response = client.post(url, headers=headers, json={})
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["details"]["fields"]
    assert client.post(url, headers=headers, json={"reason": 5}).status_code == 422
    assert counts() == before
    response = client.post(url, headers=headers, json={"reason": "Double event"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"


def test_api_a_herne_manager_gets_403_for_a_witten_request(client, herne_manager,
                                                           request_at_witten, counts):
    headers = _bearer(herne_manager)
    before = counts()
    for action, body in (("approve", None), ("reject", {"reason": "no"})):
        response = client.post(f"/api/v1/bookings/{request_at_witten.id}/{action}",
                               headers=headers, json=body)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert counts() == before
    assert client.post("/api/v1/bookings/999999/approve", headers=headers).status_code == 404
