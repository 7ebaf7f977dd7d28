"""Which slots of which units can be booked: opening hours, closures, steps, lead time,
horizon, minimum length and the blocking bookings, all in one place.

``create_booking`` checks a requested slot with the same rules (``slot_problems``), so a slot
inside a free interval (and within the length limits) is exactly a slot that can be booked.
"""
from datetime import timedelta

import sqlalchemy as sa

import bookings.messages  # noqa: F401 - registers the message keys raised here
from core.db import UTCDateTime, is_postgresql
from core.errors import ValidationError
from core.time import at_local, count_steps, local_date, next_step, step_start
from extensions import db
from spaces.messages import STEP_LABELS
from spaces.models import Closure, Unit, UnitKind

MAX_WINDOW = timedelta(days=31)


# --- the frame in which a unit can be booked -------------------------------------------

def earliest_start(unit, now):
    """Lead time, rounded up to the unit's next step."""
    return next_step(now + timedelta(minutes=unit.lead_time_minutes), unit.granularity)


def latest_end(unit, now):
    """The horizon, rounded down to the unit's step."""
    return step_start(now + timedelta(days=unit.horizon_days), unit.granularity)


def opening_interval(site, day, closed_days):
    """The hour-aligned (opens, closes) instants of ``site`` on local date ``day``, or None
    when the site is closed that day (no opening hours, or a closure)."""
    if day in closed_days:
        return None
    for hours in site.opening_hours:
        if hours.weekday == day.weekday():
            opens = next_step(at_local(day, hours.opens_at), "hour")
            closes = step_start(at_local(day, hours.closes_at), "hour")
            return (opens, closes) if opens < closes else None
    return None


def closed_days(site_ids, first_day, last_day):
    """{site_id: set of local dates} closed between the two dates (inclusive)."""
    if not site_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Closure).where(
            Closure.site_id.in_(site_ids),
            Closure.starts_on <= last_day,
            Closure.ends_on >= first_day,
        )
    ).all()
    result = {site_id: set() for site_id in site_ids}
    for closure in rows:
        day = max(closure.starts_on, first_day)
        while day <= min(closure.ends_on, last_day):
            result[closure.site_id].add(day)
            day += timedelta(days=1)
    return result


def _base_intervals(unit, lower, upper, hours_by_day):
    """Bookable time of ``unit`` in [lower, upper) before bookings are taken away;
    ``hours_by_day`` maps local dates to the site's opening interval (None: closed)."""
    if lower >= upper:
        return []
    if unit.granularity != "hour":
        return [(lower, upper)]
    intervals = []
    for hours in hours_by_day.values():
        if hours is not None:
            start, end = max(hours[0], lower), min(hours[1], upper)
            if start < end:
                intervals.append((start, end))
    return intervals


def _opening_by_day(site, first_day, last_day, closed):
    """{local date: opening interval or None} for every day from first to last."""
    result, day = {}, first_day
    while day <= last_day:
        result[day] = opening_interval(site, day, closed)
        day += timedelta(days=1)
    return result


def _realign(start, end, granularity):
    """Shrink an interval to whole steps (bookings made under another step size may end
    mid-step). Hour boundaries are checked cheaply: they are the common case."""
    if granularity == "hour":
        if start.minute or start.second or start.microsecond:
            start = next_step(start, granularity)
        if end.minute or end.second or end.microsecond:
            end = step_start(end, granularity)
        return start, end
    return next_step(start, granularity), step_start(end, granularity)


def _subtract(intervals, busy):
    """``intervals`` minus the (sorted) ``busy`` ranges."""
    result = []
    for start, end in intervals:
        cursor = start
        for busy_start, busy_end in busy:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start > cursor:
                result.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


# --- blocking bookings ------------------------------------------------------------------

