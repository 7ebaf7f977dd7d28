"""The whole report of a period: every figure, each from its own aggregate query.

On PostgreSQL the sections run at the same time, each on its own connection (the database
uses a core per query); SQLite runs them one after the other (one writer lock per
transaction there, see core.db).
"""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from extensions import db
from reports.occupancy import occupancy_report
from reports.revenue import open_invoices_report, revenue_report, subsidies_report
from reports.sql import Dialect
from reports.usage import cancellations_report, heat_map, popup_report, served_report

SECTIONS = {
    "occupancy": occupancy_report,
    "heatmap": heat_map,
    "popup": popup_report,
    "organisations": served_report,
    "revenue": revenue_report,
    "subsidies": subsidies_report,
    "invoices": None,  # needs ``today``; see build_report
    "cancellations": cancellations_report,
}


def build_report(period, today=None):
    """All sections of the report for ``period`` (a reports.periods.Period)."""
    dialect = Dialect(period)
    work = {name: (lambda f=function: f(period, dialect)) for name, function in SECTIONS.items()
            if function is not None}
    work["invoices"] = lambda: open_invoices_report(period, today, dialect)
    workers = current_app.config.get("REPORT_PARALLEL_QUERIES", 4)
    if not dialect.postgresql or workers <= 1:
        results = {name: job() for name, job in work.items()}
    else:
        app = current_app._get_current_object()

        def in_own_session(job):
            with app.app_context():
                try:
                    return job()
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(in_own_session, job) for name, job in work.items()}
            results = {name: future.result() for name, future in futures.items()}
    return dict(results, period=period)
