"""Paying a held booking through Stripe Checkout, and what a payment's fate does to it.

- ``start_checkout`` creates (once per booking: unique row, idempotency key) the Checkout
  Session and maps it to the booking in ``payments``; while the hold lasts, a session that
  expired is replaced by a new one (same row, ``payment.checkout_renewed``), after a look
  at its real state: one that was paid meanwhile is applied instead. Until its stored
  expiry a session is handed out without asking Stripe (no request per page view).
- ``apply_session`` acts on a session's *current* state (fetched from Stripe, never taken
  from an event alone), so replays and events out of order end in the same place:
  paid -> the booking is confirmed; a payment after the hold lapsed confirms it if the slot
  is still free and is refunded in full otherwise (the booker is told); failed -> the hold
  is released; expired -> the hold is released once it is over (until then the booking
  stays held and the next "Pay now" renews the session).
- ``start_series_checkout`` pays the held occurrences of a series at once: one session with
  a line item per occurrence, shared by their Payment rows (one per booking, each with its
  own amount, so refunds stay per occurrence); ``apply_session`` acts on every row of a
  session, so a late occurrence whose slot was taken is refunded its own share.
- ``settle_cancellation`` applies the unit's cancellation policy: a fee, the rest refunded.
Every change writes an audit entry in the same transaction.
"""
import hashlib
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from accounts import policy
from billing import funding, pricing, stripe_gateway
from billing.models import CancellationCharge, Payment, PaymentRefund, PaymentStatus
from billing.quoting import CHECKOUT
from bookings import signals
from bookings.availability import blocking_ranges
from bookings.display import describe_period
from bookings.models import Booking, BookingStatus
from bookings.writing import change_status, expire_lapsed_holds, lock_booking
from core.audit import record
from core.time import UTC
from core.urls import absolute_url
from core.db import is_postgresql, run_in_transaction, savepoint
from core.outbox import enqueue_mail
from extensions import db

log = logging.getLogger(__name__)
# Stripe accepts expiry times from 30 minutes up to 24 hours after the session's creation.
SESSION_LIFETIME = timedelta(minutes=31)
SESSION_MAX_LIFETIME = timedelta(hours=24)
# ``apply_session``'s event type when a session's state was looked up before a renewal.
RENEWAL_CHECK = "checkout.session.renewal_check"


