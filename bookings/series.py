"""Recurring series: one rule, its occurrences stored as bookings with the series' id."""
from dataclasses import dataclass, field

import sqlalchemy as sa

from bookings.availability import blocking_ranges
from bookings.models import BLOCKING_STATUSES, Booking, BookingSeries, BookingStatus
from bookings.recurrence import Recurrence
from bookings.signals import series_cancelled, series_created
from bookings.writing import (
    cancel_one, candidate_units, expire_lapsed_holds, insert_booking, raise_problems,
    request_problems, require_can_book, resolve_organisation, usable_units,
)
from core.audit import record
from core.db import run_in_transaction
from core.errors import BookingConflict
from extensions import db


@dataclass
class SeriesResult:
    series: BookingSeries
    bookings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def _overlaps(ranges, start, end):
    return any(s < end and e > start for s, e in ranges)


def _plan(units, occurrences, closed, busy):
    """Assign each occurrence to a unit: one unit free for all if there is one (the first
    in order), else per occurrence the first free unit. Returns (plan, clashing) where
    plan is a list of (occurrence, [units to try in order])."""

    def free_units(occurrence):
        return [
            unit for unit in units
            if occurrence not in closed[unit.id] and not _overlaps(busy[unit.id], *occurrence)
        ]

    for unit in units:
        if all(unit in free_units(occurrence) for occurrence in occurrences):
            return [(occurrence, [unit]) for occurrence in occurrences], []
    plan, clashing = [], []
    for occurrence in occurrences:
        free = free_units(occurrence)
        if free:
            plan.append((occurrence, free))
        else:
            clashing.append(occurrence)
    return plan, clashing


def create_series(actor, *, starts_at, ends_at, recurrence, now, partial=False, unit=None,
                  site=None, kind=None, organisation=None, purpose="", attendees=1,
                  terms_accepted=False):
    """Book every occurrence of a weekly ``recurrence`` (a Recurrence or its dict form),
    starting with ``starts_at``-``ends_at``, as one series.

    Every occurrence must pass the rules of a single booking (ValidationError otherwise,
    naming the occurrence). Occurrences whose time is taken, or that fall on a closed day
    of an hourly unit, clash: with ``partial=False`` BookingConflict lists every one of them
    and nothing is written; with ``partial=True`` the free ones are booked and the others
    returned in ``skipped`` (BookingConflict if none is free). For a site and kind, one unit
    free for all occurrences is preferred, else each occurrence gets the first free unit.
    Writes audit entries ``series.created`` and ``booking.created``.
    """
    require_can_book(actor)
    if not isinstance(recurrence, Recurrence):
        recurrence = Recurrence.from_dict(recurrence)

    def work():
        units = candidate_units(unit, site, kind)
        billed = resolve_organisation(actor, organisation)
        raise_problems(request_problems(terms_accepted))
        occurrences = recurrence.occurrences(starts_at, ends_at)
        usable, problem, closed = usable_units(units, occurrences, now, attendees,
                                               skip_closed=True)
        if not usable:
            raise_problems(problem)
        unit_ids = [each.id for each in usable]
        span_start, span_end = occurrences[0][0], occurrences[-1][1]
        expire_lapsed_holds(unit_ids, span_start, span_end, now)
        busy = blocking_ranges(unit_ids, span_start, span_end, now)
        plan, clashing = _plan(usable, occurrences, closed, busy)
        if clashing and not partial:
            raise BookingConflict(clashing, message_key="series_conflict", count=len(clashing))

        series = BookingSeries(unit_id=plan[0][1][0].id if plan else usable[0].id,
                               booked_by_id=actor.id, rrule=recurrence.to_rrule(),
                               created_at=now)
        db.session.add(series)
        db.session.flush()
        booked = []
        for occurrence, choices in plan:
            booking = None
            for choice in choices:
                booking = insert_booking(actor, choice, *occurrence, now, organisation=billed,
                                         purpose=purpose, attendees=attendees,
                                         series_id=series.id)
                if booking is not None:
                    break
            if booking is None:
                # A concurrent request took this time after we looked.
                if not partial:
                    raise BookingConflict([occurrence], message_key="series_conflict", count=1)
                clashing.append(occurrence)
            else:
                booked.append(booking)
        if not booked:
            raise BookingConflict(sorted(clashing), message_key="series_conflict",
                                  count=len(clashing))
        series.unit_id = booked[0].unit_id
        record("series.created", series, actor=actor, site_id=booked[0].unit.site_id,
               after={"rrule": series.rrule, "bookings": [b.id for b in booked],
                      "skipped": len(clashing)}, now=now)
        result = SeriesResult(series=series, bookings=booked, skipped=sorted(clashing))
        series_created.send(result, actor=actor, now=now)
        return result

    return run_in_transaction(work)


def cancel_series(actor, series, *, now, from_starts_at=None, reason=None):
    """Cancel the series' blocking occurrences starting at or after ``from_starts_at``
    (default: ``now``), each under the rules of ``cancel_booking``; all or none.
    Returns the cancelled bookings. Raises NotAllowed, ValidationError (``reason``)."""
    series_id = series.id
    cutoff = from_starts_at or now

    def work():
        occurrences = db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.series_id == series_id,
                Booking.starts_at >= cutoff,
                Booking.status.in_([status.value for status in BLOCKING_STATUSES]),
            )
            .order_by(Booking.starts_at)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        cancelled = []
        for booking in occurrences:
            if booking.status == BookingStatus.HELD and not booking.blocks_at(now):
                continue  # a lapsed hold is already free
            cancelled.append(cancel_one(actor, booking, now, reason))
        if cancelled:
            series_cancelled.send(cancelled, actor=actor, now=now, reason=reason)
        return cancelled

    return run_in_transaction(work)
