"""What billing answers to the lower layers through ``core.hooks`` (see ``register_hooks``).

- ``unit_prices(units)``: price lists by unit id (catalogue pages);
- ``payment_required(booking)`` / ``quote_booking(booking)``: asked while a booking is
  written; the quote (funding programme locked) is computed once and frozen on the booking;
- ``booking_created(booking, now)``: the subsidy's ledger row (same transaction);
- ``settle_cancellation(booking, actor, now, previous_status)``: subsidy back, fee, refund;
- ``booking_released(booking, now)`` / ``bookings_released(ids, now)``: a hold lapsed or a
  request was declined: the subsidy goes back to its programme;
- ``checkout_url(booking)``: where the booker pays while payment is due.
"""
import logging

import sqlalchemy as sa

import billing.messages  # noqa: F401
from billing import checkout, funding, quoting
from billing.models import SubsidyGrant, UnitPrice
from core import hooks
from core.time import utcnow
from extensions import db

log = logging.getLogger(__name__)


def price_of(unit):
    return db.session.scalar(db.select(UnitPrice).where(UnitPrice.unit_id == unit.id))


def prices_of(units):
    """The price of each unit (by id), in one query."""
    ids = [unit.id for unit in units]
    rows = db.session.scalars(db.select(UnitPrice).where(UnitPrice.unit_id.in_(ids))).all()
    return {row.unit_id: row for row in rows}


def _locked_quote(booking):
    # Asked twice per write (payment_required, then quote_booking): compute it once, under
    # the funding programme's lock, so that both answers agree.
    cached = getattr(booking, "_billing_quote", None)
    if cached is None:
        cached = quoting.quote_booking(booking, lock=True) or {}
        booking._billing_quote = cached
    return cached or None


def payment_required(booking):
    # A written booking (a request being approved) keeps the price it was quoted.
    quote = booking.price if booking.id is not None else _locked_quote(booking)
    return bool(quote) and quote["settlement"] == quoting.CHECKOUT


def quote_booking(booking):
    return _locked_quote(booking)


def booking_created(booking, now):
    grant = funding.commit_subsidy(booking, now)
    if "deminimis_ceiling" in ((booking.price or {}).get("notices") or []):
        from billing.notifications import tell_managers_subsidy_refused

        tell_managers_subsidy_refused(booking, now)
    return grant


def booking_cancelled(booking, *, actor, now, previous_status):
    return checkout.settle_cancellation(booking, actor=actor, previous_status=previous_status,
                                        now=now)


def booking_released(booking, now):
    return funding.release_subsidy(booking, now)


def bookings_released(booking_ids, now):
    """Release the subsidies of bookings that a bulk update expired."""
    if not booking_ids:
        return 0
    grants = db.session.scalars(
        sa.select(SubsidyGrant.booking_id).where(SubsidyGrant.booking_id.in_(list(booking_ids)),
                                                 SubsidyGrant.released_at.is_(None))
    ).all()
    from bookings.models import Booking

    for booking_id in grants:
        funding.release_subsidy(db.session.get(Booking, booking_id), now)
    return len(grants)


def checkout_url(booking):
    return checkout.checkout_url(booking, utcnow())


def register_hooks():
    hooks.register("unit_prices", prices_of)
    hooks.register("payment_required", payment_required)
    hooks.register("quote_booking", quote_booking)
    hooks.register("booking_created", booking_created)
    hooks.register("settle_cancellation", booking_cancelled)
    hooks.register("booking_released", booking_released)
    hooks.register("bookings_released", bookings_released)
    hooks.register("checkout_url", checkout_url)
    hooks.register("series_payment_due", checkout.series_payment_due)
