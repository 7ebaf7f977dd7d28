"""Building blocks of the booking services: who may book what, and the one safe way to
write a blocking booking.

No double booking: on PostgreSQL the exclusion constraint ``ex_bookings_no_overlap``
decides, and ``INSERT ... ON CONFLICT DO NOTHING`` turns a clash it catches into "no row"
(never an error, never a deadlock between the exclusion checks); on SQLite every
transaction holds the write lock from its start (``core.db``), so check-then-insert is safe.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert

import accounts.messages  # noqa: F401 - unknown_organisation
import bookings.messages  # noqa: F401 - registers the message keys raised here
from accounts import policy
from accounts.models import Organisation
from bookings.availability import blocking_ranges, closed_days, slot_problems
from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from core import hooks
from core.audit import record
from core.db import is_postgresql
from core.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from core.time import format_instant, local_date
from extensions import db
from spaces.messages import KIND_LABELS
from spaces.models import Unit, UnitKind


def require_can_book(actor):
    if not policy.can_book(actor):
        raise NotAllowed("email_not_confirmed")


def candidate_units(unit, site, kind):
    """The units a request may go to: the named one, or the active units of a kind at a
    site in the stable order in which "any" requests fill them (position, id)."""
    if unit is not None and site is None and kind is None:
        return [unit]
    if unit is None and site is not None and kind is not None:
        if kind not in set(UnitKind):
            raise ValidationError({"kind": "unknown_kind"}, message_key="unknown_kind", kind=kind)
        units = db.session.scalars(
            sa.select(Unit)
            .where(Unit.site_id == site.id, Unit.kind == kind, Unit.active.is_(True))
            .order_by(Unit.position, Unit.id)
        ).all()
        if not units:
            raise ValidationError({"kind": "no_units"}, message_key="no_unit_free",
                                  kind=KIND_LABELS.get(kind, kind))
        return units
    raise ValidationError({"unit_id": "required"}, message_key="unit_or_site_and_kind")


def resolve_organisation(actor, organisation):
    """The organisation to bill (object or id), which the actor must belong to."""
    if organisation is None:
        return None
    if not isinstance(organisation, Organisation):
        found = db.session.get(Organisation, organisation)
        if found is None:
            raise ValidationError({"organisation_id": "unknown_organisation"},
                                  message_key="unknown_organisation",
                                  organisation_id=organisation)
        organisation = found
    if not policy.can_bill_to(actor, organisation.id):
        raise ValidationError({"organisation_id": "not_a_member"}, message_key="not_a_member")
    return organisation


def request_problems(terms_accepted):
    """Rules about the request itself, before any slot is looked at."""
    if not terms_accepted:
        return {"terms_accepted": "required"}, "terms_not_accepted", {}
    return {}, None, {}


def raise_problems(*problems):
    """Merge several (fields, key, params) results and raise if any rule is broken."""
    fields, key, params = {}, None, {}
    for each_fields, each_key, each_params in problems:
        for field, code in each_fields.items():
            fields.setdefault(field, code)
        if key is None and each_key is not None:
            key, params = each_key, each_params
    if fields:
        raise ValidationError(fields, message_key=key, **params)


def usable_units(units, slots, now, attendees, *, skip_closed=False):
    """The units on which every slot passes the rules, and the problems of the first unit.

    With ``skip_closed`` a slot on a closed day is not a problem (series skip such dates);
    the returned ``closed`` maps unit id to the slots that fall on closed days.
    """
    usable, first_problem, closed_slots = [], None, {}
    first_day = min(local_date(start) for start, _ in slots)
    last_day = max(local_date(start) for start, _ in slots)
    closures = closed_days({unit.site_id for unit in units}, first_day, last_day)
    for unit in units:
        problem, closed_here = None, []
        for start, end in slots:
            fields, key, params = slot_problems(unit, start, end, now, attendees=attendees,
                                                closed=closures.get(unit.site_id, set()))
            if skip_closed and fields == {"start": "site_closed"}:
                closed_here.append((start, end))
                continue
            if fields:
                problem = (fields, key, dict(params, occurrence=format_instant(start)))
                break
        if problem is None:
            usable.append(unit)
            closed_slots[unit.id] = closed_here
        elif first_problem is None:
            first_problem = problem
    return usable, first_problem, closed_slots


def expire_lapsed_holds(unit_ids, start, end, now):
    """Mark lapsed holds of these units overlapping [start, end) expired, so that the
    database constraint agrees that their time is free."""
    expired = db.session.execute(
        sa.update(Booking)
        .where(
            Booking.unit_id.in_(list(unit_ids)),
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at <= now,
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .values(status=BookingStatus.EXPIRED, updated_at=now, sequence=Booking.sequence + 1)
        .returning(Booking.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if expired:
        hooks.ask("bookings_released", expired, now=now)


def clip(ranges, start, end):
    """Clashing ranges clipped to the requested slot, without repeats, in order."""
    return sorted({(max(s, start), min(e, end)) for s, e in ranges})


def insert_booking(actor, unit, starts_at, ends_at, now, *, organisation=None, purpose="",
                   attendees=1, series_id=None):
    """Insert one blocking booking unless the database finds its time taken.

    Returns the new Booking, or None when a clash (possibly a concurrent one) prevented it.
    The status follows approval and payment; the price is quoted through hooks.
    """
    values = dict(
        unit_id=unit.id,
        booked_by_id=actor.id,
        billed_organisation_id=organisation.id if organisation is not None else None,
        series_id=series_id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=BookingStatus.CONFIRMED.value,
        hold_expires_at=None,
        purpose=purpose or "",
        attendees=attendees,
        terms_version=current_app.config["TERMS_VERSION"],
        created_at=now,
        updated_at=now,
        sequence=0,
    )
    # A transient booking lets billing look at it (unit, organisation, times) through hooks.
    draft = Booking(**values, unit=unit, booked_by=actor, billed_organisation=organisation)
    if unit.needs_approval:
        values["status"] = BookingStatus.REQUESTED.value
    elif hooks.ask("payment_required", draft, default=False):
        values["status"] = BookingStatus.HELD.value
        values["hold_expires_at"] = now + timedelta(
            minutes=current_app.config["BOOKING_HOLD_MINUTES"]
        )
    draft.status, draft.hold_expires_at = values["status"], values["hold_expires_at"]
    values["price"] = hooks.ask("quote_booking", draft, default=None)

    table = Booking.__table__
    if is_postgresql():
        statement = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        if blocking_ranges([unit.id], starts_at, ends_at, now)[unit.id]:
            return None
        statement = sa.insert(table).values(**values)
    new_id = db.session.execute(statement.returning(table.c.id)).scalar()
    if new_id is None:
        return None
    booking = db.session.get(Booking, new_id)
    record("booking.created", booking, actor=actor, site_id=unit.site_id,
           after=snapshot(booking), now=now)
    hooks.ask("booking_created", booking, now=now)
    return booking


def snapshot(booking):
    """The audit view of a booking's state."""
    return {
        "status": booking.status,
        "unit_id": booking.unit_id,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "series_id": booking.series_id,
        "billed_organisation_id": booking.billed_organisation_id,
    }


