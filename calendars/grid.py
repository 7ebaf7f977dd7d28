"""The data of the web calendar: per unit and local day (or hour) a cell that says whether
it is free, busy, the viewer's own, a pending request, closed or outside opening hours.

Days are local calendar days (``local_midnight`` to the next one), so the two
daylight-saving days of a year last 23 and 25 hours. Weeks start on Monday.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from bookings.availability import free_intervals, opening_interval
from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from core.time import BERLIN, add_steps, at_local, local_date, local_midnight, step_start
from extensions import db
from privacy.services import shown_name
from spaces.models import Closure

DAYS_PER_WEEK = 7
DEFAULT_HOURS = (8, 20)

# The states of a cell; the template shows each with a text label (not only a colour).
FREE, BUSY, OWN, PENDING, CLOSED, OUTSIDE, UNAVAILABLE = (
    "free", "busy", "own", "pending", "closed", "outside", "unavailable")


@dataclass
class Cell:
    state: str
    starts_at: datetime
    ends_at: datetime
    # Only for the viewer's own bookings and for the site's managers.
    booking_id: Optional[int] = None
    booker_name: Optional[str] = None
    # The slot the booking form is opened for when the cell is free.
    book_start: Optional[datetime] = None
    book_end: Optional[datetime] = None


@dataclass
class Viewer:
    """Who looks: their user id (None: anonymous) and the sites they manage."""
    user_id: Optional[int] = None
    managed_site_ids: set = field(default_factory=set)

    def manages(self, site_id):
        return site_id in self.managed_site_ids


# --- calendar arithmetic ----------------------------------------------------------------------

def week_start(day):
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())


def week_days(day):
    first = week_start(day)
    return [first + timedelta(days=offset) for offset in range(DAYS_PER_WEEK)]


def iso_week(day):
    """(ISO year, ISO week number) of ``day``."""
    year, week, _ = day.isocalendar()
    return year, week


def month_weeks(year, month):
    """The Monday-first weeks (lists of 7 dates) that cover the month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    weeks, monday = [], week_start(first)
    while monday < following:
        weeks.append([monday + timedelta(days=offset) for offset in range(DAYS_PER_WEEK)])
        monday += timedelta(days=DAYS_PER_WEEK)
    return weeks


def neighbour_months(year, month):
    """((year, month) before, (year, month) after)."""
    before = (year - 1, 12) if month == 1 else (year, month - 1)
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    return before, after


