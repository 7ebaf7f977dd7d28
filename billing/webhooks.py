"""``POST /billing/stripe/webhook``: Stripe tells us what happened to a Checkout Session.

The signature is checked with the official SDK (400 when it is bad). Each event id is
processed at most once: its row in ``processed_stripe_events`` is written in the same
transaction as the change, and its primary key turns a concurrent replay into a no-op.
The session's current state is fetched from Stripe, so events may arrive in any order.
A session may pay several bookings (a series paid at once): the event acts on all of them.
Events we do not handle are answered 200 (Stripe would retry anything else).
"""
import logging

import sqlalchemy as sa
import stripe
from flask import Blueprint, jsonify, request
from sqlalchemy.exc import IntegrityError

from billing import checkout, stripe_gateway
from billing.models import Payment, ProcessedStripeEvent
from core.audit import record
from core.db import run_in_transaction
from core.time import utcnow
from extensions import csrf, db

log = logging.getLogger(__name__)
bp = Blueprint("billing_webhooks", __name__, url_prefix="/billing")
csrf.exempt(bp)

SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


def already_processed(event_id):
    return db.session.get(ProcessedStripeEvent, event_id) is not None


def process_event(event, now):
    """Handle one verified event at most once; returns the outcome (also stored)."""
    if already_processed(event.id):
        return "duplicate"
    session = None
    if event.type in SESSION_EVENTS:
        # The current state, not the event's snapshot: later events may have overtaken it.
        session = stripe_gateway.retrieve_checkout_session(event.data.object.id)

    def work():
        if already_processed(event.id):
            return "duplicate"
        marker = ProcessedStripeEvent(event_id=event.id, event_type=event.type,
                                      outcome="ignored", processed_at=now)
        db.session.add(marker)
        db.session.flush()
        if session is None:
            return "ignored"
        outcome = checkout.apply_session(session, event.type, now)
        marker.outcome = outcome
        payments = db.session.scalars(
            sa.select(Payment).where(Payment.checkout_session_id == session.id)
            .order_by(Payment.id)).all()
        if payments:
            # One entry per event, on the first row; a shared (series) session names all.
            after = {"event_id": event.id, "type": event.type, "outcome": outcome}
            if len(payments) > 1:
                after["booking_ids"] = [payment.booking_id for payment in payments]
            record("stripe.event", payments[0], now=now,
                   site_id=payments[0].booking.unit.site_id, after=after)
        return outcome

    try:
        return run_in_transaction(work)
    except IntegrityError:
        if already_processed(event.id):
            return "duplicate"
        raise


@bp.post("/stripe/webhook")
def stripe_webhook():
    payload = request.get_data()
    try:
        event = stripe_gateway.verify_event(payload, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        log.warning("Stripe webhook with a bad signature refused")
        return jsonify({"error": "bad signature"}), 400
    outcome = process_event(event, utcnow())
    log.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
    return jsonify({"received": True, "outcome": outcome})