def change_status(booking, status, *, now, action, actor=None, audit_extra=None, **changes):
    """Move ``booking`` to ``status`` (with any other column ``changes``), let calendar
    clients see it (SEQUENCE rises) and write the audit entry ``action`` with the state
    before and after. Runs in the caller's transaction; returns the state before."""
    before = snapshot(booking)
    booking.status = str(status)
    for name, value in changes.items():
        setattr(booking, name, value)
    booking.sequence += 1
    booking.updated_at = now
    db.session.flush()
    record(action, booking, actor=actor, site_id=booking.unit.site_id, before=before,
           after=dict(snapshot(booking), **(audit_extra or {})), now=now)
    return before


def lock_booking(booking_id):
    booking = db.session.scalar(
        sa.select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if booking is None:
        raise NotFound("unknown_booking", booking_id=booking_id)
    return booking


def cancel_one(actor, booking, now, reason):
    """Cancel a locked booking inside the caller's transaction (rules as cancel_booking)."""
    if not policy.can_cancel_booking(actor, booking, now):
        raise NotAllowed()
    if booking.status not in BLOCKING_STATUSES:
        raise InvalidTransition("not_cancellable", status=booking.status)
    reason = (reason or "").strip() or None
    if booking.starts_at <= now and reason is None:
        raise ValidationError({"reason": "required"}, message_key="reason_required")
    before = change_status(booking, BookingStatus.CANCELLED, now=now, action="booking.cancelled",
                           actor=actor, audit_extra={"reason": reason}, cancelled_at=now,
                           cancelled_by_id=actor.id, status_reason=reason)
    hooks.ask("settle_cancellation", booking, actor=actor, now=now,
              previous_status=before["status"])
    return booking