# Hand-written so that PostgreSQL answers from the exclusion constraint's GiST index (same
# partial-index predicate, range overlap) and so that no ORM work sits on this hot path.
_BLOCKING_QUERY = {
    # Joining the unit ids (rather than "unit_id = ANY(...)") lets PostgreSQL probe the
    # exclusion constraint's GiST index per unit on both columns: about twice as fast.
    "postgresql": sa.text(
        "SELECT b.unit_id, b.starts_at, b.ends_at"
        " FROM unnest(CAST(:unit_ids AS integer[])) AS wanted(id)"
        " JOIN bookings b ON b.unit_id = wanted.id"
        " WHERE b.status IN ('requested', 'held', 'confirmed')"
        " AND (b.status <> 'held' OR b.hold_expires_at > :now)"
        " AND tstzrange(b.starts_at, b.ends_at, '[)') && tstzrange(:start, :end, '[)')"
    ),
    "sqlite": sa.text(
        "SELECT unit_id, starts_at, ends_at FROM bookings"
        " WHERE unit_id IN :unit_ids"
        " AND status IN ('requested', 'held', 'confirmed')"
        " AND (status <> 'held' OR hold_expires_at > :now)"
        " AND starts_at < :end AND ends_at > :start"
    ).bindparams(sa.bindparam("unit_ids", expanding=True)),
}


def blocking_ranges(unit_ids, start, end, now):
    """{unit_id: sorted [(starts_at, ends_at)]} of bookings that block their unit at ``now``
    and overlap [start, end), in one query. Lapsed holds do not block."""
    result = {unit_id: [] for unit_id in unit_ids}
    if not unit_ids or start >= end:
        return result
    dialect = "postgresql" if is_postgresql() else "sqlite"
    query = _BLOCKING_QUERY[dialect].bindparams(
        sa.bindparam("now", type_=UTCDateTime), sa.bindparam("start", type_=UTCDateTime),
        sa.bindparam("end", type_=UTCDateTime),
    ).columns(unit_id=sa.Integer, starts_at=UTCDateTime, ends_at=UTCDateTime)
    rows = db.session.connection().execute(
        query, {"unit_ids": list(unit_ids), "now": now, "start": start, "end": end}
    ).all()
    for unit_id, starts_at, ends_at in rows:
        result[unit_id].append((starts_at, ends_at))
    for ranges in result.values():
        ranges.sort()
    return result


# --- free intervals ---------------------------------------------------------------------

def free_intervals(units, window_start, window_end, now):
    """For each unit id: the maximal bookable intervals inside [window_start, window_end).

    Intervals are aligned to the unit's step, lie within opening hours on days that are
    not closed (hourly units only), start no sooner than the lead time and end no later
    than the horizon, avoid every blocking booking (a lapsed hold is free at once) and are
    at least ``min_length`` steps long. The bookings of all units are read in one query.
    """
    units = list(units)
    frames = {}
    for unit in units:
        granularity = unit.granularity
        lower = max(next_step(window_start, granularity), earliest_start(unit, now))
        upper = min(step_start(window_end, granularity), latest_end(unit, now))
        frames[unit.id] = (lower, upper)
    live = [(lower, upper) for lower, upper in frames.values() if lower < upper]
    if not live:
        return {unit.id: [] for unit in units}
    query_start = min(lower for lower, _ in live)
    query_end = max(upper for _, upper in live)
    hourly = [unit for unit in units if unit.granularity == "hour"]
    closures = closed_days({unit.site_id for unit in hourly}, local_date(query_start),
                           local_date(query_end))
    busy = blocking_ranges([unit.id for unit in units], query_start, query_end, now)

    first_day, last_day = local_date(query_start), local_date(query_end)
    opening = {
        site_id: _opening_by_day(site, first_day, last_day, closures.get(site_id, set()))
        for site_id, site in {unit.site_id: unit.site for unit in hourly}.items()
    }
    result = {}
    for unit in units:
        lower, upper = frames[unit.id]
        granularity = unit.granularity
        base = _base_intervals(unit, lower, upper, opening.get(unit.site_id, {}))
        free = []
        for start, end in _subtract(base, busy[unit.id]):
            start, end = _realign(start, end, granularity)
            if start < end and (
                granularity == "hour" and unit.min_length <= 1
                or count_steps(start, end, granularity) >= unit.min_length
            ):
                free.append((start, end))
        result[unit.id] = free
    return result


