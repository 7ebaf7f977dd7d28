"""What bookings answer when a site changes (``spaces.editing`` asks through hooks).

``bookings_in_the_way`` lists the bookings a change would take time from;
``cancel_for_site_change`` cancels them with the manager's notice. Each cancellation sends
``signals.booking_cancelled`` like any other, so the booker gets the cancellation mail
(with the notice as the reason and the calendar update) and billing settles it.
"""
import sqlalchemy as sa

from bookings import signals
from bookings.models import BLOCKING_STATUSES, Booking
from bookings.writing import cancel_one, lock_booking
from core import hooks
from extensions import db


def bookings_in_the_way(unit_ids, start, end, *, now):
    """Bookings of these units that block at ``now`` and overlap [start, end) (``end``
    None: open-ended), by start."""
    query = sa.select(Booking).where(
        Booking.unit_id.in_(list(unit_ids)),
        Booking.status.in_([status.value for status in BLOCKING_STATUSES]),
        Booking.ends_at > start,
    )
    if end is not None:
        query = query.where(Booking.starts_at < end)
    found = db.session.scalars(query.order_by(Booking.starts_at, Booking.id)).all()
    return [booking for booking in found if booking.blocks_at(now)]


def cancel_for_site_change(actor, bookings, *, now, reason):
    """Cancel each booking (in the caller's transaction) as ``actor`` with ``reason`` as the
    notice to its booker. Returns the cancelled bookings."""
    cancelled = []
    for booking in bookings:
        locked = lock_booking(booking.id)
        if locked.status not in BLOCKING_STATUSES:
            continue  # cancelled meanwhile: nothing left to take away
        cancel_one(actor, locked, now, reason)
        signals.booking_cancelled.send(locked, actor=actor, now=now, reason=reason)
        cancelled.append(locked)
    return cancelled


def register_hooks():
    hooks.register("bookings_in_the_way", bookings_in_the_way)
    hooks.register("cancel_for_site_change", cancel_for_site_change)
