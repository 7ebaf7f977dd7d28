"""Yearly report benchmark (issue 7).

Loads the 100,000-booking data set of bench/availability.py (bench/dataset.py: 4 sites,
200 units, the year 2027), then times the yearly report of all four sites five times:

- the figures alone (reports.summary.build_report: occupancy per unit/week/month, heat map,
  pop-up slots, organisations served, revenue, subsidies, open invoices, cancellations;
  every figure that reads bookings), each run in a fresh session with nothing memoised;
- the whole page, as a chamber admin's request to /reports (figures, SVG charts, HTML).

Prints both p50 values; the last line is one JSON object
{"p50_s_year_report", "p50_s_year_figures", "bookings", "database"}, where p50_s_year_report
is the page.

Usage: python bench/reports.py   (DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
"""
import json
import statistics
import sys
import time as clock
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import YEAR, bench_app, bench_database, load  # noqa: E402

RUNS = 5
PASSWORD = "bench-password-123"


def time_figures(app):
    from extensions import db
    from reports.periods import build_period
    from reports.summary import build_report
    from spaces.models import Site

    timings = []
    for _ in range(RUNS):
        with app.app_context():
            started = clock.perf_counter()
            sites = db.session.scalars(db.select(Site).order_by(Site.id)).all()
            period = build_period(sites, date(YEAR, 1, 1), date(YEAR, 12, 31))
            report = build_report(period, today=date(YEAR, 12, 31))
            timings.append(clock.perf_counter() - started)
            db.session.remove()
    return timings, report


def time_page(app):
    from accounts.services import create_user
    from extensions import db

    app.config.update(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    with app.app_context():
        create_user("chamber@example.org", PASSWORD, "Chamber", confirmed=True,
                    chamber_admin=True)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": "chamber@example.org", "password": PASSWORD})
    if response.status_code not in (200, 302):
        raise SystemExit(f"login failed: {response.status_code}")
    timings = []
    for _ in range(RUNS):
        started = clock.perf_counter()
        response = client.get(f"/reports?from={YEAR}-01-01&to={YEAR}-12-31")
        timings.append(clock.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"report page failed: {response.status_code}")
    return timings


def main():
    with bench_database() as url:
        app = bench_app(url)
        started = clock.perf_counter()
        summary = load(app)
        print(f"data set: {summary['bookings']} bookings, {summary['units']} units, "
              f"{len(summary['sites'])} sites (loaded in {clock.perf_counter() - started:.1f} s)")
        figures, report = time_figures(app)
        page = time_page(app)
        with app.app_context():
            from extensions import db

            database = db.engine.dialect.name
        total = report["occupancy"]["total"]
        print(f"yearly occupancy of all units: {total.ratio * 100:.1f} % "
              f"({total.booked_hours:.0f} of {total.open_hours:.0f} open unit-hours); "
              f"cancellations: {report['cancellations']['total']['cancelled']}")
        print(f"figures, {RUNS} runs (s): " + ", ".join(f"{value:.3f}" for value in figures))
        print(f"page,    {RUNS} runs (s): " + ", ".join(f"{value:.3f}" for value in page))
        result = {
            "p50_s_year_report": round(statistics.median(page), 3),
            "p50_s_year_figures": round(statistics.median(figures), 3),
            "bookings": summary["bookings"],
            "database": database,
        }
        print(json.dumps(result))
        return 0


if __name__ == "__main__":
    sys.exit(main())