def payment_of(booking_id, *, lock=False):
    query = sa.select(Payment).where(Payment.booking_id == booking_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def needs_checkout(booking, now):
    return (booking.status == BookingStatus.HELD and booking.blocks_at(now)
            and (booking.price or {}).get("settlement") == CHECKOUT)


def session_expires_at(booking, now):
    """When a session created ``now`` should expire: with the hold, within Stripe's limits
    (at least SESSION_LIFETIME, at most SESSION_MAX_LIFETIME from now)."""
    latest = now + SESSION_MAX_LIFETIME
    hold_end = booking.hold_expires_at or latest
    return max(min(hold_end, latest), now + SESSION_LIFETIME)


def _create_session(booking, now, attempt):
    # Per booking and attempt: ids are never reused together with the same creation time.
    key = f"checkout-booking-{booking.id}-{int(booking.created_at.timestamp())}"
    return stripe_gateway.create_checkout_session(
        booking_id=booking.id, amount_cents=booking.price["payable_cents"],
        description=", ".join(line["description"] for line in booking.price["lines"]),
        customer_email=booking.booked_by.email if booking.booked_by else None,
        success_url=absolute_url("bookings.detail", booking_id=booking.id, paid=1),
        cancel_url=absolute_url("bookings.detail", booking_id=booking.id),
        expires_at=session_expires_at(booking, now), attempt=attempt,
        idempotency_key=key if attempt == 1 else f"{key}-attempt-{attempt}",
    )


def _new_payment(booking_id, session, amount, now, **audit):
    """A Payment row for the booking's first session (audit ``payment.checkout_started``)."""
    payment = Payment(booking_id=booking_id, checkout_session_id=session.id,
                      checkout_url=session.url, status=PaymentStatus.OPEN,
                      session_expires_at=_expiry_of(session),
                      amount_cents=amount, currency="eur", created_at=now, updated_at=now)
    db.session.add(payment)
    db.session.flush()
    record("payment.checkout_started", payment, now=now,
           after={"booking_id": booking_id, "checkout_session_id": session.id,
                  "amount_cents": amount, **audit})
    return payment


def _attach_session(payment, session, now):
    """Point ``payment`` (in place) at a new open ``session``; returns the state before."""
    before = {"checkout_session_id": payment.checkout_session_id, "status": str(payment.status)}
    payment.checkout_session_id = session.id
    payment.checkout_url = session.url
    payment.session_expires_at = _expiry_of(session)
    payment.status = PaymentStatus.OPEN
    payment.updated_at = now
    db.session.flush()
    return before


def _first_session(booking, now):
    session = _create_session(booking, now, attempt=1)
    booking_id, amount = booking.id, booking.price["payable_cents"]

    def work():
        return _new_payment(booking_id, session, amount, now)

    try:
        return run_in_transaction(work)
    except IntegrityError:
        # A concurrent request stored the same session (same idempotency key) first.
        return payment_of(booking_id)


def _expiry_of(session):
    expires_at = session.get("expires_at")
    return datetime.fromtimestamp(expires_at, UTC) if expires_at else None


def _known_usable(payment, now):
    """An open session whose expiry (stored at its creation) is still ahead: handed out as
    it is, without a request to Stripe on every page view."""
    return (payment.status == PaymentStatus.OPEN and payment.session_expires_at is not None
            and payment.session_expires_at > now)


def _session_usable(session, now):
    return session.get("status") == "open" and session.get("expires_at", 0) > now.timestamp()


def _attempt_of(session):
    return int((session.get("metadata") or {}).get("checkout_attempt") or 1)


def _renew(booking, old, now):
    """Replace the booking's expired session ``old`` by a new one (the Payment row is
    updated in place: one row per booking)."""
    attempt = _attempt_of(old) + 1
    session = _create_session(booking, now, attempt)
    booking_id, site_id = booking.id, booking.unit.site_id

    def work():
        payment = payment_of(booking_id, lock=True)
        if payment.checkout_session_id != old.id:
            return payment  # renewed (or settled) meanwhile by a concurrent request
        before = _attach_session(payment, session, now)
        record("payment.checkout_renewed", payment, site_id=site_id, now=now, before=before,
               after={"booking_id": booking_id, "checkout_session_id": session.id,
                      "status": "open", "attempt": attempt})
        return payment

    return run_in_transaction(work)


def start_checkout(booking, now):
    """The usable Checkout Session of a held booking: created on first use, renewed while
    the hold lasts when the last one expired (after a look at its real state: a session
    that was completed meanwhile is applied instead). Returns the Payment, or None when no
    payment is due. Raises PaymentProviderError."""
    payment = payment_of(booking.id)
    if not needs_checkout(booking, now):
        return payment
    if payment is None:
        return _first_session(booking, now)
    if payment.status not in (PaymentStatus.OPEN, PaymentStatus.EXPIRED) or _known_usable(
            payment, now):
        return payment
    session = stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)
    if _session_usable(session, now):
        return payment
    if session.get("status") == "complete":
        run_in_transaction(lambda: apply_session(session, RENEWAL_CHECK, now))
        return payment_of(booking.id)
    return _renew(booking, session, now)


def checkout_url(booking, now):
    """Where the booker pays, while payment is due; None otherwise (or if Stripe is down:
    the booking stays held and the next request tries again)."""
    if not needs_checkout(booking, now):
        return None
    try:
        payment = start_checkout(booking, now)
    except stripe_gateway.PaymentProviderError:
        return None
    if payment is None or payment.status != PaymentStatus.OPEN:
        return None
    return payment.checkout_url


# --- a series paid at once -----------------------------------------------------------------

def _series_payable(bookings, now):
    """(due, usable) among the occurrences that need checkout and whose payment is not
    under way: ``due`` lack a usable session ((booking, payment or None) pairs), ``usable``
    have one (their own or a shared one; known from its stored expiry)."""
    due, usable = [], []
    bookings = [booking for booking in bookings if needs_checkout(booking, now)]
    payments = {payment.booking_id: payment for payment in db.session.scalars(
        sa.select(Payment).where(Payment.booking_id.in_([booking.id for booking in bookings])))}
    for booking in bookings:
        payment = payments.get(booking.id)
        if payment is None:
            due.append((booking, None))
        elif _known_usable(payment, now):
            usable.append(payment)
        elif payment.status in (PaymentStatus.OPEN, PaymentStatus.EXPIRED):
            due.append((booking, payment))
    return due, usable


