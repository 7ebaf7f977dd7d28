"""Stripe Checkout for held bookings, the webhook, late payments, refunds, pay on site.

The official stripe SDK talks to a local Stripe-compatible server (tests/stripe_server.py);
webhooks are signed with a test secret exactly as Stripe signs them.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from billing.charges import invoice_lines
from billing.checkout import start_checkout
from billing.models import CancellationCharge, Payment, ProcessedStripeEvent
from bookings.models import Booking
from bookings.services import cancel_booking, create_booking
from core.models import AuditEntry, OutboxMessage
from core.time import utcnow
from extensions import db
from tests.api.conftest import local
from tests.billing.conftest import (WEBHOOK_SECRET, hours_on, next_weekday, set_price)
from tests.stripe_server import sign

WEBHOOK = "/billing/stripe/webhook"


@pytest.fixture
def desk(make):
    unit = make.unit(make.site(), "desk", max_length=12)
    set_price(unit, 1_000, free_hours=48, fee_bp=5000)  # 2 hours: 20.00 + 3.80 VAT
    return unit


def deliver(client, server, event_type, session_id, **kwargs):
    payload, headers = server.signed_event(event_type, session_id, WEBHOOK_SECRET, **kwargs)
    return client.post(WEBHOOK, data=payload, headers=headers)


def fresh(model, row_id):
    db.session.rollback()
    return db.session.get(model, row_id)


def held_booking(user, desk, *, now=None, day=None):
    starts_at, ends_at = hours_on(day or next_weekday(1), 9, 11)
    booking = create_booking(user, unit=desk, starts_at=starts_at, ends_at=ends_at,
                             now=now or utcnow(), terms_accepted=True)
    assert booking.status == "held"
    payment = start_checkout(booking, now or utcnow())
    return booking.id, payment.checkout_session_id


def actions():
    db.session.rollback()
    return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


def mails(kind):
    db.session.rollback()
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def test_hold_then_paid_then_confirmed(api, client, make, desk, stripe_server):
    user = make.user()
    day = next_weekday(1)
    answer = api.as_user(user).post("/bookings", json={
        "unit_id": desk.id, "start": local(day, 9), "end": local(day, 11),
        "terms_accepted": True})
    assert answer.status_code == 201, answer.get_json()
    booking = answer.get_json()
    assert booking["status"] == "held" and booking["hold_expires_at"]
    assert booking["price"]["gross_cents"] == 2_380
    assert booking["checkout_url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")

    [created] = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert created.params["line_items[0][price_data][unit_amount]"] == "2380"
    assert created.params["line_items[0][price_data][currency]"] == "eur"
    assert created.params["metadata[booking_id]"] == str(booking["id"])
    assert {created.params["payment_method_types[0]"],
            created.params["payment_method_types[1]"]} == {"card", "sepa_debit"}
    assert created.idempotency_key and str(booking["id"]) in created.idempotency_key
    assert created.authorization == "Bearer sk_test_local"

    again = api.get(f"/bookings/{booking['id']}").get_json()
    assert again["checkout_url"] == booking["checkout_url"]
    assert len(stripe_server.requests_to("POST", "/v1/checkout/sessions")) == 1

    session_id = booking["checkout_url"].rsplit("/", 1)[1]
    stripe_server.complete(session_id)
    response = deliver(client, stripe_server, "checkout.session.completed", session_id)
    assert response.status_code == 200
    confirmed = api.get(f"/bookings/{booking['id']}").get_json()
    assert confirmed["status"] == "confirmed" and confirmed["checkout_url"] is None
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.status, payment.payment_intent) == ("paid", f"pi_{session_id[3:]}")
    assert {"payment.checkout_started", "payment.paid", "booking.paid", "stripe.event"} \
        <= set(actions())


def test_a_bad_signature_is_refused_and_changes_nothing(client, make, desk, stripe_server,
                                                        counts):
    booking_id, session_id = held_booking(make.user(), desk)
    stripe_server.complete(session_id)
    before = counts()
    payload, headers = stripe_server.signed_event("checkout.session.completed", session_id,
                                                  "whsec_someone_else")
    assert client.post(WEBHOOK, data=payload, headers=headers).status_code == 400
    tampered = payload.replace('"livemode": false', '"livemode": true')
    good_header = sign(payload, WEBHOOK_SECRET)
    assert client.post(WEBHOOK, data=tampered,
                       headers={"Stripe-Signature": good_header}).status_code == 400
    assert client.post(WEBHOOK, data=payload).status_code == 400  # no header at all
    old = sign(payload, WEBHOOK_SECRET, timestamp=int(utcnow().timestamp()) - 3600)
    assert client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": old}).status_code \
        == 400
    assert counts() == before
    assert fresh(Booking, booking_id).status == "held"


def test_a_replayed_event_changes_nothing(client, make, desk, stripe_server):
    user = make.user()
    booking_id, session_id = held_booking(user, desk)
    stripe_server.complete(session_id)
    payload, headers = stripe_server.signed_event("checkout.session.completed", session_id,
                                                  WEBHOOK_SECRET, event_id="evt_once")
    assert client.post(WEBHOOK, data=payload, headers=headers).get_json()["outcome"] \
        == "confirmed"
    cancel_booking(user, fresh(Booking, booking_id), now=utcnow())
    audit_before = len(actions())
    refunds_before = len(stripe_server.refunds)
    replay = client.post(WEBHOOK, data=payload, headers=headers)
    assert replay.status_code == 200 and replay.get_json()["outcome"] == "duplicate"
    assert fresh(Booking, booking_id).status == "cancelled"
    assert len(actions()) == audit_before
    assert len(stripe_server.refunds) == refunds_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessedStripeEvent)) == 1


def test_events_out_of_order_end_in_the_right_state(client, make, desk, stripe_server):
    booking_id, session_id = held_booking(make.user(), desk)
    # SEPA: the session completes unpaid; the debit clears later.
    stripe_server.complete(session_id, paid=False)
    early_payload, early_headers = stripe_server.signed_event(
        "checkout.session.completed", session_id, WEBHOOK_SECRET)
    stripe_server.debit_cleared(session_id)
    late = deliver(client, stripe_server, "checkout.session.async_payment_succeeded", session_id)
    assert late.get_json()["outcome"] == "confirmed"
    # The older "completed" (unpaid) event arrives last: it must not undo anything.
    stale = client.post(WEBHOOK, data=early_payload, headers=early_headers)
    assert stale.status_code == 200 and stale.get_json()["outcome"] == "already_paid"
    # So must a stray "expired" event.
    assert deliver(client, stripe_server, "checkout.session.expired", session_id) \
        .status_code == 200
    assert fresh(Booking, booking_id).status == "confirmed"
    assert db.session.scalar(sa.select(Payment)).status == "paid"


def test_sepa_debit_under_way_keeps_the_slot(client, make, desk, stripe_server):
    booking_id, session_id = held_booking(make.user(), desk)
    stripe_server.complete(session_id, paid=False)
    answer = deliver(client, stripe_server, "checkout.session.completed", session_id)
    assert answer.get_json()["outcome"] == "processing"
    booking = fresh(Booking, booking_id)
    assert booking.status == "held"
    assert booking.hold_expires_at > utcnow() + timedelta(hours=100)
    failed = deliver(client, stripe_server, "checkout.session.async_payment_failed", session_id)
    assert failed.get_json()["outcome"] == "released"
    assert fresh(Booking, booking_id).status == "expired"
    assert db.session.scalar(sa.select(Payment)).status == "failed"


def test_an_expired_session_releases_the_hold_once_the_hold_is_over(client, make, desk,
                                                                      stripe_server):
    booking_id, session_id = held_booking(make.user(), desk,
                                          now=utcnow() - timedelta(hours=1))
    assert fresh(Booking, booking_id).hold_expires_at < utcnow()
    stripe_server.expire(session_id)
    assert deliver(client, stripe_server, "checkout.session.expired", session_id) \
        .get_json()["outcome"] == "released"
    assert fresh(Booking, booking_id).status == "expired"


def test_ignored_events_are_answered_200(client, stripe_server):
    payload = '{"id": "evt_x", "object": "event", "type": "customer.created", ' \
              '"data": {"object": {"id": "cus_1", "object": "customer"}}}'
    answer = client.post(WEBHOOK, data=payload,
                         headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)})
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "ignored"


def test_late_payment_confirms_when_the_slot_is_still_free(client, make, desk, stripe_server):
    an_hour_ago = utcnow() - timedelta(hours=1)
    booking_id, session_id = held_booking(make.user(), desk, now=an_hour_ago)
    assert fresh(Booking, booking_id).hold_expires_at < utcnow()
    stripe_server.complete(session_id)
    answer = deliver(client, stripe_server, "checkout.session.completed", session_id)
    assert answer.get_json()["outcome"] == "confirmed_late"
    assert fresh(Booking, booking_id).status == "confirmed"
    assert stripe_server.refunds == []


def test_late_payment_for_a_taken_slot_is_refunded_and_the_booker_told(client, make, desk,
                                                                       stripe_server):
    late_payer = make.user(email="late@example.org")
    day = next_weekday(1)
    booking_id, session_id = held_booking(late_payer, desk, now=utcnow() - timedelta(hours=1),
                                          day=day)
    starts_at, ends_at = hours_on(day, 9, 11)
    winner = create_booking(make.user(), unit=desk, starts_at=starts_at, ends_at=ends_at,
                            now=utcnow(), terms_accepted=True)
    assert winner.status == "held"
    stripe_server.complete(session_id)
    answer = deliver(client, stripe_server, "checkout.session.completed", session_id)
    assert answer.get_json()["outcome"] == "refunded"
    [refund] = stripe_server.refunds
    assert refund["amount"] == 2_380 and refund["payment_intent"] == f"pi_{session_id[3:]}"
    [request] = stripe_server.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key and request.params["metadata[booking_id]"] == str(booking_id)
    assert fresh(Booking, booking_id).status == "expired"
    assert db.session.scalar(sa.select(Payment).where(Payment.booking_id == booking_id)) \
        .status == "refunded"
    [mail] = mails("payment_refunded")
    assert mail.recipient == "late@example.org" and "23.80" in mail.body_text
    assert "payment.refunded" in actions()


def test_cancelling_a_paid_booking_refunds_under_the_policy(client, make, desk, stripe_server):
    user = make.user()
    booking_id, session_id = held_booking(user, desk)
    stripe_server.complete(session_id)
    deliver(client, stripe_server, "checkout.session.completed", session_id)
    booking = fresh(Booking, booking_id)
    # 24 hours before the start: inside the 48 hours, so 50 % of the net is kept.
    cancel_booking(user, booking, now=booking.starts_at - timedelta(hours=24))
    [refund] = stripe_server.refunds
    assert refund["amount"] == 2_380 - (1_000 + 190)
    charge = db.session.scalar(sa.select(CancellationCharge))
    assert (charge.fee_net_cents, charge.fee_vat_cents, charge.refund_cents) == \
        (1_000, 190, 1_190)
    [line] = invoice_lines(fresh(Booking, booking_id))
    assert (line["kind"], line["net_cents"], line["vat_cents"]) == ("cancellation_fee", 1_000,
                                                                    190)


def test_cancelling_early_refunds_everything(client, make, desk, stripe_server):
    user = make.user()
    booking_id, session_id = held_booking(user, desk)
    stripe_server.complete(session_id)
    deliver(client, stripe_server, "checkout.session.completed", session_id)
    booking = fresh(Booking, booking_id)
    cancel_booking(user, booking, now=booking.starts_at - timedelta(hours=72))
    assert [refund["amount"] for refund in stripe_server.refunds] == [2_380]
    assert invoice_lines(fresh(Booking, booking_id)) == []


def test_without_stripe_bookings_are_confirmed_and_billed_on_account(api, make, desk):
    day = next_weekday(1)
    answer = api.as_user(make.user()).post("/bookings", json={
        "unit_id": desk.id, "start": local(day, 9), "end": local(day, 11),
        "terms_accepted": True})
    booking = answer.get_json()
    assert answer.status_code == 201
    assert booking["status"] == "confirmed" and booking["checkout_url"] is None
    assert booking["price"]["settlement"] == "invoice"
    assert booking["price"]["gross_cents"] == 2_380
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    [line] = invoice_lines(fresh(Booking, booking["id"]))
    assert (line["kind"], line["net_cents"], line["vat_cents"]) == ("booking", 2_000, 380)


def test_organisations_on_account_do_not_pay_at_checkout(api, make, desk, stripe_server):
    partner = make.organisation(kind="partner")
    user = make.user(organisation=partner)
    day = next_weekday(1)
    booking = api.as_user(user).post("/bookings", json={
        "unit_id": desk.id, "start": local(day, 9), "end": local(day, 11),
        "organisation_id": partner.id, "terms_accepted": True}).get_json()
    assert booking["status"] == "confirmed" and booking["price"]["settlement"] == "invoice"
    assert stripe_server.requests == []
