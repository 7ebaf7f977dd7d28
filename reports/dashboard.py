"""The manager dashboard of a site: today, the approval queue, this week, tenancies."""
from datetime import timedelta

import sqlalchemy as sa

from bookings.models import Booking
from core.time import local_date, local_midnight
from extensions import db
from reports.occupancy import occupancy_report
from reports.periods import build_period
from spaces.models import Unit

TENANCY_WARNING_DAYS = 30
TODAY_LIST_LIMIT = 50


def site_dashboard(site, now):
    """Figures of one site at ``now``: today's bookings and check-ins, pending and overdue
    approval requests, this week's occupancy per kind and tenancies ending within
    ``TENANCY_WARNING_DAYS`` days."""
    today = local_date(now)
    day_start, day_end = local_midnight(today), local_midnight(today + timedelta(days=1))
    in_site = sa.and_(Booking.unit_id == Unit.id, Unit.site_id == site.id)
    todays = (sa.select(Booking).join(Unit, in_site)
              .where(Booking.starts_at < day_end, Booking.ends_at > day_start,
                     Booking.status.in_(("confirmed", "requested", "held", "no_show"))))
    today_bookings = db.session.scalars(
        todays.order_by(Booking.starts_at, Booking.id).limit(TODAY_LIST_LIMIT)).all()
    counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Booking.checked_in_at))
        .select_from(Booking).join(Unit, in_site)
        .where(Booking.starts_at < day_end, Booking.ends_at > day_start,
               Booking.status.in_(("confirmed", "no_show")))
    ).one()
    pending = db.session.scalars(
        sa.select(Booking).join(Unit, in_site).where(Booking.status == "requested")
        .order_by(Booking.created_at, Booking.id)
    ).all()
    overdue = [booking for booking in pending if _is_overdue(booking, now)]
    monday = today - timedelta(days=today.weekday())
    week = occupancy_report(build_period([site], monday, monday + timedelta(days=6)))
    return {
        "site": site, "today": today, "today_bookings": today_bookings,
        "today_count": counts[0], "checked_in": counts[1],
        "pending": pending, "overdue": overdue,
        "week_start": monday, "week": week,
        "tenancies": tenancies_ending(site, today),
    }


def _is_overdue(booking, now):
    try:
        from bookings.approvals import is_overdue
    except ImportError:  # approvals not built: nothing is flagged
        return False
    return is_overdue(booking, now)


def tenancies_ending(site, today):
    """Approved tenancies of the site that end within the warning window; None when the
    tenancy model is not available."""
    try:
        from bookings.tenancy_models import Tenancy
    except ImportError:
        return None
    return db.session.scalars(
        sa.select(Tenancy).where(
            Tenancy.site_id == site.id, Tenancy.status == "approved",
            Tenancy.ends_on >= today,
            Tenancy.ends_on <= today + timedelta(days=TENANCY_WARNING_DAYS))
        .order_by(Tenancy.ends_on, Tenancy.id)
    ).all()
