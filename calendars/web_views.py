"""The web calendar: week and month views of a site (all active units, grouped by kind) and
of one unit. Server-rendered; free cells link to the booking form."""
from datetime import date, timedelta

from flask import render_template, request, url_for
from flask_babel import format_date
from flask_login import current_user

from accounts import policy
from calendars import grid
from calendars.views import bp
from core.errors import NotFound, ValidationError
from core.time import format_instant, local_date, utcnow
from spaces.services import active_units, site_by_slug, unit_by_id

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _asked_day(today):
    text = request.args.get("date")
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError({"date": "invalid_time"}, message_key="invalid_time", value=text)
    return day


def _asked_month(today):
    text = request.args.get("month")
    if not text:
        return today.year, today.month
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"month": "invalid_time"}, message_key="invalid_time", value=text)
    return year, month


def _viewer(site):
    if not current_user.is_authenticated:
        return grid.Viewer()
    managed = {site.id} if policy.can_manage_site(current_user, site.id) else set()
    return grid.Viewer(user_id=current_user.id, managed_site_ids=managed)


def _book_url(unit, cell):
    return url_for("bookings.new", unit=unit.id, start=format_instant(cell.book_start),
                   end=format_instant(cell.book_end))


def _week(site, units, endpoint, arguments):
    now = utcnow()
    today = local_date(now)
    days = grid.week_days(_asked_day(today))
    data = grid.CalendarData(units, days[0], days[-1], now, _viewer(site))
    hours = grid.display_hours(site, days)

    def link(day=None):
        return url_for(endpoint, **arguments, **({"date": day.isoformat()} if day else {}))

    iso_year, iso_number = grid.iso_week(days[0])
    return render_template(
        "calendars/week.html", site=site, days=days, hours=hours, data=data,
        groups=grid.group_by_kind(units), iso_year=iso_year, iso_number=iso_number,
        today=today, book_url=_book_url, format_date=format_date,
        single_unit=endpoint.startswith("calendars.unit_"),
        previous_url=link(days[0] - timedelta(days=7)), next_url=link(days[0] + timedelta(days=7)),
        today_url=link(), month_url=url_for(endpoint.replace("week", "month"), **arguments,
                                            month=f"{days[0].year:04d}-{days[0].month:02d}"),
    )


def _month(site, units, endpoint, arguments):
    now = utcnow()
    today = local_date(now)
    year, month = _asked_month(today)
    weeks = grid.month_weeks(year, month)
    data = grid.CalendarData(units, weeks[0][0], weeks[-1][-1], now, _viewer(site))
    hours = grid.display_hours(site, weeks[0])
    before, after = grid.neighbour_months(year, month)

    def link(year_month=None):
        extra = {"month": "%04d-%02d" % year_month} if year_month else {}
        return url_for(endpoint, **arguments, **extra)

    week_endpoint = endpoint.replace("month", "week")
    return render_template(
        "calendars/month.html", site=site, weeks=weeks, month_start=date(year, month, 1),
        data=data, hours=hours, units=units, groups=grid.group_by_kind(units), today=today,
        book_url=_book_url, iso_week=grid.iso_week, format_date=format_date,
        single_unit=endpoint.startswith("calendars.unit_"),
        week_url=lambda day: url_for(week_endpoint, **arguments, date=day.isoformat()),
        previous_url=link(before), next_url=link(after), today_url=link(),
    )


@bp.get("/calendar/<slug>/week")
def site_week(slug):
    site = site_by_slug(slug)
    return _week(site, active_units(site), "calendars.site_week", {"slug": slug})


@bp.get("/calendar/<slug>/month")
def site_month(slug):
    site = site_by_slug(slug)
    return _month(site, active_units(site), "calendars.site_month", {"slug": slug})


def _active_unit(unit_id):
    unit = unit_by_id(unit_id)
    if not unit.active:
        raise NotFound("unknown_unit", unit_id=unit_id)
    return unit


@bp.get("/calendar/units/<int:unit_id>/week")
def unit_week(unit_id):
    unit = _active_unit(unit_id)
    return _week(unit.site, [unit], "calendars.unit_week", {"unit_id": unit.id})


@bp.get("/calendar/units/<int:unit_id>/month")
def unit_month(unit_id):
    unit = _active_unit(unit_id)
    return _month(unit.site, [unit], "calendars.unit_month", {"unit_id": unit.id})
