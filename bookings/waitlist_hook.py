"""The session hook of the waitlist: a freed slot goes to the line in the transaction
that frees it, whoever's code freed it (cancellation, rejection, no-show, a move).

After each flush it notes blocking bookings that stopped blocking or moved (their old
unit and time); just before the commit it offers those slots to the waiting entries
(``waitlist.offer_free_slots``) inside a savepoint, so a failing offer never fails the
change itself (``bookings process-waitlist`` catches up later).
"""
import logging

import sqlalchemy as sa
from sqlalchemy import event

from bookings.models import BLOCKING_STATUSES, Booking
from bookings.waitlist import offer_free_slots
from core.db import savepoint
from core.time import utcnow
from extensions import db
from spaces.models import Unit

log = logging.getLogger(__name__)
_RELEASED = "waitlist.released"


def _blocking(status):
    return status in {str(each) for each in BLOCKING_STATUSES}


def _released_ranges(session):
    """(unit_id, starts_at, ends_at, changed_at) of blocking bookings that this flush
    stopped from blocking (or moved away from their unit or time), as they were before."""
    found = []
    for obj in session.dirty:
        if not isinstance(obj, Booking):
            continue
        attrs = sa.inspect(obj).attrs

        def old(name):
            history = attrs[name].history
            return (history.deleted[0] if history.deleted else attrs[name].value,
                    history.has_changes())

        old_status, _ = old("status")
        if not _blocking(old_status):
            continue
        old_unit, unit_moved = old("unit_id")
        old_start, start_moved = old("starts_at")
        old_end, end_moved = old("ends_at")
        if _blocking(obj.status) and not (unit_moved or start_moved or end_moved):
            continue
        _, stamped = old("updated_at")
        # Services stamp updated_at = now; unchanged, it may equal the old stamp or be
        # stale, so the clock decides if it is later.
        changed_at = obj.updated_at if stamped else max(obj.updated_at, utcnow())
        found.append((old_unit, old_start, old_end, changed_at))
    return found


def _after_flush(session, _flush_context):
    released = _released_ranges(session)
    if released:
        session.info.setdefault(_RELEASED, []).extend(released)


def _before_commit(session):
    session.flush()  # so that the hook sees every change of this transaction
    for _round in range(10):  # offers can lapse others' holds: settle in a few rounds
        released = session.info.pop(_RELEASED, None)
        if not released:
            return
        # The time of the change that freed the slot (services stamp updated_at = now).
        stamps = [changed_at for *_, changed_at in released if changed_at is not None]
        now = max(stamps) if stamps else utcnow()
        units = {unit.id: unit for unit in session.scalars(
            sa.select(Unit).where(Unit.id.in_({unit_id for unit_id, *_ in released})))}
        scopes = [(units[unit_id].site_id, units[unit_id].kind, unit_id, start, end)
                  for unit_id, start, end, _ in released if unit_id in units]
        try:
            with savepoint():
                offer_free_slots(now, scopes)
                session.flush()
        except Exception:  # noqa: BLE001 - the change itself must not fail for an offer
            log.exception("waitlist offers failed; process-waitlist will retry")
            session.info.pop(_RELEASED, None)
            return


def _forget(session, *_args):
    session.info.pop(_RELEASED, None)


def _forget_unless_nested(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop(_RELEASED, None)


def install():
    """Install the session hook (idempotent; called by create_app)."""
    for name, listener in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_commit", _forget),
                           ("after_soft_rollback", _forget_unless_nested)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
