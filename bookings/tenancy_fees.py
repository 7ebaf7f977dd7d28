"""What approved tenancies cost per calendar month: the input of the monthly invoicing.

The monthly fee is due for every calendar month the tenancy covers; a part month pays the
share of its days (a term starting on the 16th of a 30-day month pays 15/30), rounded half
up to whole cents once per line.
"""
import calendar
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from bookings.tenancy_models import BILLED_STATUSES, Tenancy
from extensions import db


def prorated_cents(monthly_fee_cents, days, days_in_month):
    """``monthly_fee_cents * days / days_in_month`` rounded half up (integer arithmetic)."""
    return (2 * monthly_fee_cents * days + days_in_month) // (2 * days_in_month)


def billable_tenancy_fees(organisation_id, year, month):
    """One line per approved (or early-ended) tenancy of the organisation that covers a day
    of the month ``year``-``month``: ``{tenancy_id, organisation_id, description,
    net_cents, period_start, period_end}`` with the covered local dates (both inclusive).
    ``organisation_id=None`` answers for every organisation. Ordered by tenancy id."""
    first = date(year, month, 1)
    days_in_month = calendar.monthrange(year, month)[1]
    last = date(year, month, days_in_month)
    query = (
        sa.select(Tenancy)
        .where(Tenancy.status.in_([status.value for status in BILLED_STATUSES]),
               Tenancy.monthly_fee_cents.is_not(None),
               Tenancy.starts_on <= last, Tenancy.ends_on >= first)
        .order_by(Tenancy.id)
    )
    if organisation_id is not None:
        query = query.where(Tenancy.organisation_id == organisation_id)
    lines = []
    for tenancy in db.session.scalars(query):
        period_start, period_end = max(tenancy.starts_on, first), min(tenancy.ends_on, last)
        days = (period_end - period_start).days + 1
        units = ", ".join(unit.name for unit in tenancy.units)
        description = _("Tenancy no. %(id)s (%(units)s), %(start)s – %(end)s",
                        id=tenancy.id, units=units, start=period_start.strftime("%d.%m.%Y"),
                        end=period_end.strftime("%d.%m.%Y"))
        if days != days_in_month:
            description += " " + _("(%(days)s of %(month_days)s days)", days=days,
                                   month_days=days_in_month)
        lines.append({
            "tenancy_id": tenancy.id,
            "organisation_id": tenancy.organisation_id,
            "description": description,
            "net_cents": prorated_cents(tenancy.monthly_fee_cents, days, days_in_month),
            "period_start": period_start,
            "period_end": period_end,
        })
    return lines


__all__ = ["billable_tenancy_fees", "prorated_cents"]
