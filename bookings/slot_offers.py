"""Which slots the search page offers as one-click links, from the free intervals.

The search window for a unit's step, the chunks in which the availability service is
asked (it answers at most 31 days at a time), and the slots cut from each unit's free
intervals. Only ``offer_groups`` reads the database (through the availability service).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bookings.availability import search_availability
from core.time import add_months, add_steps, at_local, count_steps, local_midnight

# How far a search may reach, in the unit's steps (keeps the page readable; a day has
# 25 hours when the clocks go back).
MAX_SPAN_STEPS = {"hour": 25, "day": 31, "week": 12, "month": 12}
# Without a last day, a search shows this many steps.
DEFAULT_SPAN_STEPS = {"hour": 1, "day": 1, "week": 4, "month": 3}
# The service answers at most 31 days per question; ask in chunks of whole steps.
CHUNK_STEPS = {"hour": 24 * 28, "day": 28, "week": 4, "month": 1}
# At most this many links per unit.
MAX_OFFERS_PER_UNIT = 62


class SearchProblem(Exception):
    """The search cannot be answered as asked: ``code`` says why (the page words it)."""

    def __init__(self, code, granularity=None):
        super().__init__(code)
        self.code = code
        self.granularity = granularity


@dataclass(frozen=True)
class Offer:
    starts_at: datetime
    ends_at: datetime
    whole_period: bool = False


def search_window(granularity, first_day, last_day=None, from_time=None, to_time=None):
    """The UTC window [start, end) a search covers for units of ``granularity``.

    Hourly units: one local day, optionally narrowed to from/to times. Day units: whole
    local days; week units: Monday weeks; month units: calendar months, from the step
    containing ``first_day`` to the one containing ``last_day`` (inclusive).
    """
    if granularity == "hour":
        start = at_local(first_day, from_time) if from_time else local_midnight(first_day)
        end = (
            at_local(first_day, to_time)
            if to_time
            else local_midnight(first_day + timedelta(days=1))
        )
        return start, end
    if granularity == "day":
        last_day = last_day or first_day
        return local_midnight(first_day), local_midnight(last_day + timedelta(days=1))
    if granularity == "week":
        monday = first_day - timedelta(days=first_day.weekday())
        if last_day is None:
            last_monday = monday + timedelta(weeks=DEFAULT_SPAN_STEPS["week"] - 1)
        else:
            last_monday = last_day - timedelta(days=last_day.weekday())
        return local_midnight(monday), local_midnight(last_monday + timedelta(weeks=1))
    first_of_month = first_day.replace(day=1)
    if last_day is None:
        last_of_range = add_months(first_of_month, DEFAULT_SPAN_STEPS["month"] - 1)
    else:
        last_of_range = last_day.replace(day=1)
    return local_midnight(first_of_month), local_midnight(add_months(last_of_range, 1))


def chunks(start, end, granularity):
    """Split [start, end) at step boundaries into pieces the service accepts."""
    pieces = []
    cursor = start
    while cursor < end:
        following = min(add_steps(cursor, granularity, CHUNK_STEPS[granularity]), end)
        pieces.append((cursor, following))
        cursor = following
    return pieces


def merge_intervals(intervals):
    """Join touching or overlapping intervals (chunk borders cut free time in two)."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clamp(value, unit):
    return max(unit.min_length, min(unit.max_length, value))


def offers_for(unit, free, window, *, hours=None, whole_period=False):
    """The slots to offer for ``unit`` whose free (merged) intervals are ``free``.

    Hourly units: slots of ``hours`` (default: the from-to window when both times were
    given, else one hour), clamped to the unit's minimum and maximum length, starting on
    every free hour. Other units: one slot per step (or the unit's minimum length), plus
    the whole window first when ``whole_period`` asks for it and it is free and allowed.
    """
    granularity = unit.granularity
    offers = []
    if granularity == "hour":
        if hours is None:
            hours = count_steps(window[0], window[1], "hour") if whole_period else 1
        length = timedelta(hours=_clamp(hours, unit))
        for start, end in free:
            cursor = start
            while cursor + length <= end and len(offers) < MAX_OFFERS_PER_UNIT:
                offers.append(Offer(cursor, cursor + length))
                cursor += timedelta(hours=1)
        return offers

    window_start, window_end = window
    window_length = count_steps(window_start, window_end, granularity)
    if (
        whole_period
        and window_length > 1
        and unit.min_length <= window_length <= unit.max_length
        and any(start <= window_start and window_end <= end for start, end in free)
    ):
        offers.append(Offer(window_start, window_end, whole_period=True))
    steps = max(1, unit.min_length)
    for start, end in free:
        cursor = start
        while len(offers) < MAX_OFFERS_PER_UNIT:
            following = add_steps(cursor, granularity, steps)
            if following > end:
                break
            offers.append(Offer(cursor, following))
            cursor = add_steps(cursor, granularity, 1)
    return offers


def offer_groups(*, now, site, kind, units, narrowed=False, first_day, last_day=None,
                 from_time=None, to_time=None, hours=None):
    """For each step size among ``units`` (active units of ``kind`` at ``site``, or the
    one unit the search is ``narrowed`` to): {granularity, window, rows: [(unit, offers)]}.

    Raises SearchProblem ``end_before_start`` or ``span_too_long``; the availability
    service's ValidationError passes through.
    """
    groups = []
    for granularity in ("hour", "day", "week", "month"):
        group_units = [unit for unit in units if unit.granularity == granularity]
        if not group_units:
            continue
        window = search_window(granularity, first_day, last_day, from_time, to_time)
        if window[1] <= window[0]:
            raise SearchProblem("end_before_start", granularity)
        if count_steps(window[0], window[1], granularity) > MAX_SPAN_STEPS[granularity]:
            raise SearchProblem("span_too_long", granularity)
        free = {unit.id: [] for unit in group_units}
        # One question for the whole kind when every unit of it shares this step.
        ask_for_kind = len(group_units) == len(units) and not narrowed
        for chunk_start, chunk_end in chunks(window[0], window[1], granularity):
            if ask_for_kind:
                answers = search_availability(now=now, start=chunk_start, end=chunk_end,
                                              site=site, kind=kind)
            else:
                answers = []
                for unit in group_units:
                    answers += search_availability(now=now, start=chunk_start, end=chunk_end,
                                                   unit=unit)
            for unit, intervals in answers:
                free.setdefault(unit.id, []).extend(intervals)
        if granularity == "hour":
            whole = bool(from_time and to_time)
        else:
            whole = last_day is not None
        rows = [
            (unit, offers_for(unit, merge_intervals(free[unit.id]), window, hours=hours,
                              whole_period=whole))
            for unit in group_units
        ]
        groups.append({"granularity": granularity, "window": window, "rows": rows})
    return groups