def search_availability(*, now, start, end, site=None, kind=None, unit=None):
    """The active units of ``site`` (optionally of one ``kind``), or the single ``unit``,
    each with its free intervals in [start, end), ordered by position and id. Units with
    nothing free are listed with an empty list.

    Raises ValidationError: end not after start, window over 31 days
    (``window_too_long``), unknown kind, neither site nor unit given.
    """
    if end <= start:
        raise ValidationError({"end": "end_before_start"}, message_key="end_before_start")
    if end - start > MAX_WINDOW:
        raise ValidationError({"end": "window_too_long"}, message_key="window_too_long",
                              days=MAX_WINDOW.days)
    if kind is not None and kind not in set(UnitKind):
        raise ValidationError({"kind": "unknown_kind"}, message_key="unknown_kind", kind=kind)
    if unit is not None:
        units = [unit] if unit.active else []
    elif site is not None:
        query = sa.select(Unit).where(Unit.site_id == site.id, Unit.active.is_(True))
        if kind is not None:
            query = query.where(Unit.kind == kind)
        units = db.session.scalars(query.order_by(Unit.position, Unit.id)).all()
    else:
        raise ValidationError({"site": "required"}, message_key="site_or_unit_required")
    free = free_intervals(units, start, end, now)
    return [(each, free[each.id]) for each in units]


# --- checking one requested slot --------------------------------------------------------

def slot_problems(unit, starts_at, ends_at, now, *, attendees=1, closed=None):
    """The rules a requested slot breaks, as {field: code}, first-found message key first.

    Returns (fields, message_key, params); fields is empty when the slot may be booked
    (availability permitting). ``closed`` is the set of closed local dates of the unit's
    site (read when not given).
    """
    fields, keys = {}, []

    def problem(field, code, **params):
        if field not in fields:
            fields[field] = code
            keys.append((code, params))

    granularity = unit.granularity
    if not unit.active:
        problem("unit_id", "inactive_unit", unit=unit.name)
    if ends_at <= starts_at:
        problem("end", "end_before_start")
        return fields, keys[0][0], keys[0][1]
    if step_start(starts_at, granularity) != starts_at:
        problem("start", "not_on_step", granularity=STEP_LABELS[granularity])
    if step_start(ends_at, granularity) != ends_at:
        problem("end", "not_on_step", granularity=STEP_LABELS[granularity])
    if not fields:
        steps = count_steps(starts_at, ends_at, granularity)
        if steps < unit.min_length:
            problem("end", "too_short", min_length=unit.min_length,
                    granularity=STEP_LABELS[granularity])
        elif steps > unit.max_length:
            problem("end", "too_long", max_length=unit.max_length,
                    granularity=STEP_LABELS[granularity])
    if starts_at < earliest_start(unit, now):
        problem("start", "too_soon", minutes=unit.lead_time_minutes)
    if ends_at > latest_end(unit, now):
        problem("end", "too_far_ahead", days=unit.horizon_days)
    if granularity == "hour" and "start" not in fields:
        day = local_date(starts_at)
        if closed is None:
            closed = closed_days({unit.site_id}, day, day).get(unit.site_id, set())
        if day in closed:
            problem("start", "site_closed", day=day.isoformat())
        else:
            hours = opening_interval(unit.site, day, closed)
            if hours is None or starts_at < hours[0] or ends_at > hours[1]:
                problem("start", "outside_opening_hours")
    if attendees is None or attendees < 1:
        problem("attendees", "invalid_attendees")
    elif attendees > unit.capacity:
        problem("attendees", "over_capacity", capacity=unit.capacity)
    if not keys:
        return {}, None, {}
    return fields, keys[0][0], keys[0][1]


def check_slot(unit, starts_at, ends_at, now, *, attendees=1):
    """Raise ValidationError naming every rule the slot breaks."""
    fields, key, params = slot_problems(unit, starts_at, ends_at, now, attendees=attendees)
    if fields:
        raise ValidationError(fields, message_key=key, **params)


__all__ = [
    "free_intervals", "search_availability", "blocking_ranges", "slot_problems", "check_slot",
    "earliest_start", "latest_end", "opening_interval", "closed_days",
]
