"""Who used the labs and when: heat map, pop-up lets, organisations and persons served,
cancellations and no-shows. Each figure is one aggregate query over bookings."""
from collections import defaultdict

from flask import current_app

from reports.sql import Dialect, run

HEATMAP_KINDS = ("desk", "meeting_room", "event_space")
POPUP_KINDS = ("popup_shelf", "shop_window")
# Bookings whose customers the labs served (checked-in bookings stay confirmed).
SERVED_STATUSES = ("confirmed",)


def _scope(d, period, statuses, overlapping=True):
    """WHERE clause: bookings of the period's sites with these statuses, overlapping the
    period (or, with ``overlapping=False``, starting in it)."""
    if overlapping:
        when = (f"b.starts_at < {d.instant(period.ends_at)} "
                f"AND b.ends_at > {d.instant(period.starts_at)}")
    else:
        when = (f"b.starts_at >= {d.instant(period.starts_at)} "
                f"AND b.starts_at < {d.instant(period.ends_at)}")
    return (f"b.status IN ({d.strings(statuses)}) AND u.site_id IN ({d.ints(period.site_ids)}) "
            f"AND {when}")


# --- heat map ---------------------------------------------------------------------------

def heat_map(period, dialect=None):
    """Per kind (desks, meeting rooms, event space): booked hours and occupancy per local
    weekday × hour. Bookings starting in the period are grouped in the database by weekday,
    start minute and length; Python spreads each group over the hours it covers. The
    denominator of a cell is the number of units of the kind times the open hours of that
    weekday and hour in the period (closed days left out)."""
    d = dialect or Dialect(period)
    sql = f"""
        SELECT u.kind, {d.local_weekday('b.starts_at')} AS weekday,
               {d.local_minute_of_day('b.starts_at')} AS minute,
               CAST(ROUND({d.seconds_between('b.ends_at', 'b.starts_at')} / 60.0) AS INTEGER) AS length,
               COUNT(*) AS bookings
        FROM bookings b JOIN units u ON u.id = b.unit_id
        WHERE {_scope(d, period, SERVED_STATUSES, overlapping=False)}
          AND u.kind IN ({d.strings(HEATMAP_KINDS)}) AND u.granularity = 'hour'
        GROUP BY 1, 2, 3, 4
    """
    booked = defaultdict(lambda: defaultdict(float))  # kind -> (weekday, hour) -> minutes
    for kind, weekday, minute, length, count in run(sql):
        minute, end = int(minute), int(minute) + int(length)
        while minute < end:
            hour_index = minute // 60
            chunk = min(end, (hour_index + 1) * 60) - minute
            cell = ((int(weekday) + hour_index // 24) % 7, hour_index % 24)
            booked[kind][cell] += chunk * int(count)
            minute += chunk
    unit_counts = _hourly_unit_counts(period)
    open_hours = _open_unit_hours(period, unit_counts)
    result = []
    for kind in HEATMAP_KINDS:
        if not any(unit_counts[kind].values()) and not booked.get(kind):
            continue
        cells = {}
        hours_shown = sorted({hour for (_, hour) in open_hours[kind]} |
                             {hour for (_, hour) in booked[kind]})
        for weekday in range(7):
            for hour in hours_shown:
                booked_hours = booked[kind].get((weekday, hour), 0.0) / 60
                capacity = open_hours[kind].get((weekday, hour), 0.0)
                cells[(weekday, hour)] = {
                    "booked_hours": round(booked_hours, 2), "open_hours": round(capacity, 2),
                    "ratio": booked_hours / capacity if capacity else None,
                }
        result.append({"kind": kind, "hours": hours_shown, "cells": cells})
    return result


def _hourly_unit_counts(period):
    from reports.occupancy import report_units

    counts = {kind: defaultdict(int) for kind in HEATMAP_KINDS}
    for unit in report_units(period, HEATMAP_KINDS):
        if unit.granularity == "hour":
            counts[unit.kind][unit.site_id] += 1
    return counts


def _open_unit_hours(period, unit_counts):
    """{kind: {(weekday, hour): open unit-hours}} from the period's open days. Days with
    the same site, weekday and opening hours are counted together."""
    from collections import Counter

    from core.time import to_local

    same_days = Counter()
    for day in period.open_days:
        opens = to_local(day.opens_at)
        same_days[(day.site_id, opens.weekday(), opens.hour, int(day.seconds // 3600))] += 1
    result = {kind: defaultdict(float) for kind in HEATMAP_KINDS}
    for (site_id, weekday, first_hour, hours), days in same_days.items():
        for kind in HEATMAP_KINDS:
            units = unit_counts[kind].get(site_id, 0)
            for hour in range(first_hour, first_hour + hours) if units else ():
                result[kind][(weekday, hour % 24)] += units * days
    return result


# --- pop-up slots -------------------------------------------------------------------------

def popup_report(period, dialect=None):
    """Pop-up shelves and shop windows: per unit the share of the period's weeks in which
    it was let (at least one confirmed booking overlapping the week), the number of
    distinct retailers (billed organisation, else the booking person) and how many of them
    booked more than once."""
    from reports.occupancy import report_units

    d = dialect or Dialect(period)
    weeks = period.weeks
    shift = period.first_day.weekday()
    first_week = f"(({d.greatest(d.local_day_no('b.starts_at'), '0')} + {shift}) / 7)"
    last_week = (f"(({d.least(d.local_day_no('b.ends_at', end=True), str(period.day_count - 1))}"
                 f" + {shift}) / 7)")
    scope = _scope(d, period, SERVED_STATUSES) + f" AND u.kind IN ({d.strings(POPUP_KINDS)})"
    let_sql = f"""
        WITH t AS (
            SELECT b.unit_id, {first_week} AS first_week, {last_week} AS last_week
            FROM bookings b JOIN units u ON u.id = b.unit_id WHERE {scope}
        )
        SELECT t.unit_id, COUNT(DISTINCT w.n)
        FROM t {d.expand_range('t.first_week', 't.last_week', 'w', [n for n, _, _ in weeks])}
        GROUP BY t.unit_id
    """
    weeks_let = {unit_id: int(count) for unit_id, count in run(let_sql)}
    booker_sql = f"""
        SELECT b.billed_organisation_id,
               CASE WHEN b.billed_organisation_id IS NULL THEN b.booked_by_id END AS person_id,
               COUNT(*) AS bookings
        FROM bookings b JOIN units u ON u.id = b.unit_id WHERE {scope}
        GROUP BY 1, 2
    """
    bookers = run(booker_sql)
    units = [unit for unit in report_units(period, POPUP_KINDS)]
    site_names = {site.id: site.name for site in period.sites}
    rows = [{"unit_id": unit.id, "unit": unit.name, "kind": unit.kind,
             "site": site_names[unit.site_id], "weeks_let": weeks_let.get(unit.id, 0),
             "weeks": len(weeks),
             "ratio": weeks_let.get(unit.id, 0) / len(weeks) if weeks else None}
            for unit in units]
    total_let = sum(row["weeks_let"] for row in rows)
    total_weeks = len(weeks) * len(rows)
    return {
        "units": rows,
        "weeks_let": total_let, "unit_weeks": total_weeks,
        "ratio": total_let / total_weeks if total_weeks else None,
        "retailers": len(bookers),
        "repeat_bookers": sum(1 for row in bookers if row[2] > 1),
    }


# --- organisations and persons served ---------------------------------------------------

def _local_condition(d):
    prefixes = current_app.config.get("CHAMBER_DISTRICT_POSTCODE_PREFIXES", ())
    municipalities = [name.strip().lower() for name in
                      current_app.config.get("CHAMBER_DISTRICT_MUNICIPALITIES", ()) if name.strip()]
    parts = [f"o.postcode LIKE {d.strings([prefix + '%'])}" for prefix in prefixes if prefix]
    if municipalities:
        parts.append(f"LOWER(TRIM(o.municipality)) IN ({d.strings(municipalities)})")
    if not parts:
        return "1 = 0"
    return f"(o.country = 'DE' AND ({' OR '.join(parts)}))"


def served_report(period, dialect=None):
    """Distinct organisations (billed) and persons (booking) with a confirmed booking in
    the period; organisations by kind, local to the chamber's district (postcode prefix or
    municipality, configurable) and chamber members; new ones per month (their first
    confirmed booking at these sites falls in that month)."""
    d = dialect or Dialect(period)
    scope = _scope(d, period, SERVED_STATUSES)
    totals = run(f"""
        SELECT COUNT(DISTINCT b.billed_organisation_id), COUNT(DISTINCT b.booked_by_id)
        FROM bookings b JOIN units u ON u.id = b.unit_id WHERE {scope}
    """)[0]
    member = "(o.chamber_member_number IS NOT NULL AND TRIM(o.chamber_member_number) <> '')"
    by_kind = run(f"""
        SELECT o.kind, COUNT(*),
               SUM(CASE WHEN {_local_condition(d)} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {member} THEN 1 ELSE 0 END)
        FROM organisations o
        WHERE o.id IN (SELECT b.billed_organisation_id FROM bookings b
                       JOIN units u ON u.id = b.unit_id WHERE {scope})
        GROUP BY o.kind ORDER BY o.kind
    """)
    all_sites = (f"b.status IN ({d.strings(SERVED_STATUSES)}) "
                 f"AND u.site_id IN ({d.ints(period.site_ids)})")
    new_per_month = {}
    for label, column in (("organisations", "b.billed_organisation_id"),
                          ("persons", "b.booked_by_id")):
        rows = run(f"""
            SELECT {d.local_month_no('f.first_at')} AS month_no, COUNT(*)
            FROM (SELECT {column} AS who, MIN(b.starts_at) AS first_at
                  FROM bookings b JOIN units u ON u.id = b.unit_id
                  WHERE {all_sites} AND {column} IS NOT NULL
                  GROUP BY {column}) f
            WHERE f.first_at >= {d.instant(period.starts_at)}
              AND f.first_at < {d.instant(period.ends_at)}
            GROUP BY 1
        """)
        new_per_month[label] = {int(month_no): int(count) for month_no, count in rows}
    kinds = [{"kind": kind, "organisations": int(count), "local": int(local or 0),
              "members": int(members or 0)} for kind, count, local, members in by_kind]
    return {
        "organisations": int(totals[0]), "persons": int(totals[1]),
        "local": sum(row["local"] for row in kinds),
        "members": sum(row["members"] for row in kinds),
        "by_kind": kinds,
        "new": [{"month": label,
                 "organisations": new_per_month["organisations"].get(number, 0),
                 "persons": new_per_month["persons"].get(number, 0)}
                for number, _, label in period.months],
    }


# --- cancellations and no-shows ---------------------------------------------------------

def cancellations_report(period, dialect=None):
    """Per site and unit kind, of the bookings starting in the period: how many were
    confirmed, cancelled or no-shows, and the shares of cancellations and no-shows among
    those three."""
    d = dialect or Dialect(period)
    rows = run(f"""
        SELECT u.site_id, u.kind, b.status, COUNT(*)
        FROM bookings b JOIN units u ON u.id = b.unit_id
        WHERE {_scope(d, period, ('confirmed', 'cancelled', 'no_show'), overlapping=False)}
        GROUP BY 1, 2, 3
    """)
    site_names = {site.id: site.name for site in period.sites}
    table = {}
    for site_id, kind, status, count in rows:
        entry = table.setdefault((site_id, kind), {"site": site_names[site_id], "kind": kind,
                                                   "confirmed": 0, "cancelled": 0, "no_show": 0})
        entry[status] += int(count)
    result = sorted(table.values(), key=lambda row: (row["site"], row["kind"]))
    total = {"confirmed": 0, "cancelled": 0, "no_show": 0}
    for row in result:
        for status in total:
            total[status] += row[status]
    for row in result + [total]:
        counted = row["confirmed"] + row["cancelled"] + row["no_show"]
        row["cancelled_ratio"] = row["cancelled"] / counted if counted else None
        row["no_show_ratio"] = row["no_show"] / counted if counted else None
    return {"rows": result, "total": total}
