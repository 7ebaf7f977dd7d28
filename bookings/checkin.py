"""Check-in at the lab, and releasing desk bookings nobody came for (``no_show``).

A no-show frees the whole booking: ``no_show`` is not a blocking status, so the rest of its
time (and, on the calendar, the part already past, which nobody can book any more) is free
for others at once. The booking's times stay as booked, so reports see what was reserved.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts import policy
from bookings.models import Booking, BookingStatus
from bookings.writing import change_status, lock_booking, snapshot
from core.audit import record
from core.db import run_in_transaction
from core.errors import InvalidTransition, NotAllowed
from core.messages import register
from core.time import local_date, local_midnight
from extensions import db
from spaces.models import Granularity, Unit, UnitKind

register({
    "already_checked_in": _l("This booking is already checked in."),
    "not_checkable": _l("Only confirmed bookings can be checked in."),
    "check_in_outside_window": _l("You can check in only during the booked time."),
})


def check_in_window(booking, actor):
    """(from, until) in which ``actor`` may check the booking in: the booker during the
    booked time, the site's managers from the start of its first local day on (guests
    arrive early), both until the booking ends."""
    if policy.can_manage_site(actor, booking.unit.site_id):
        return local_midnight(local_date(booking.starts_at)), booking.ends_at
    return booking.starts_at, booking.ends_at


def check_in(actor, booking, *, now):
    """Mark a confirmed booking as checked in (``checked_in_at = now``), audit-logged as
    ``booking.checked_in``.

    Allowed to the site's managers and chamber admins, and to the booker on their own
    booking during its time. Raises NotAllowed, InvalidTransition (``not_checkable``: not
    confirmed; ``already_checked_in``; ``check_in_outside_window``), NotFound.
    """
    booking_id = booking.id

    def work():
        locked = lock_booking(booking_id)
        if not policy.can_check_in(actor, locked):
            raise NotAllowed()
        if locked.status != BookingStatus.CONFIRMED:
            raise InvalidTransition("not_checkable", status=locked.status)
        if locked.checked_in_at is not None:
            raise InvalidTransition("already_checked_in")
        opens, closes = check_in_window(locked, actor)
        if not opens <= now < closes:
            raise InvalidTransition("check_in_outside_window")
        before = dict(snapshot(locked), checked_in_at=None)
        locked.checked_in_at = now
        locked.updated_at = now
        db.session.flush()
        record("booking.checked_in", locked, actor=actor, site_id=locked.unit.site_id,
               before=before, after=dict(snapshot(locked), checked_in_at=now.isoformat()),
               now=now)
        return locked

    return run_in_transaction(work)


def mark_no_shows(now):
    """Mark confirmed hourly desk bookings that nobody checked in by NO_SHOW_GRACE_MINUTES
    after their start as ``no_show`` (which frees them) and return how many. Each is
    audit-logged as ``booking.no_show`` (no actor: the system did it)."""
    grace = timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])

    def work():
        hourly_desks = sa.select(Unit.id).where(
            Unit.kind == UnitKind.DESK.value, Unit.granularity == Granularity.HOUR.value)
        missed = db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.checked_in_at.is_(None),
                Booking.starts_at <= now - grace,
                Booking.unit_id.in_(hourly_desks),
            )
            .order_by(Booking.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        for booking in missed:
            change_status(booking, BookingStatus.NO_SHOW, now=now, action="booking.no_show")
        return len(missed)

    return run_in_transaction(work)


def bookings_of_day(site, day):
    """The site's bookings that overlap the local date ``day`` (every status), by start."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    return db.session.scalars(
        sa.select(Booking).join(Unit, Booking.unit_id == Unit.id)
        .where(Unit.site_id == site.id, Booking.starts_at < end, Booking.ends_at > start)
        .order_by(Booking.starts_at, Unit.position, Unit.id, Booking.id)
    ).all()