def day_bounds(day):
    """[start, end) of the local day: 23 or 25 hours long on the daylight-saving days."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def hour_bounds(day, hour):
    """[start, end) of the local hour, or None for an hour that does not exist (spring)."""
    start = at_local(day, time(hour))
    if start.astimezone(BERLIN).hour != hour:
        return None
    end = local_midnight(day + timedelta(days=1)) if hour == 23 else at_local(day, time(hour + 1))
    return (start, end) if start < end else None


# --- reading the calendar ---------------------------------------------------------------------

class CalendarData:
    """Everything the cells of ``units`` between two local dates (inclusive) depend on,
    read at once: free intervals, blocking bookings (one query), closures."""

    def __init__(self, units, first_day, last_day, now, viewer):
        self.units = list(units)
        self.viewer = viewer
        self.now = now
        self.start, _ = day_bounds(first_day)
        _, self.end = day_bounds(last_day)
        self.free = free_intervals(self.units, self.start, self.end, now)
        self.bookings = self._blocking_bookings()
        self.closures = self._closures(first_day, last_day)

    def _blocking_bookings(self):
        result = {unit.id: [] for unit in self.units}
        if not self.units:
            return result
        rows = db.session.scalars(
            sa.select(Booking).options(joinedload(Booking.booked_by)).where(
                Booking.unit_id.in_(list(result)),
                Booking.status.in_([str(status) for status in BLOCKING_STATUSES]),
                Booking.starts_at < self.end, Booking.ends_at > self.start,
            ).order_by(Booking.starts_at)
        ).all()
        for booking in rows:
            if booking.blocks_at(self.now):
                result[booking.unit_id].append(booking)
        return result

    def _closures(self, first_day, last_day):
        """{site_id: {local date: reason}}."""
        site_ids = {unit.site_id for unit in self.units}
        result = {site_id: {} for site_id in site_ids}
        if not site_ids:
            return result
        rows = db.session.scalars(sa.select(Closure).where(
            Closure.site_id.in_(site_ids), Closure.starts_on <= last_day,
            Closure.ends_on >= first_day)).all()
        for closure in rows:
            day = max(closure.starts_on, first_day)
            while day <= min(closure.ends_on, last_day):
                result[closure.site_id][day] = closure.reason
                day += timedelta(days=1)
        return result

    def closure_reason(self, site_id, day):
        """The reason of a closure on ``day`` ("" when unnamed), or None when open."""
        return self.closures.get(site_id, {}).get(day)

    def opening(self, site, day):
        """(opens, closes) instants of the site on ``day``, or None (closed)."""
        return opening_interval(site, day, set(self.closures.get(site.id, {})))

    # --- cells ---

    def cell(self, unit, start, end):
        """The state of ``unit`` in [start, end) as the viewer may see it."""
        overlapping = [booking for booking in self.bookings[unit.id]
                       if booking.starts_at < end and booking.ends_at > start]
        if overlapping:
            return self._booked_cell(unit, start, end, overlapping)
        if unit.granularity == "hour":
            day = local_date(start)
            if self.closure_reason(unit.site_id, day) is not None:
                return Cell(CLOSED, start, end)
            hours = self.opening(unit.site, day)
            if hours is None or start < hours[0] or end > hours[1]:
                return Cell(OUTSIDE, start, end)
        book_start = step_start(start, unit.granularity)
        book_end = add_steps(book_start, unit.granularity, max(1, unit.min_length))
        if any(free_start <= book_start and book_end <= free_end
               for free_start, free_end in self.free[unit.id]):
            return Cell(FREE, start, end, book_start=book_start, book_end=book_end)
        return Cell(UNAVAILABLE, start, end)

    def _booked_cell(self, unit, start, end, overlapping):
        viewer = self.viewer
        own = [b for b in overlapping if viewer.user_id and b.booked_by_id == viewer.user_id]
        if own:
            return Cell(OWN, start, end, booking_id=own[0].id)
        if not viewer.manages(unit.site_id):
            return Cell(BUSY, start, end)
        pending = [b for b in overlapping if b.status != BookingStatus.CONFIRMED]
        booking = (pending or overlapping)[0]
        booker = booking.booked_by
        name = (shown_name(booker.display_name) or booker.email) if booker is not None else None
        return Cell(PENDING if pending else BUSY, start, end, booking_id=booking.id,
                    booker_name=name)

    def day_cell(self, unit, day):
        start, end = day_bounds(day)
        return self.cell(unit, start, end)

    def hour_cells(self, unit, day, hours):
        """One cell per hour in ``hours`` (None for an hour the day does not have)."""
        cells = []
        for hour in hours:
            bounds = hour_bounds(day, hour)
            cells.append(self.cell(unit, *bounds) if bounds else None)
        return cells

    def day_summary(self, unit, day, hours):
        """One cell for the whole local day of an hourly unit: free when any hour is free
        (``partly`` when some hour is also taken), else the most telling state."""
        if unit.granularity != "hour":
            return self.day_cell(unit, day), False
        start, end = day_bounds(day)
        cells = [cell for cell in self.hour_cells(unit, day, hours) if cell is not None]
        states = {cell.state for cell in cells}
        taken = states & {BUSY, OWN, PENDING}
        for state in (OWN, PENDING):
            if state in states:
                chosen = next(cell for cell in cells if cell.state == state)
                return Cell(state, start, end, booking_id=chosen.booking_id,
                            booker_name=chosen.booker_name), FREE in states
        if FREE in states:
            return Cell(FREE, start, end), bool(taken)
        for state in (BUSY, CLOSED, UNAVAILABLE):
            if state in states:
                return Cell(state, start, end), False
        return Cell(OUTSIDE if states else CLOSED, start, end), False

    def free_unit_count(self, units, day, hours):
        """How many of ``units`` have some free time on ``day``."""
        return sum(1 for unit in units if self.day_summary(unit, day, hours)[0].state == FREE)


def display_hours(site, days):
    """The hour columns for hourly units: from the earliest opening to the latest closing
    of the site on these days (8-20 when it has no opening hours)."""
    weekdays = {day.weekday() for day in days}
    hours = [entry for entry in site.opening_hours if entry.weekday in weekdays]
    if not hours:
        first, last = DEFAULT_HOURS
    else:
        first = min(entry.opens_at.hour for entry in hours)
        last = max(entry.closes_at.hour + (1 if entry.closes_at.minute else 0) for entry in hours)
    return list(range(first, min(last, 24)))


def group_by_kind(units):
    """[(kind, [units])] in the order the units come (already sorted by kind)."""
    groups = []
    for unit in units:
        if groups and groups[-1][0] == unit.kind:
            groups[-1][1].append(unit)
        else:
            groups.append((unit.kind, [unit]))
    return groups


__all__ = [
    "Cell", "Viewer", "CalendarData", "week_start", "week_days", "iso_week", "month_weeks",
    "neighbour_months", "day_bounds", "hour_bounds", "display_hours", "group_by_kind",
    "FREE", "BUSY", "OWN", "PENDING", "CLOSED", "OUTSIDE", "UNAVAILABLE",
]
