"""Occupancy: booked hours inside opening hours divided by open hours.

- Only ``confirmed`` bookings occupy (a checked-in booking stays confirmed). ``requested``
  and ``held`` are not yet let; ``no_show`` released its unit, so it is not occupancy (it is
  counted under cancellations and no-shows instead).
- Every booking is clipped to the opening hours of each local day it touches, so day, week
  and month bookings count only their open hours and no figure exceeds 100 %.
- Closed days (closures, weekdays without opening hours) are in neither numerator nor
  denominator.
"""
from collections import defaultdict
from dataclasses import dataclass

from extensions import db
from reports.sql import Dialect, run
from spaces.models import Unit, UnitKind

KIND_ORDER = [kind.value for kind in UnitKind]
DAY_KEY = 10_000  # site_id * DAY_KEY + day number: one join key (periods are < 10,000 days)


@dataclass
class Share:
    booked_seconds: float = 0.0
    open_seconds: float = 0.0

    def add(self, booked, open_):
        self.booked_seconds += booked
        self.open_seconds += open_

    @property
    def booked_hours(self):
        return round(self.booked_seconds / 3600, 2)

    @property
    def open_hours(self):
        return round(self.open_seconds / 3600, 2)

    @property
    def ratio(self):
        """0..1, or None when nothing was open."""
        if not self.open_seconds:
            return None
        return self.booked_seconds / self.open_seconds


def calendar_values(dialect, period):
    rows = [
        f"({day.site_id}, {day.day_no}, {dialect.instant(day.opens_at)}, "
        f"{dialect.instant(day.closes_at)}, {day.week_no}, {day.month_no}, "
        f"{day.site_id * DAY_KEY + day.day_no})"
        for day in period.open_days
    ]
    return ", ".join(rows)


def booked_open_seconds(period, dialect=None):
    """{(unit_id, week_no, month_no): booked seconds inside opening hours}, summed in the
    database: each booking is joined to the open days it touches and clipped to them."""
    if not period.open_days:
        return {}
    d = dialect or Dialect(period)
    last_no = period.day_count - 1
    first_no = d.greatest(d.local_day_no("b.starts_at"), "0")
    final_no = d.least(d.local_day_no("b.ends_at", end=True), str(last_no))
    overlap = d.seconds_between(d.least("t.ends_at", "c.closes_at"),
                                d.greatest("t.starts_at", "c.opens_at"))
    if d.postgresql:
        # One integer key (site, day): the calendar can only be joined after the days of
        # each booking are generated, an equality join instead of a range test.
        recursive, expansion = "", ""
        days_join = (f"CROSS JOIN LATERAL generate_series(t.first_no, t.last_no) AS d(n) "
                     f"JOIN cal c ON c.day_key = t.site_id * {DAY_KEY} + d.n")
        source = "t"
    else:
        # SQLite has no generate_series: a recursive CTE adds the further days of the few
        # bookings that span several, and the calendar is joined by equality (indexed).
        recursive = "RECURSIVE"
        expansion = """,
        span(unit_id, site_id, starts_at, ends_at, n, last_no) AS (
            SELECT unit_id, site_id, starts_at, ends_at, first_no, last_no FROM t
            UNION ALL
            SELECT unit_id, site_id, starts_at, ends_at, n + 1, last_no FROM span
            WHERE n < last_no
        )"""
        days_join = f"JOIN cal c ON c.day_key = t.site_id * {DAY_KEY} + t.n"
        source = "span AS t"
    sql = f"""
        WITH {recursive} cal(site_id, day_no, opens_at, closes_at, week_no, month_no, day_key) AS (
            VALUES {calendar_values(d, period)}
        ),
        t AS {d.materialized} (
            SELECT b.unit_id, u.site_id, b.starts_at, b.ends_at,
                   {first_no} AS first_no, {final_no} AS last_no
            FROM bookings b JOIN units u ON u.id = b.unit_id
            WHERE b.status = 'confirmed' AND u.site_id IN ({d.ints(period.site_ids)})
              AND b.starts_at < {d.instant(period.ends_at)}
              AND b.ends_at > {d.instant(period.starts_at)}
        ){expansion}
        SELECT t.unit_id, c.week_no, c.month_no, SUM({overlap}) AS seconds
        FROM {source} {days_join}
        WHERE t.starts_at < c.closes_at AND t.ends_at > c.opens_at
        GROUP BY t.unit_id, c.week_no, c.month_no
    """
    return {(unit_id, week_no, month_no): float(seconds)
            for unit_id, week_no, month_no, seconds in run(sql)}


