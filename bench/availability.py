"""Availability benchmark (issue 3).

Loads 100,000 bookings over 200 units at 4 sites across a year (bench/dataset.py), then asks
1,000 random site-week questions "which units of this site can still be booked in this week?"
twice: through the service (bookings.availability.free_intervals: a unit is free when it has
at least one free interval) and as one hand-written SQL query. Both answers must be the same
set of units for every sampled query. Prints p50/p95 of both and their ratio; the last line
is one JSON object.

The SQL relies on the data set's shape: every unit has min_length 1, bookings are aligned to
whole hours (hourly units) or local midnights (day units), no closures, no holds, so a unit is
free in the week exactly when its blocking bookings cover less than its bookable time (its
opening hours, or the whole week). The bookable periods of the week are computed in Python
from the site's opening hours and passed to the query.

Usage: python bench/availability.py   (DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
"""
import json
import random
import statistics
import sys
import time as clock
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import YEAR, bench_app, bench_database, load  # noqa: E402

QUERIES = 1000

SQL_POSTGRESQL = """
WITH periods(granularity, starts_at, ends_at) AS (VALUES {periods}),
candidates AS (
    SELECT u.id, u.granularity FROM units u WHERE u.site_id = :site_id AND u.active
),
capacity AS (
    SELECT c.id, SUM(EXTRACT(EPOCH FROM p.ends_at - p.starts_at)) AS seconds
    FROM candidates c JOIN periods p ON p.granularity = c.granularity GROUP BY c.id
),
covered AS (
    SELECT c.id, SUM(EXTRACT(EPOCH FROM LEAST(b.ends_at, p.ends_at)
                                  - GREATEST(b.starts_at, p.starts_at))) AS seconds
    FROM candidates c
    JOIN periods p ON p.granularity = c.granularity
    JOIN bookings b ON b.unit_id = c.id
     AND b.status IN ('requested', 'held', 'confirmed')
     AND tstzrange(b.starts_at, b.ends_at, '[)') && tstzrange(p.starts_at, p.ends_at, '[)')
    GROUP BY c.id
)
SELECT capacity.id FROM capacity LEFT JOIN covered ON covered.id = capacity.id
WHERE COALESCE(covered.seconds, 0) < capacity.seconds
"""

SQL_SQLITE = """
WITH periods(granularity, starts_at, ends_at) AS (VALUES {periods}),
candidates AS (
    SELECT u.id, u.granularity FROM units u WHERE u.site_id = :site_id AND u.active
),
capacity AS (
    SELECT c.id, SUM(julianday(p.ends_at) - julianday(p.starts_at)) AS days
    FROM candidates c JOIN periods p ON p.granularity = c.granularity GROUP BY c.id
),
covered AS (
    SELECT c.id, SUM(julianday(MIN(b.ends_at, p.ends_at))
                     - julianday(MAX(b.starts_at, p.starts_at))) AS days
    FROM candidates c
    JOIN periods p ON p.granularity = c.granularity
    JOIN bookings b ON b.unit_id = c.id
     AND b.status IN ('requested', 'held', 'confirmed')
     AND b.starts_at < p.ends_at AND b.ends_at > p.starts_at
    GROUP BY c.id
)
SELECT capacity.id FROM capacity LEFT JOIN covered ON covered.id = capacity.id
WHERE COALESCE(covered.days, 0) < capacity.days - 1e-9
"""


def week_periods(site, monday):
    """(granularity, start, end) of the bookable time of a week: opening hours for hourly
    units, the whole week for day units."""
    from bookings.availability import opening_interval
    from core.time import local_midnight

    periods = [("day", local_midnight(monday), local_midnight(monday + timedelta(days=7)))]
    for offset in range(7):
        hours = opening_interval(site, monday + timedelta(days=offset), set())
        if hours is not None:
            periods.append(("hour", *hours))
    return periods


