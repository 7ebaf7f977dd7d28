"""The booking lifecycle: create, cancel, expire, look up (series in ``bookings.series``).

Every service runs in one transaction (``core.db.run_in_transaction``), writes an audit
entry for each change and raises the typed errors of ``core.errors``.
"""
import sqlalchemy as sa

import bookings.messages  # noqa: F401 - registers the message keys raised here
from accounts import policy
from bookings.models import Booking, BookingSeries, BookingStatus
from bookings.availability import blocking_ranges
from bookings.series import SeriesResult, cancel_series, create_series
from bookings.signals import booking_cancelled, booking_created
from bookings.writing import (
    cancel_one, candidate_units, change_status, clip, expire_lapsed_holds, insert_booking,
    lock_booking, raise_problems, request_problems, require_can_book, resolve_organisation,
    usable_units,
)
from core import hooks
from core.db import run_in_transaction
from core.errors import BookingConflict, NotFound
from extensions import db
from spaces.messages import KIND_LABELS
from spaces.models import Unit


def create_booking(actor, *, starts_at, ends_at, now, unit=None, site=None, kind=None,
                   organisation=None, purpose="", attendees=1, terms_accepted=False):
    """Book ``unit`` (or the first free unit of ``kind`` at ``site``) from ``starts_at`` to
    ``ends_at``.

    Guarantees: the booking never overlaps another blocking booking of its unit (the
    database enforces it, also against concurrent requests); status ``requested`` when the
    unit needs approval, else ``held`` (expiring after BOOKING_HOLD_MINUTES) when the
    ``payment_required`` hook says so, else ``confirmed``; the accepted terms version and
    the quoted price are stored; an audit entry ``booking.created`` is written.

    Raises NotAllowed (account not confirmed), ValidationError (a rule is broken;
    ``details.fields`` names the fields), BookingConflict (the time is taken on the unit, or
    on every unit of the kind).
    """
    require_can_book(actor)

    def work():
        units = candidate_units(unit, site, kind)
        billed = resolve_organisation(actor, organisation)
        slot = [(starts_at, ends_at)]
        usable, problem, _ = usable_units(units, slot, now, attendees)
        raise_problems(request_problems(terms_accepted), problem or ({}, None, {}))

        unit_ids = [each.id for each in usable]
        expire_lapsed_holds(unit_ids, starts_at, ends_at, now)
        busy = blocking_ranges(unit_ids, starts_at, ends_at, now)
        conflicts = []
        for candidate in usable:
            if busy[candidate.id]:
                conflicts.extend(busy[candidate.id])
                continue
            booking = insert_booking(actor, candidate, starts_at, ends_at, now,
                                     organisation=billed, purpose=purpose, attendees=attendees)
            if booking is not None:
                booking_created.send(booking, actor=actor, now=now)
                return booking
            # A concurrent booking won the race; it is committed and visible now.
            taken = blocking_ranges([candidate.id], starts_at, ends_at, now)[candidate.id]
            conflicts.extend(taken or [(starts_at, ends_at)])
        message_key = "no_unit_free" if unit is None else None
        raise BookingConflict(clip(conflicts, starts_at, ends_at), message_key=message_key,
                              kind=KIND_LABELS.get(kind, kind))

    return run_in_transaction(work)


def cancel_booking(actor, booking, *, now, reason=None):
    """Cancel a requested, held or confirmed booking; its time is free at once.

    The booker (or an admin of the billed organisation) may cancel until the start; the
    site's managers at any time, after the start only with a ``reason``.
    Raises NotAllowed, InvalidTransition (not requested/held/confirmed, e.g. cancelled
    twice), ValidationError (field ``reason``).
    """
    booking_id = booking.id

    def work():
        booking = cancel_one(actor, lock_booking(booking_id), now, reason)
        booking_cancelled.send(booking, actor=actor, now=now, reason=booking.status_reason)
        return booking

    return run_in_transaction(work)


def expire_holds(now):
    """Mark held bookings whose hold ran out (``hold_expires_at <= now``) as expired and
    return how many. Availability never waits for this: lapsed holds are free anyway."""

    def work():
        lapsed = db.session.scalars(
            sa.select(Booking)
            .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
            .order_by(Booking.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        for booking in lapsed:
            change_status(booking, BookingStatus.EXPIRED, now=now, action="booking.expired")
            hooks.ask("booking_released", booking, now=now)
        return len(lapsed)

    return run_in_transaction(work)


def get_booking(booking_id):
    booking = db.session.get(Booking, booking_id) if isinstance(booking_id, int) else None
    if booking is None:
        raise NotFound("unknown_booking", booking_id=booking_id)
    return booking


def get_series(series_id):
    series = db.session.get(BookingSeries, series_id) if isinstance(series_id, int) else None
    if series is None:
        raise NotFound("unknown_series", series_id=series_id)
    return series


def list_bookings(actor, *, site=None, status=None, starts_from=None, starts_before=None,
                  after_id=None, limit=50):
    """The actor's own bookings and all bookings of the sites they manage (chamber admins:
    every booking), ordered by id; ``after_id`` continues after a previous page."""
    query = sa.select(Booking)
    if not policy.is_chamber_admin(actor):
        own = Booking.booked_by_id == actor.id
        managed = set(actor.managed_site_ids)
        if managed:
            managed_units = sa.select(Unit.id).where(Unit.site_id.in_(managed))
            own = sa.or_(own, Booking.unit_id.in_(managed_units))
        query = query.where(own)
    if site is not None:
        site_id = getattr(site, "id", site)
        query = query.where(Booking.unit_id.in_(sa.select(Unit.id).where(Unit.site_id == site_id)))
    if status is not None:
        query = query.where(Booking.status == status)
    if starts_from is not None:
        query = query.where(Booking.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Booking.starts_at < starts_before)
    if after_id is not None:
        query = query.where(Booking.id > after_id)
    return db.session.scalars(query.order_by(Booking.id).limit(limit)).all()


__all__ = [
    "create_booking", "cancel_booking", "expire_holds", "get_booking", "get_series",
    "list_bookings", "create_series", "cancel_series", "SeriesResult", "cancel_one",
]
