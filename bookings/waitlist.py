"""The waitlist: a member waits for a taken slot; when it frees up, the first in line is
offered it as a held booking for WAITLIST_OFFER_MINUTES, with a mail and a link to take it.

When is a slot freed? Whenever a blocking booking stops blocking (cancelled, rejected,
expired, no-show) or moves away (another unit or time), whoever's code changed it: a
session hook (``connect``) notices the change at flush and, just before the commit, offers
the freed time to the waiting line *in the same transaction*. So the offer and the change
are committed together, and no one else can take the slot in between. ``process_waitlist``
(CLI ``bookings process-waitlist``) does the rest on a schedule: offers that were not taken
in time lapse (the next in line gets the slot), entries whose time has passed expire, and
slots freed without an ORM change (a lapsed payment hold) are offered.

The offer is a real booking in status ``held``, inserted like any other (the exclusion
constraint on PostgreSQL, the write lock on SQLite), so it can never double-book.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert

import bookings.messages  # noqa: F401 - registers the message keys raised here
import bookings.waitlist_messages  # noqa: F401 - the waitlist's message keys
from bookings import signals
from bookings.availability import blocking_ranges
from bookings.models import Booking, BookingStatus
from bookings.reasons import WAITLIST_OFFER_DECLINED
from bookings.waitlist_models import WaitlistEntry, WaitlistStatus
from bookings.writing import (
    cancel_one, candidate_units, change_status, expire_lapsed_holds, raise_problems,
    request_problems, require_can_book, snapshot, usable_units,
)
from core import hooks
from core.audit import record
from core.db import is_postgresql, run_in_transaction
from core.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from core.outbox import enqueue_mail
from core.urls import absolute_url
from extensions import db
from spaces.models import Unit



def forget_released(session):
    """Drop the freed slots that the session hook noted (they are being handled)."""
    session.info.pop("waitlist.released", None)


def _entry_snapshot(entry):
    return {"status": entry.status, "unit_id": entry.unit_id, "kind": entry.kind,
            "starts_at": entry.starts_at.isoformat(), "ends_at": entry.ends_at.isoformat(),
            "booking_id": entry.booking_id}


# --- joining and leaving ---------------------------------------------------------------

def join_waitlist(actor, *, starts_at, ends_at, now, unit=None, site=None, kind=None,
                  purpose="", terms_accepted=False):
    """Put ``actor`` in line for ``unit`` (or any unit of ``kind`` at ``site``) from
    ``starts_at`` to ``ends_at``.

    Guarantees: the slot passes the booking rules and is taken right now (on every unit
    of the kind); one active entry per member and slot; audit entry ``waitlist.joined``.
    Raises NotAllowed (account not confirmed), ValidationError (a rule is broken; the
    slot is free, so book it; already waiting).
    """
    require_can_book(actor)

    def work():
        units = candidate_units(unit, site, kind)
        raise_problems(request_problems(terms_accepted))
        usable, problem, _ = usable_units(units, [(starts_at, ends_at)], now, 1)
        if not usable:
            raise_problems(problem)
        busy = blocking_ranges([each.id for each in usable], starts_at, ends_at, now)
        if any(not busy[each.id] for each in usable):
            raise ValidationError({"start": "slot_free"}, message_key="waitlist_slot_free")
        first = usable[0]
        entry_unit_id = unit.id if unit is not None else None
        duplicate = db.session.scalar(
            sa.select(sa.func.count()).select_from(WaitlistEntry).where(
                WaitlistEntry.user_id == actor.id,
                WaitlistEntry.site_id == first.site_id,
                WaitlistEntry.kind == first.kind,
                WaitlistEntry.unit_id.is_(None) if entry_unit_id is None
                else WaitlistEntry.unit_id == entry_unit_id,
                WaitlistEntry.starts_at == starts_at,
                WaitlistEntry.ends_at == ends_at,
                WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
            )
        )
        if duplicate:
            raise ValidationError({"start": "already_waiting"},
                                  message_key="waitlist_already_waiting")
        entry = WaitlistEntry(
            user_id=actor.id, site_id=first.site_id, kind=first.kind, unit_id=entry_unit_id,
            starts_at=starts_at, ends_at=ends_at, status=WaitlistStatus.WAITING.value,
            purpose=purpose or "", terms_version=current_app.config["TERMS_VERSION"],
            created_at=now, updated_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        record("waitlist.joined", entry, actor=actor, site_id=entry.site_id,
               after=_entry_snapshot(entry), now=now)
        return entry

    return run_in_transaction(work)


def _lock_entry(entry_id):
    entry = db.session.scalar(
        sa.select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound("unknown_waitlist_entry", entry_id=entry_id)
    return entry


def _lock_offer_booking(entry):
    return db.session.scalar(
        sa.select(Booking).where(Booking.id == entry.booking_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def _require_owner(actor, entry):
    if actor is None or not getattr(actor, "is_authenticated", False) \
            or entry.user_id != actor.id:
        raise NotAllowed()


def _decline_offer(actor, booking, now):
    """Turn down the held booking of an offer. While the offer is open it is cancelled
    like any other cancellation (``cancel_one``: audit ``booking.cancelled``, SEQUENCE,
    the settlement hook) with the reason code ``WAITLIST_OFFER_DECLINED``, but without
    the ``booking_cancelled`` signal: the member who declines needs no "your booking was
    cancelled" mail, and nothing was invoiced. An offer whose time already ran out expires
    as a lapse does. Either way the session hook (``waitlist_hook``) offers the freed slot
    to the next in line before the commit."""
    if booking.blocks_at(now):
        cancel_one(actor, booking, now, WAITLIST_OFFER_DECLINED)
    else:
        change_status(booking, BookingStatus.EXPIRED, now=now, action="booking.expired")


def leave_waitlist(actor, entry, *, now):
    """Leave the line (or turn down an offer: its held booking is cancelled and the slot
    goes to the next in line). Raises NotAllowed (not the member's entry),
    InvalidTransition (no longer waiting or offered)."""
    entry_id = entry.id

    def work():
        entry = _lock_entry(entry_id)
        _require_owner(actor, entry)
        if entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
            raise InvalidTransition("waitlist_not_active", status=entry.status)
        before = _entry_snapshot(entry)
        if entry.status == WaitlistStatus.OFFERED and entry.booking_id is not None:
            booking = _lock_offer_booking(entry)
            if booking is not None and booking.status == BookingStatus.HELD:
                _decline_offer(actor, booking, now)
        entry.status = (WaitlistStatus.LAPSED if entry.status == WaitlistStatus.OFFERED
                        else WaitlistStatus.LEFT).value
        entry.updated_at = now
        record("waitlist.left", entry, actor=actor, site_id=entry.site_id, before=before,
               after=_entry_snapshot(entry), now=now)
        return entry

    return run_in_transaction(work)


def accept_offer(actor, entry, *, now):
    """Take an offered slot: the held booking becomes ``requested`` (the unit needs
    approval), stays ``held`` until payment (``payment_required`` hook; the payment hold
    starts now) or becomes ``confirmed``. Returns the booking.

    Raises NotAllowed (not the member's offer), InvalidTransition (no open offer, or it
    lapsed: ``waitlist_offer_lapsed``).
    """
    entry_id = entry.id

    def work():
        entry = _lock_entry(entry_id)
        _require_owner(actor, entry)
        if entry.status != WaitlistStatus.OFFERED:
            raise InvalidTransition("waitlist_no_offer", status=entry.status)
        booking = _lock_offer_booking(entry)
        if booking is None or booking.status != BookingStatus.HELD \
                or entry.offer_expires_at <= now:
            raise InvalidTransition("waitlist_offer_lapsed", status=entry.status)
        before = snapshot(booking)
        unit = booking.unit
        if unit.needs_approval:
            booking.status, booking.hold_expires_at = BookingStatus.REQUESTED.value, None
        elif hooks.ask("payment_required", booking, default=False):
            booking.hold_expires_at = now + timedelta(
                minutes=current_app.config["BOOKING_HOLD_MINUTES"])
        else:
            booking.status, booking.hold_expires_at = BookingStatus.CONFIRMED.value, None
        booking.sequence += 1
        booking.updated_at = now
        entry.status = WaitlistStatus.BOOKED.value
        entry.updated_at = now
        record("waitlist.offer_taken", booking, actor=actor, site_id=unit.site_id,
               before=before, after=snapshot(booking), now=now)
        if booking.status == BookingStatus.CONFIRMED:
            signals.booking_confirmed.send(booking, actor=actor, now=now)
        elif booking.status == BookingStatus.REQUESTED:
            # From here on an ordinary request: the same mails as a new one.
            signals.booking_created.send(booking, actor=actor, now=now)
        return booking

    return run_in_transaction(work)


def get_entry(entry_id):
    entry = db.session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None:
        raise NotFound("unknown_waitlist_entry", entry_id=entry_id)
    return entry


def entries_of(user, *, active_only=True):
    query = sa.select(WaitlistEntry).where(WaitlistEntry.user_id == user.id)
    if active_only:
        query = query.where(
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]))
    return db.session.scalars(query.order_by(WaitlistEntry.starts_at)).all()


# --- offering ----------------------------------------------------------------------------

def _units_for(entry):
    if entry.unit_id is not None:
        unit = db.session.get(Unit, entry.unit_id)
        return [unit] if unit is not None and unit.active else []
    return db.session.scalars(
        sa.select(Unit).where(Unit.site_id == entry.site_id, Unit.kind == entry.kind,
                              Unit.active.is_(True))
        .order_by(Unit.position, Unit.id)
    ).all()


def _insert_held(entry, unit, now, expires_at):
    values = dict(
        unit_id=unit.id, booked_by_id=entry.user_id, starts_at=entry.starts_at,
        ends_at=entry.ends_at, status=BookingStatus.HELD.value, hold_expires_at=expires_at,
        purpose=entry.purpose or "", attendees=1, terms_version=entry.terms_version,
        created_at=now, updated_at=now, sequence=0,
    )
    # A transient booking lets billing quote it through the hook, as insert_booking does.
    draft = Booking(**values, unit=unit, booked_by=entry.user)
    values["price"] = hooks.ask("quote_booking", draft, default=None)
    table = Booking.__table__
    if is_postgresql():
        statement = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        if blocking_ranges([unit.id], entry.starts_at, entry.ends_at, now)[unit.id]:
            return None
        statement = sa.insert(table).values(**values)
    new_id = db.session.execute(statement.returning(table.c.id)).scalar()
    return db.session.get(Booking, new_id) if new_id is not None else None


def _offer(entry, now):
    """Offer ``entry`` its slot if a unit is free for it; returns the held booking."""
    user = entry.user
    if user is None or not user.is_confirmed:
        return None
    units = _units_for(entry)
    if not units:
        return None
    usable, _, _ = usable_units(units, [(entry.starts_at, entry.ends_at)], now, 1)
    if not usable:
        return None
    unit_ids = [unit.id for unit in usable]
    expire_lapsed_holds(unit_ids, entry.starts_at, entry.ends_at, now)
    busy = blocking_ranges(unit_ids, entry.starts_at, entry.ends_at, now)
    expires_at = min(now + timedelta(minutes=current_app.config["WAITLIST_OFFER_MINUTES"]),
                     entry.starts_at)
    for unit in usable:
        if busy[unit.id]:
            continue
        booking = _insert_held(entry, unit, now, expires_at)
        if booking is None:
            continue
        entry.status = WaitlistStatus.OFFERED.value
        entry.booking_id = booking.id
        entry.offered_at = now
        entry.offer_expires_at = expires_at
        entry.updated_at = now
        record("waitlist.offered", booking, site_id=unit.site_id,
               after=dict(snapshot(booking), waitlist_entry_id=entry.id), now=now)
        enqueue_mail(
            user.email, "waitlist_offer", "waitlist_offer", locale=user.locale, now=now,
            booking=booking, unit=unit, site=unit.site, user=user,
            offer_expires_at=expires_at,
            booking_url=absolute_url("bookings.detail", booking_id=booking.id),
            offer_url=absolute_url("waitlist.offer", entry_id=entry.id),
        )
        return booking
    return None


def _waiting_entries(now, scopes=None):
    """Waiting entries in line order (oldest first), optionally only those for these
    (site_id, kind, unit_id, starts_at, ends_at) freed ranges."""
    query = sa.select(WaitlistEntry).where(
        WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.starts_at > now)
    if scopes is not None:
        query = query.where(sa.or_(*[
            sa.and_(
                WaitlistEntry.site_id == site_id, WaitlistEntry.kind == kind,
                sa.or_(WaitlistEntry.unit_id.is_(None), WaitlistEntry.unit_id == unit_id),
                WaitlistEntry.starts_at < ends_at, WaitlistEntry.ends_at > starts_at,
            )
            for site_id, kind, unit_id, starts_at, ends_at in scopes
        ]))
    query = query.order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    if is_postgresql():
        # Two transactions freeing slots at once never offer the same entry twice.
        query = query.with_for_update(skip_locked=True, of=WaitlistEntry)
    return db.session.scalars(query.execution_options(populate_existing=True)).all()


def offer_free_slots(now, scopes=None):
    """Offer every waiting entry (or those touching ``scopes``) whose slot is free, in
    line order; returns how many offers were made. Runs in the caller's transaction."""
    offered = 0
    for entry in _waiting_entries(now, scopes):
        if _offer(entry, now) is not None:
            offered += 1
    return offered


def lapse_offers(now):
    """Offers not taken in time (or whose hold ended otherwise) lapse; their held
    bookings expire, which frees the slot for the next in line. Returns how many."""
    query = sa.select(WaitlistEntry).where(WaitlistEntry.status == WaitlistStatus.OFFERED)
    if is_postgresql():
        query = query.with_for_update(skip_locked=True)
    lapsed = 0
    for entry in db.session.scalars(query.execution_options(populate_existing=True)).all():
        booking = _lock_offer_booking(entry) if entry.booking_id is not None else None
        still_held = booking is not None and booking.status == BookingStatus.HELD
        if still_held and entry.offer_expires_at > now:
            continue
        if still_held:
            change_status(booking, BookingStatus.EXPIRED, now=now, action="booking.expired")
        entry.status = WaitlistStatus.LAPSED.value
        entry.updated_at = now
        lapsed += 1
    return lapsed


def expire_entries(now):
    """Waiting entries whose time has begun leave the line. Returns how many."""
    return db.session.execute(
        sa.update(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING,
               WaitlistEntry.starts_at <= now)
        .values(status=WaitlistStatus.EXPIRED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def process_waitlist(now):
    """The scheduled pass (CLI ``bookings process-waitlist``): lapse offers not taken in
    time, expire entries whose time began, offer every free slot to the first in line.
    Returns (offered, lapsed)."""

    def work():
        lapsed = lapse_offers(now)
        expire_entries(now)
        db.session.flush()
        # The slots of lapsed offers were noticed by the session hook; offer them all here.
        forget_released(db.session)
        return offer_free_slots(now), lapsed

    return run_in_transaction(work)


__all__ = [
    "join_waitlist", "leave_waitlist", "accept_offer", "process_waitlist",
    "offer_free_slots", "lapse_offers", "expire_entries", "get_entry", "entries_of",
    "connect",
]


def connect():
    """Offer freed slots in the transaction that frees them (``bookings.waitlist_hook``)."""
    from bookings.waitlist_hook import install

    install()