def sql_free_units(connection, site, monday):
    from core.db import UTCDateTime

    periods = week_periods(site, monday)
    postgresql = connection.dialect.name == "postgresql"
    placeholders = ", ".join(
        f"(:g{i}, CAST(:s{i} AS timestamptz), CAST(:e{i} AS timestamptz))" if postgresql
        else f"(:g{i}, :s{i}, :e{i})"
        for i in range(len(periods))
    )
    statement = sa.text((SQL_POSTGRESQL if postgresql else SQL_SQLITE).format(periods=placeholders))
    params = {"site_id": site.id}
    binds = []
    for i, (granularity, start, end) in enumerate(periods):
        params.update({f"g{i}": granularity, f"s{i}": start, f"e{i}": end})
        binds += [sa.bindparam(f"s{i}", type_=UTCDateTime), sa.bindparam(f"e{i}", type_=UTCDateTime)]
    statement = statement.bindparams(*binds)
    return {row[0] for row in connection.execute(statement, params)}


def service_free_units(units, monday, now):
    from bookings.availability import free_intervals
    from core.time import local_midnight

    free = free_intervals(units, local_midnight(monday), local_midnight(monday + timedelta(days=7)), now)
    return {unit_id for unit_id, intervals in free.items() if intervals}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    from core.time import local_midnight
    from extensions import db
    from spaces.models import Site, Unit

    with bench_database() as url:
        app = bench_app(url)
        started = clock.perf_counter()
        summary = load(app)
        load_s = clock.perf_counter() - started
        rng = random.Random(7)
        first_monday = date(YEAR, 1, 4)
        mondays = [first_monday + timedelta(weeks=week) for week in range(51)]
        now = local_midnight(date(YEAR - 1, 12, 1))
        service_ms, sql_ms, mismatches = [], [], 0
        with app.app_context():
            sites = db.session.scalars(sa.select(Site).order_by(Site.id)).all()
            units_of = {
                site.id: db.session.scalars(
                    sa.select(Unit).where(Unit.site_id == site.id, Unit.active.is_(True))
                    .order_by(Unit.position, Unit.id)).all()
                for site in sites
            }
            for site in sites:  # load opening hours once, as a long-running worker would
                _ = site.opening_hours
            connection = db.session.connection()
            for _ in range(QUERIES):
                site, monday = rng.choice(sites), rng.choice(mondays)
                t0 = clock.perf_counter()
                by_service = service_free_units(units_of[site.id], monday, now)
                t1 = clock.perf_counter()
                by_sql = sql_free_units(connection, site, monday)
                t2 = clock.perf_counter()
                service_ms.append((t1 - t0) * 1000)
                sql_ms.append((t2 - t1) * 1000)
                mismatches += by_service != by_sql
            database = db.engine.dialect.name
        figures = {
            "p50_ms_service": round(statistics.median(service_ms), 3),
            "p95_ms_service": round(percentile(service_ms, 0.95), 3),
            "p50_ms_sql": round(statistics.median(sql_ms), 3),
            "p95_ms_sql": round(percentile(sql_ms, 0.95), 3),
            "ratio_p50": round(statistics.median(service_ms) / statistics.median(sql_ms), 2),
            "database": database,
        }
        print(f"data set: {summary['bookings']} bookings, {summary['units']} units, "
              f"{len(summary['sites'])} sites (loaded in {load_s:.1f} s)")
        print(f"{QUERIES} random site-week queries; answers differing: {mismatches}")
        print(f"{'':10} {'p50 ms':>10} {'p95 ms':>10}")
        print(f"{'service':10} {figures['p50_ms_service']:>10} {figures['p95_ms_service']:>10}")
        print(f"{'raw SQL':10} {figures['p50_ms_sql']:>10} {figures['p95_ms_sql']:>10}")
        print(f"ratio p50 service/SQL: {figures['ratio_p50']}")
        if mismatches:
            print(f"ERROR: {mismatches} answers differ", file=sys.stderr)
        print(json.dumps(figures))
        return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