def _earlier_sessions(due, now):
    """The real state of the due occurrences' earlier sessions (one request per session);
    a completed one is applied (paid meanwhile, or a debit under way)."""
    sessions = {}
    for _booking, payment in due:
        if payment is not None and payment.checkout_session_id not in sessions:
            sessions[payment.checkout_session_id] = stripe_gateway.retrieve_checkout_session(
                payment.checkout_session_id)
    for session in sessions.values():
        if session.get("status") == "complete":
            run_in_transaction(lambda session=session: apply_session(session, RENEWAL_CHECK,
                                                                     now))
    return sessions


def _line_description(booking):
    unit = booking.unit
    return f"{unit.name}: {describe_period(booking.starts_at, booking.ends_at, unit.granularity)}"


def _create_series_session(series, due, attempt, now):
    bookings = [booking for booking, _payment in due]
    ids = [booking.id for booking in bookings]
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    return stripe_gateway.create_series_checkout_session(
        series_id=series.id, booking_ids=ids,
        lines=[(_line_description(booking), booking.price["payable_cents"])
               for booking in bookings],
        customer_email=bookings[0].booked_by.email if bookings[0].booked_by else None,
        success_url=absolute_url("bookings.series", series_id=series.id, paid=1),
        cancel_url=absolute_url("bookings.series", series_id=series.id),
        expires_at=min(session_expires_at(booking, now) for booking in bookings),
        attempt=attempt,
        idempotency_key=f"checkout-series-{series.id}-{digest}-attempt-{attempt}")


def _store_series_session(series_id, due, session, attempt, now):
    """Point the due occurrences' rows at the shared ``session``: new rows
    (``payment.checkout_started``) or, for an earlier session, in place
    (``payment.checkout_renewed``). A row changed meanwhile is left alone."""
    plan = [(booking.id, booking.unit.site_id, booking.price["payable_cents"],
             payment.checkout_session_id if payment else None) for booking, payment in due]

    def work():
        stored = []
        for booking_id, site_id, amount, old_session_id in plan:
            payment = payment_of(booking_id, lock=True)
            if payment is None:
                stored.append(_new_payment(booking_id, session, amount, now,
                                           series_id=series_id))
            elif payment.checkout_session_id == old_session_id:
                before = _attach_session(payment, session, now)
                payment.amount_cents = amount
                record("payment.checkout_renewed", payment, site_id=site_id, now=now,
                       before=before,
                       after={"booking_id": booking_id, "checkout_session_id": session.id,
                              "status": "open", "attempt": attempt, "amount_cents": amount,
                              "series_id": series_id})
                stored.append(payment)
        return stored

    try:
        return run_in_transaction(work)
    except IntegrityError:
        # A concurrent "Pay now" stored the same session (same idempotency key) first.
        return [payment_of(booking_id) for booking_id, *_rest in plan]


def start_series_checkout(series, now):
    """The Payment rows of the session that pays the series' held occurrences at once:
    the occurrences without a usable session get one new shared session (one line item
    each; an earlier expired session of theirs is looked at first and applied if it was
    completed). Without such occurrences, the rows of an existing usable session; an empty
    list when nothing is due. Raises PaymentProviderError."""
    bookings = sorted(series.bookings, key=lambda booking: (booking.starts_at, booking.id))
    due, usable = _series_payable(bookings, now)
    sessions = {}
    if due:
        sessions = _earlier_sessions(due, now)
        still_open = {key for key, session in sessions.items() if _session_usable(session, now)}
        due, usable = _series_payable(bookings, now)  # completed sessions were applied
        due = [(booking, payment) for booking, payment in due
               if payment is None or payment.checkout_session_id not in still_open]
    if not due:
        return [payment for payment in usable
                if payment.checkout_session_id == usable[0].checkout_session_id]
    attempt = 1 + max((_attempt_of(sessions.get(payment.checkout_session_id, {}))
                       for _booking, payment in due if payment is not None), default=0)
    session = _create_series_session(series, due, attempt, now)
    return _store_series_session(series.id, due, session, attempt, now)


def series_payment_due(series, now):
    """The occurrences of the series that "Pay now" pays (without asking Stripe)."""
    due, usable = _series_payable(series.bookings, now)
    return sorted([booking for booking, _payment in due] + [payment.booking for payment in usable],
                  key=lambda booking: (booking.starts_at, booking.id))