def open_seconds_by_site(period):
    """{site_id: {"week": {week_no: s}, "month": {month_no: s}, "total": s}}."""
    result = {site_id: {"week": defaultdict(float), "month": defaultdict(float), "total": 0.0}
              for site_id in period.site_ids}
    for day in period.open_days:
        entry = result[day.site_id]
        entry["week"][day.week_no] += day.seconds
        entry["month"][day.month_no] += day.seconds
        entry["total"] += day.seconds
    return result


def report_units(period, kinds=None):
    """The units a report covers: active units of the period's sites (in stable order)."""
    query = db.select(Unit).where(Unit.site_id.in_(period.site_ids), Unit.active.is_(True))
    if kinds:
        query = query.where(Unit.kind.in_(kinds))
    return db.session.scalars(query.order_by(Unit.site_id, Unit.kind, Unit.position, Unit.id)).all()


def occupancy_report(period, dialect=None):
    """Occupancy per unit, per unit kind and per site, for the whole period, per week and
    per month. Shares are of open hours; see the module docstring for the rules."""
    booked = booked_open_seconds(period, dialect)
    opened = open_seconds_by_site(period)
    units = report_units(period)
    booked_by_unit = defaultdict(lambda: {"week": defaultdict(float), "month": defaultdict(float),
                                          "total": 0.0})
    for (unit_id, week_no, month_no), seconds in booked.items():
        entry = booked_by_unit[unit_id]
        entry["week"][week_no] += seconds
        entry["month"][month_no] += seconds
        entry["total"] += seconds

    weeks, months = period.weeks, period.months
    by_unit, by_kind, by_site, total = [], {}, {}, Share()
    kind_weeks = defaultdict(lambda: defaultdict(Share))
    kind_months = defaultdict(lambda: defaultdict(Share))
    site_names = {site.id: site.name for site in period.sites}
    for unit in units:
        mine, site_open = booked_by_unit.get(unit.id), opened[unit.site_id]
        share = Share(mine["total"] if mine else 0.0, site_open["total"])
        by_unit.append({"unit_id": unit.id, "unit": unit.name, "kind": unit.kind,
                        "site_id": unit.site_id, "site": site_names[unit.site_id],
                        "share": share})
        by_kind.setdefault(unit.kind, {"kind": unit.kind, "units": 0, "share": Share()})
        by_kind[unit.kind]["units"] += 1
        by_kind[unit.kind]["share"].add(share.booked_seconds, share.open_seconds)
        by_site.setdefault(unit.site_id, {"site_id": unit.site_id, "site": site_names[unit.site_id],
                                          "units": 0, "share": Share()})
        by_site[unit.site_id]["units"] += 1
        by_site[unit.site_id]["share"].add(share.booked_seconds, share.open_seconds)
        total.add(share.booked_seconds, share.open_seconds)
        for week_no, _, _ in weeks:
            kind_weeks[unit.kind][week_no].add(mine["week"].get(week_no, 0.0) if mine else 0.0,
                                               site_open["week"].get(week_no, 0.0))
        for month_no, _, _ in months:
            kind_months[unit.kind][month_no].add(mine["month"].get(month_no, 0.0) if mine else 0.0,
                                                 site_open["month"].get(month_no, 0.0))
    kinds = [by_kind[kind] for kind in KIND_ORDER if kind in by_kind]
    for entry in kinds:
        entry["weekly"] = [kind_weeks[entry["kind"]][number] for number, _, _ in weeks]
        entry["monthly"] = [kind_months[entry["kind"]][number] for number, _, _ in months]
    all_weeks = [Share() for _ in weeks]
    all_months = [Share() for _ in months]
    for entry in kinds:
        for index, share in enumerate(entry["weekly"]):
            all_weeks[index].add(share.booked_seconds, share.open_seconds)
        for index, share in enumerate(entry["monthly"]):
            all_months[index].add(share.booked_seconds, share.open_seconds)
    return {
        "weeks": weeks, "months": months, "by_unit": by_unit, "by_kind": kinds,
        "by_site": [by_site[site_id] for site_id in period.site_ids if site_id in by_site],
        "weekly": all_weeks, "monthly": all_months, "total": total,
    }
