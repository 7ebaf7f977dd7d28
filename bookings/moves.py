"""Moving a booking to another unit: same lab, same kind, same time.

Managers use it to clear the way for a tenancy (or around maintenance). The booking keeps
its id, status, price and times; only its unit changes, and calendar clients see a new
SEQUENCE.
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import bookings.tenancy_messages  # noqa: F401 - registers the message keys raised here
from accounts import policy
from bookings.availability import blocking_ranges, latest_end, slot_problems
from bookings.models import BLOCKING_STATUSES
from bookings.writing import clip, expire_lapsed_holds, lock_booking, snapshot
from core.audit import record
from core.db import run_in_transaction
from core.errors import BookingConflict, InvalidTransition, NotAllowed, ValidationError
from core.outbox import enqueue_mail
from extensions import db
from spaces.models import Unit


def move_problems(booking, unit, now):
    """The rules that moving ``booking`` to ``unit`` breaks, as (fields, key, params);
    empty fields when the move is allowed (availability permitting).

    The checks of a new booking for the slot, except the lead time: the booking exists
    already, and a manager may move it at short notice (or while it runs).
    """
    if unit.id == booking.unit_id:
        return {"unit_id": "same_unit"}, "move_same_unit", {}
    if unit.site_id != booking.unit.site_id:
        return {"unit_id": "other_site"}, "move_other_site", {}
    if unit.kind != booking.unit.kind:
        return {"unit_id": "other_kind"}, "move_other_kind", {}
    # Seen from just before the lead time, the slot is never too soon.
    lead_time = timedelta(minutes=unit.lead_time_minutes)
    seen_at = min(now, booking.starts_at - lead_time)
    fields, key, params = slot_problems(unit, booking.starts_at, booking.ends_at, seen_at,
                                        attendees=booking.attendees)
    if fields.get("end") == "too_far_ahead":
        # The horizon counts from now, not from the moment used for the lead time.
        del fields["end"]
        if booking.ends_at > latest_end(unit, now):
            fields["end"] = "too_far_ahead"
        if not fields:
            return {}, None, {}
        if key == "too_far_ahead" and "end" not in fields:
            key, params = "validation", {}
    return fields, key, params


def free_units_for(booking, now, *, exclude_unit_ids=()):
    """The active units of the booking's kind at its lab to which it could be moved now:
    every rule passes and nothing blocks the time. In the lab's stable order."""
    candidates = db.session.scalars(
        sa.select(Unit)
        .where(Unit.site_id == booking.unit.site_id, Unit.kind == booking.unit.kind,
               Unit.active.is_(True), Unit.id != booking.unit_id)
        .order_by(Unit.position, Unit.id)
    ).all()
    candidates = [unit for unit in candidates if unit.id not in set(exclude_unit_ids)
                  and not move_problems(booking, unit, now)[0]]
    busy = blocking_ranges([unit.id for unit in candidates], booking.starts_at,
                           booking.ends_at, now)
    return [unit for unit in candidates if not busy[unit.id]]


def move_booking(actor, booking, *, unit, now):
    """Move a requested, held or confirmed booking to ``unit`` (another active unit of the
    same kind at the same lab, free for the booking's whole time).

    Guarantees: id, status, times and price stay; ``sequence`` rises; an audit entry
    ``booking.moved`` (before/after) is written and the booker is told by mail, all in one
    transaction. The database's no-overlap constraint decides a race.
    Raises NotAllowed (not a manager of the lab), InvalidTransition (``move_not_possible``),
    ValidationError (field ``unit_id``, or a rule of the slot on the new unit),
    BookingConflict (the time is taken on the new unit).
    """
    booking_id, unit_id = booking.id, unit.id

    def work():
        locked = lock_booking(booking_id)
        target = db.session.get(Unit, unit_id)
        if not policy.can_move_booking(actor, locked):
            raise NotAllowed()
        if locked.status not in BLOCKING_STATUSES or not locked.blocks_at(now):
            raise InvalidTransition("move_not_possible", status=locked.status)
        fields, key, params = move_problems(locked, target, now)
        if fields:
            raise ValidationError(fields, message_key=key, **params)
        starts_at, ends_at = locked.starts_at, locked.ends_at
        expire_lapsed_holds([target.id], starts_at, ends_at, now)
        taken = blocking_ranges([target.id], starts_at, ends_at, now)[target.id]
        if taken:
            raise BookingConflict(clip(taken, starts_at, ends_at))
        before = snapshot(locked)
        old_unit = locked.unit
        locked.unit_id = target.id
        locked.sequence += 1
        locked.updated_at = now
        try:
            db.session.flush()
        except IntegrityError:
            # PostgreSQL's exclusion constraint: a concurrent booking took the time.
            raise BookingConflict([(starts_at, ends_at)]) from None
        db.session.expire(locked, ["unit"])
        record("booking.moved", locked, actor=actor, site_id=target.site_id, before=before,
               after=snapshot(locked), now=now)
        booker = locked.booked_by
        if booker is not None:
            enqueue_mail(booker.email, "booking_moved", "booking_moved", booker.locale,
                         now=now, booking=locked, old_unit=old_unit, new_unit=target,
                         user=booker)
        return locked

    return run_in_transaction(work)


__all__ = ["move_booking", "move_problems", "free_units_for"]