# --- the state of a session -----------------------------------------------------------------

def _mail_booker(booking, template, now, **context):
    user = booking.booked_by
    if user is None:
        return
    enqueue_mail(user.email, template, template, locale=user.locale, now=now, booking=booking,
                 unit=booking.unit, site=booking.unit.site, **context)


def _set_status(booking, status, now, action, **extra):
    change_status(booking, status, now=now, action=action, audit_extra=extra,
                  hold_expires_at=None)


def _slot_is_free(booking, now):
    expire_lapsed_holds([booking.unit_id], booking.starts_at, booking.ends_at, now)
    return not blocking_ranges([booking.unit_id], booking.starts_at, booking.ends_at,
                               now)[booking.unit_id]


def _reconfirm(booking, now):
    """Confirm a booking whose hold lapsed, if its slot is still free; True on success.
    On PostgreSQL the exclusion constraint has the last word over a concurrent booking."""
    if not _slot_is_free(booking, now):
        return False
    if not is_postgresql():
        _set_status(booking, BookingStatus.CONFIRMED.value, now, "booking.paid", late=True)
        return True
    try:
        with savepoint():
            _set_status(booking, BookingStatus.CONFIRMED.value, now, "booking.paid", late=True)
    except IntegrityError:
        db.session.refresh(booking)
        return False
    return True


def refund(payment, booking, amount_cents, reason, now):
    """Refund ``amount_cents`` of a paid payment through Stripe and record it."""
    amount_cents = min(amount_cents, payment.amount_cents - payment.refunded_cents)
    if amount_cents <= 0 or not payment.payment_intent:
        return None
    result = stripe_gateway.create_refund(
        payment_intent=payment.payment_intent, amount_cents=amount_cents,
        booking_id=booking.id, reason=reason,
        idempotency_key=f"refund-payment-{payment.id}-{reason}")  # a row per booking
    row = PaymentRefund(payment_id=payment.id, stripe_refund_id=result.id,
                        amount_cents=amount_cents, reason=reason, created_at=now)
    db.session.add(row)
    payment.refunded_cents += amount_cents
    if payment.refunded_cents >= payment.amount_cents:
        payment.status = PaymentStatus.REFUNDED
    payment.updated_at = now
    db.session.flush()
    record("payment.refunded", payment, site_id=booking.unit.site_id, now=now,
           after={"booking_id": booking.id, "refund_id": result.id,
                  "amount_cents": amount_cents, "reason": reason})
    return row


def _settle_paid(payment, booking, now):
    if booking.status == BookingStatus.CONFIRMED:
        return "already_confirmed"
    if booking.status == BookingStatus.HELD and booking.blocks_at(now):
        _set_status(booking, BookingStatus.CONFIRMED.value, now, "booking.paid")
        signals.booking_confirmed.send(booking, actor=None, now=now)
        return "confirmed"
    if booking.status in (BookingStatus.HELD, BookingStatus.EXPIRED) and _reconfirm(booking, now):
        funding.recommit_subsidy(booking, now)
        signals.booking_confirmed.send(booking, actor=None, now=now)
        return "confirmed_late"
    refund(payment, booking, payment.amount_cents, "slot_unavailable", now)
    _mail_booker(booking, "payment_refunded", now, amount_cents=payment.amount_cents,
                 late=True)
    return "refunded"


def _release(payment, booking, status, now):
    if payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
        payment.status = status
        payment.updated_at = now
    if booking.status != BookingStatus.HELD:
        return "nothing_held"
    _set_status(booking, BookingStatus.EXPIRED.value, now, "booking.expired",
                payment=str(status))
    funding.release_subsidy(booking, now)
    return "released"


def _session_expired(payment, booking, now):
    """An expired session ends the booking only with its hold: within the hold the booking
    stays held and the next "Pay now" renews the session (``start_checkout``)."""
    if booking.status == BookingStatus.HELD and booking.blocks_at(now):
        if payment.status == PaymentStatus.OPEN:
            payment.status = PaymentStatus.EXPIRED
            payment.updated_at = now
        return "session_expired_hold_kept"
    return _release(payment, booking, PaymentStatus.EXPIRED, now)


