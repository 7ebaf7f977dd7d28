"""The whole report of a period: every figure, each from its own aggregate query."""
from reports.occupancy import occupancy_report
from reports.revenue import open_invoices_report, revenue_report, subsidies_report
from reports.sql import Dialect
from reports.usage import cancellations_report, heat_map, popup_report, served_report

SECTIONS = ("occupancy", "heatmap", "popup", "organisations", "revenue", "subsidies",
            "invoices", "cancellations")


def build_report(period, today=None):
    """All sections of the report for ``period`` (a reports.periods.Period)."""
    dialect = Dialect(period)
    return {
        "period": period,
        "occupancy": occupancy_report(period, dialect),
        "heatmap": heat_map(period, dialect),
        "popup": popup_report(period, dialect),
        "organisations": served_report(period, dialect),
        "revenue": revenue_report(period, dialect),
        "subsidies": subsidies_report(period, dialect),
        "invoices": open_invoices_report(period, today, dialect),
        "cancellations": cancellations_report(period, dialect),
    }
