"""The occurrences of a tenancy: its local wall-clock slots, the bookings they would
clash with, and the one way to write them (all or none, guarded by the database).
"""
import bisect
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from bookings.moves import free_units_for
from bookings.recurrence import WEEKDAYS
from bookings.tenancy_models import TenancyStatus
from core.db import is_postgresql
from core.time import at_local, local_midnight
from extensions import db

PURPOSE_MAX = 500
_INSERT_CHUNK = 500


# --- the occurrences of a tenancy ---------------------------------------------------------

def tenancy_slots(*, weekdays, whole_days, start_time, end_time, starts_on, ends_on):
    """The (start, end) instants of every occurrence from ``starts_on`` to ``ends_on``
    (inclusive local dates), in order: local ``start_time``-``end_time`` on each chosen
    weekday, or local midnight to midnight for whole days."""
    wanted = {WEEKDAYS.index(code) for code in weekdays}
    slots, day = [], starts_on
    while day <= ends_on:
        if day.weekday() in wanted:
            if whole_days:
                slots.append((local_midnight(day), local_midnight(day + timedelta(days=1))))
            else:
                start, end = at_local(day, start_time), at_local(day, end_time)
                if start < end:  # a time inside a skipped DST hour can collapse
                    slots.append((start, end))
        day += timedelta(days=1)
    return slots


def slots_of(tenancy, *, ends_on=None, after=None):
    """The tenancy's occurrences (up to ``ends_on`` if given), only those ending after
    ``after`` when given: occurrences in the past are not booked any more."""
    slots = tenancy_slots(weekdays=tenancy.weekday_codes, whole_days=tenancy.whole_days,
                          start_time=tenancy.start_time, end_time=tenancy.end_time,
                          starts_on=tenancy.starts_on, ends_on=ends_on or tenancy.ends_on)
    if after is not None:
        slots = [slot for slot in slots if slot[1] > after]
    return slots


def _overlaps_any(slots, starts, start, end):
    """Whether [start, end) overlaps one of the sorted, disjoint ``slots``."""
    index = bisect.bisect_left(starts, end)  # slots starting before ``end``
    return index > 0 and slots[index - 1][1] > start


def clashing_bookings(tenancy, slots, now):
    if not slots:
        return []
    unit_ids = tenancy.unit_ids
    query = (
        sa.select(Booking)
        .where(
            Booking.unit_id.in_(unit_ids),
            Booking.status.in_([status.value for status in BLOCKING_STATUSES]),
            Booking.starts_at < slots[-1][1],
            Booking.ends_at > slots[0][0],
        )
        .order_by(Booking.starts_at, Booking.unit_id, Booking.id)
    )
    if tenancy.id is not None:
        query = query.where(sa.or_(Booking.tenancy_id.is_(None),
                                   Booking.tenancy_id != tenancy.id))
    starts = [start for start, _ in slots]
    return [booking for booking in db.session.scalars(query)
            if booking.blocks_at(now)
            and _overlaps_any(slots, starts, booking.starts_at, booking.ends_at)]


def tenancy_clashes(tenancy, now, *, ends_on=None):
    """The existing blocking bookings (lapsed holds excepted) on the tenancy's units that
    its future occurrences would overlap, ordered by start. Empty once it is approved."""
    if tenancy.status != TenancyStatus.REQUESTED:
        return []
    return clashing_bookings(tenancy, slots_of(tenancy, ends_on=ends_on, after=now), now)


def clash_alternatives(tenancy, now):
    """For each clash, the units the clashing booking could be moved to (free, same kind,
    same lab, not one of the tenancy's units): [(booking, [units])]."""
    return [(booking, free_units_for(booking, now, exclude_unit_ids=tenancy.unit_ids))
            for booking in tenancy_clashes(tenancy, now)]


def insert_occurrences(tenancy, slots, now):
    """Insert one confirmed booking per unit and slot; the number written, or None when
    the database found one of the times taken (then nothing should be kept)."""
    common = dict(
        booked_by_id=tenancy.requested_by_id,
        billed_organisation_id=tenancy.organisation_id,
        tenancy_id=tenancy.id,
        status=BookingStatus.CONFIRMED.value,
        purpose=tenancy.purpose[:PURPOSE_MAX],
        attendees=1,
        terms_version=current_app.config["TERMS_VERSION"],
        created_at=now,
        updated_at=now,
        sequence=0,
    )
    rows = [dict(common, unit_id=unit_id, starts_at=start, ends_at=end)
            for unit_id in tenancy.unit_ids for start, end in slots]
    table = Booking.__table__
    written = 0
    for offset in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[offset:offset + _INSERT_CHUNK]
        if is_postgresql():
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            # ON CONFLICT DO NOTHING: a clash the exclusion constraint finds means "no row".
            statement = pg_insert(table).values(chunk).on_conflict_do_nothing()
        else:
            # SQLite: this transaction holds the write lock since its start, and the
            # caller has checked every slot; nobody can have booked in between.
            statement = sa.insert(table).values(chunk)
        inserted = db.session.execute(statement.returning(table.c.id)).scalars().all()
        if len(inserted) != len(chunk):
            return None
        written += len(inserted)
    return written


__all__ = ["tenancy_slots", "slots_of", "clashing_bookings", "tenancy_clashes",
           "clash_alternatives", "insert_occurrences"]