def apply_session(session, event_type, now):
    """Bring the bookings of a Checkout Session (one, or the occurrences of a series paid
    at once) in line with the session's current state, inside the caller's transaction.
    Returns a short outcome for the log (per outcome the number of rows when they differ)."""
    payments = db.session.scalars(
        sa.select(Payment).join(Payment.booking)
        .where(Payment.checkout_session_id == session.id)
        .order_by(Booking.starts_at, Booking.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    if not payments:
        return "unknown_session"
    outcomes = [_apply_to_payment(session, payment, event_type, now) for payment in payments]
    distinct = list(dict.fromkeys(outcomes))
    if len(distinct) == 1:
        return distinct[0]
    return ",".join(f"{outcome}:{outcomes.count(outcome)}" for outcome in distinct)[:64]


def _apply_to_payment(session, payment, event_type, now):
    """``apply_session`` for one booking's row of the session."""
    booking = lock_booking(payment.booking_id)
    intent = session.get("payment_intent")
    if isinstance(intent, str) and not payment.payment_intent:
        payment.payment_intent = intent
    if session.get("payment_status") == "paid":
        if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            return "already_paid"
        before = str(payment.status)
        payment.status = PaymentStatus.PAID
        payment.updated_at = now
        record("payment.paid", payment, site_id=booking.unit.site_id, now=now,
               before={"status": before}, after={"status": "paid", "event": event_type})
        return _settle_paid(payment, booking, now)
    if session.get("status") == "expired":
        return _session_expired(payment, booking, now)
    if event_type == "checkout.session.async_payment_failed":
        return _release(payment, booking, PaymentStatus.FAILED, now)
    if session.get("status") == "complete" and payment.status == PaymentStatus.OPEN:
        # SEPA direct debit: the debit clears within days; the slot waits for it.
        payment.status = PaymentStatus.PROCESSING
        payment.updated_at = now
        if booking.status == BookingStatus.HELD and booking.blocks_at(now):
            hours = current_app.config["STRIPE_ASYNC_HOLD_HOURS"]
            booking.hold_expires_at = max(booking.hold_expires_at, now + timedelta(hours=hours))
            booking.updated_at = now
        record("payment.processing", payment, site_id=booking.unit.site_id, now=now,
               after={"booking_id": booking.id, "hold_expires_at":
                      booking.hold_expires_at.isoformat() if booking.hold_expires_at else None})
        return "processing"
    return "ignored"


# --- cancellation --------------------------------------------------------------------------

def settle_cancellation(booking, *, actor, previous_status, now):
    """Apply the cancellation policy inside the cancelling transaction: the subsidy goes
    back to its programme; a confirmed booking cancelled by its booker inside the policy's
    window owes the fee; a paid booking is refunded the rest (in full when the lab
    cancels). Raises PaymentProviderError (nothing is cancelled then)."""
    funding.release_subsidy(booking, now)
    if previous_status != BookingStatus.CONFIRMED:
        payment = payment_of(booking.id, lock=True)
        if payment is not None and payment.status == PaymentStatus.OPEN:
            payment.status = PaymentStatus.EXPIRED
        return None
    lab_cancels = policy.can_manage_site(actor, booking.unit.site_id) \
        and actor.id != booking.booked_by_id
    fee_net, fee_vat = (0, 0) if lab_cancels else pricing.cancellation_fee(
        booking.price, booking.starts_at, now)
    refund_cents = 0
    payment = payment_of(booking.id, lock=True)
    if payment is not None and payment.status == PaymentStatus.PAID:
        row = refund(payment, booking, payment.amount_cents - fee_net - fee_vat, "cancelled",
                     now)
        refund_cents = row.amount_cents if row is not None else 0
        if refund_cents:
            _mail_booker(booking, "payment_refunded", now, amount_cents=refund_cents,
                         late=False, fee_cents=fee_net + fee_vat)
    rates = {line["vat_rate_bp"] for line in (booking.price or {}).get("lines", [])}
    charge = CancellationCharge(booking_id=booking.id, fee_net_cents=fee_net,
                                fee_vat_cents=fee_vat, vat_rate_bp=max(rates or {0}),
                                refund_cents=refund_cents, created_at=now)
    db.session.add(charge)
    db.session.flush()
    record("booking.cancellation_settled", charge, site_id=booking.unit.site_id, now=now,
           after={"booking_id": booking.id, "fee_net_cents": fee_net,
                  "fee_vat_cents": fee_vat, "refund_cents": refund_cents})
    return charge
