"""How bookings and slots read on a page: local periods and statuses in words."""
from datetime import timedelta

from babel.dates import format_skeleton
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _

from core.time import to_local


def _is_midnight(local):
    return (local.hour, local.minute, local.second) == (0, 0, 0)


def _month_day(day):
    return format_skeleton("MMMEd", day, locale=get_locale())


def _month_year(day):
    return format_skeleton("yMMMM", day, locale=get_locale())


def describe_period(starts_at, ends_at, granularity=None):
    """A booking's period in local words, e.g. 'Tuesday, 16 March 2027, 14:00–16:00',
    '16 Mar 2027 – 18 Mar 2027', 'Week from Mon, Oct 25 to Sun, Oct 31, 2027', 'March 2027'."""
    start, end = to_local(starts_at), to_local(ends_at)
    whole_days = _is_midnight(start) and _is_midnight(end) and granularity != "hour"
    if not whole_days:
        last_moment = end - timedelta(microseconds=1)
        if start.date() == last_moment.date():
            return _(
                "%(day)s, %(start)s–%(end)s",
                day=format_date(start.date(), "full"),
                start=format_time(start, "short"),
                end=format_time(end, "short"),
            )
        return "%s, %s – %s, %s" % (
            format_date(start.date(), "medium"), format_time(start, "short"),
            format_date(end.date(), "medium"), format_time(end, "short"),
        )
    first_day, last_day = start.date(), end.date() - timedelta(days=1)
    if granularity == "month" or (
        granularity is None and first_day.day == 1 and end.date().day == 1
        and (last_day - first_day).days >= 27
    ):
        last_month = last_day.replace(day=1)
        if first_day.replace(day=1) == last_month:
            return _month_year(first_day)
        return "%s – %s" % (_month_year(first_day), _month_year(last_month))
    if granularity == "week":
        return _(
            "Week from %(first)s to %(last)s",
            first=format_date(first_day, "medium"),
            last=format_date(last_day, "medium"),
        )
    if first_day == last_day:
        return format_date(first_day, "full")
    return "%s – %s" % (format_date(first_day, "medium"), format_date(last_day, "medium"))


def slot_label(starts_at, ends_at, granularity):
    """The short text of an offered slot's link; the table row names the unit and day."""
    start, end = to_local(starts_at), to_local(ends_at)
    if granularity == "hour":
        return "%s–%s" % (format_time(start, "short"), format_time(end, "short"))
    last_day = end.date() - timedelta(days=1)
    if granularity == "day":
        if start.date() == last_day:
            return _month_day(start.date())
        return "%s – %s" % (_month_day(start.date()), _month_day(last_day))
    if granularity == "week":
        if (end.date() - start.date()).days == 7:
            return _("Week from %(day)s", day=_month_day(start.date()))
        return "%s – %s" % (_month_day(start.date()), _month_day(last_day))
    if start.date().replace(day=1) == last_day.replace(day=1):
        return _month_year(start.date())
    return "%s – %s" % (_month_year(start.date()), _month_year(last_day))


def status_text(booking, now):
    """The status in words; a hold names the time until which it waits for payment."""
    status = booking.status
    if status == "held":
        expires_at = booking.hold_expires_at
        if expires_at is not None and expires_at <= now:
            return _("Expired (not paid in time)")
        if expires_at is None:
            return _("Awaiting payment")
        # A hold after an approval lasts days: name the day unless it is today.
        same_day = to_local(expires_at).date() == to_local(now).date()
        until = (format_time(expires_at, "short") if same_day
                 else format_datetime(expires_at, "short"))
        return _("Awaiting payment until %(time)s", time=until)
    labels = {
        "confirmed": _("Confirmed"),
        "requested": _("Awaiting approval by the lab"),
        "rejected": _("Rejected"),
        "cancelled": _("Cancelled"),
        "expired": _("Expired (not paid in time)"),
        "no_show": _("Released (nobody checked in)"),
    }
    return labels.get(status, status)


def is_active(booking, now):
    """Whether the booking still holds its unit (so cancelling means something)."""
    return booking.blocks_at(now)
