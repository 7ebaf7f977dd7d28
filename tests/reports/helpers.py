"""Small builders for the report tests: local times, periods and reports."""
from datetime import date, datetime, time, timedelta

from core.time import at_local, local_midnight
from reports.periods import build_period
from reports.summary import build_report

TEN_HOURS = {day: (time(8), time(18)) for day in range(5)}  # Mon-Fri 8-18, weekends closed
EVERY_DAY_8_20 = {day: (time(8), time(20)) for day in range(7)}


def local(day, hour, minute=0):
    """The UTC instant of a Berlin wall-clock time."""
    return at_local(day, time(hour, minute))


def midnight(day):
    return local_midnight(day)


def report_for(sites, first, last):
    return build_report(build_period(sites, first, last), today=date(2027, 6, 1))


def day(text):
    return date.fromisoformat(text)


__all__ = ["local", "midnight", "report_for", "day", "TEN_HOURS", "EVERY_DAY_8_20",
           "datetime", "timedelta"]
