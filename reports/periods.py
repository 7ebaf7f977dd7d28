"""The period of a report and its calendar: local days, weeks, months and opening hours.

Everything that depends on the local calendar (opening hours, closures, daylight saving) is
worked out here, once per report, in Python: at most a few thousand rows. The queries then
aggregate bookings against this calendar in the database.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import reports.messages  # noqa: F401 - registers the message keys raised here
from bookings.availability import closed_days, opening_interval
from core.errors import ValidationError
from core.time import BERLIN, UTC, add_months, local_midnight

MAX_PERIOD_DAYS = 3 * 366


@dataclass
class OpenDay:
    """One local day on which a site is open: the UTC bounds of its opening hours."""

    site_id: int
    day_no: int
    opens_at: datetime
    closes_at: datetime
    week_no: int
    month_no: int

    @property
    def seconds(self):
        return (self.closes_at - self.opens_at).total_seconds()


@dataclass
class Period:
    """Local dates ``first_day`` to ``last_day`` (inclusive) at some sites."""

    sites: list
    first_day: date
    last_day: date
    open_days: list = field(default_factory=list)

    @property
    def starts_at(self):
        return local_midnight(self.first_day)

    @property
    def ends_at(self):
        return local_midnight(self.last_day + timedelta(days=1))

    @property
    def day_count(self):
        return (self.last_day - self.first_day).days + 1

    @property
    def site_ids(self):
        return [site.id for site in self.sites]

    def day(self, day_no):
        return self.first_day + timedelta(days=day_no)

    def week_no(self, day_no):
        """Weeks run Monday to Sunday; week 0 holds the first day."""
        return (day_no + self.first_day.weekday()) // 7

    def month_no(self, day_no):
        day = self.day(day_no)
        return (day.year - self.first_day.year) * 12 + day.month - self.first_day.month

    @property
    def weeks(self):
        """[(week_no, Monday, ISO label)] of every week touching the period."""
        result = []
        monday = self.first_day - timedelta(days=self.first_day.weekday())
        number = 0
        while monday <= self.last_day:
            year, week, _ = monday.isocalendar()
            result.append((number, monday, f"{year}-W{week:02d}"))
            monday += timedelta(weeks=1)
            number += 1
        return result

    @property
    def months(self):
        """[(month_no, first of month, label)] of every month touching the period."""
        result, first, number = [], self.first_day.replace(day=1), 0
        while first <= self.last_day:
            result.append((number, first, f"{first.year}-{first.month:02d}"))
            first = add_months(first, 1)
            number += 1
        return result


def build_period(sites, first_day, last_day):
    """The period with its open days: opening hours per site and local day, closures left
    out (closed hours are in neither the booked nor the open hours)."""
    if last_day < first_day:
        raise ValidationError({"to": "before_from"}, message_key="report_period_reversed")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"to": "too_long"}, message_key="report_period_too_long",
                              days=MAX_PERIOD_DAYS)
    period = Period(sites=list(sites), first_day=first_day, last_day=last_day)
    closures = closed_days(period.site_ids, first_day, last_day)
    for site in period.sites:
        closed = closures.get(site.id, set())
        # Plain copies of the opening hours: read 366 times a year, ORM attributes are slow.
        plain = SimpleNamespace(opening_hours=[
            SimpleNamespace(weekday=hours.weekday, opens_at=hours.opens_at,
                            closes_at=hours.closes_at) for hours in site.opening_hours])
        for day_no in range(period.day_count):
            hours = opening_interval(plain, period.day(day_no), closed)
            if hours is not None:
                period.open_days.append(OpenDay(site.id, day_no, hours[0], hours[1],
                                                period.week_no(day_no), period.month_no(day_no)))
    return period


def parse_day(text, field_name):
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValidationError({field_name: "invalid_date"}, message_key="invalid_report_date",
                              value=str(text)) from None


def default_bounds(today):
    """The current month up to its end."""
    first = today.replace(day=1)
    return first, add_months(first, 1) - timedelta(days=1)


def offset_changes(starts_at, ends_at):
    """The UTC offset of Europe/Berlin at ``starts_at`` (seconds) and the changes up to
    ``ends_at``: [(instant, new offset)]; a small table that SQLite uses for local days."""
    first = starts_at - timedelta(days=2)
    current = int(first.astimezone(BERLIN).utcoffset().total_seconds())
    initial, changes = current, []
    instant = first.replace(minute=0, second=0, microsecond=0)
    # Daily steps find the days with a change; hourly steps inside them find the hour.
    while instant < ends_at + timedelta(days=2):
        following = instant + timedelta(days=1)
        offset = int(following.astimezone(BERLIN).utcoffset().total_seconds())
        if offset != current:
            probe = instant
            while int(probe.astimezone(BERLIN).utcoffset().total_seconds()) == current:
                probe += timedelta(hours=1)
            changes.append((probe.astimezone(UTC), offset))
            current = offset
        instant = following
    return initial, changes
