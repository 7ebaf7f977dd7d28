"""Money: revenue from the frozen price of bookings, subsidies per funding programme
against its budget, and open invoices.

Revenue counts the price snapshot (``Booking.price``) of bookings starting in the period
that are ``confirmed`` or ``no_show`` (a no-show keeps its price: the slot was sold), by the
local month of their start. Cancellation fees and tenancy fees are not bookings' prices and
are not in it; they appear on invoices. Funding figures come from the subsidy ledger
(active grants) and open invoices from the invoices; where billing does not provide these
tables the section says so instead of showing numbers.
"""
from core.time import utcnow, local_date
from reports.sql import Dialect, run

REVENUE_STATUSES = ("confirmed", "no_show")


def revenue_report(period, dialect=None):
    """Net, VAT, gross and subsidy cents per site, unit kind and month, summed in the
    database from the price snapshots; bookings without a price are counted apart."""
    d = dialect or Dialect(period)
    sql = f"""
        SELECT u.site_id, u.kind, {d.local_month_no('b.starts_at')} AS month_no,
               COUNT(b.price) AS priced, COUNT(*) - COUNT(b.price) AS unpriced,
               COALESCE(SUM({d.json_int('b.price', 'net_cents')}), 0),
               COALESCE(SUM({d.json_int('b.price', 'vat_cents')}), 0),
               COALESCE(SUM({d.json_int('b.price', 'gross_cents')}), 0),
               COALESCE(SUM({d.json_int('b.price', 'subsidy_cents')}), 0)
        FROM bookings b JOIN units u ON u.id = b.unit_id
        WHERE b.status IN ({d.strings(REVENUE_STATUSES)})
          AND u.site_id IN ({d.ints(period.site_ids)})
          AND b.starts_at >= {d.instant(period.starts_at)}
          AND b.starts_at < {d.instant(period.ends_at)}
        GROUP BY 1, 2, 3
    """
    site_names = {site.id: site.name for site in period.sites}
    labels = {number: label for number, _, label in period.months}
    months = {label: _zero() for label in labels.values()}
    by_site, by_kind, total = {}, {}, _zero()
    for site_id, kind, month_no, priced, unpriced, net, vat, gross, subsidy in run(sql):
        month = labels[int(month_no)]
        figures = {"bookings": int(priced), "unpriced": int(unpriced), "net_cents": int(net),
                   "vat_cents": int(vat), "gross_cents": int(gross), "subsidy_cents": int(subsidy)}
        for bucket in (months.setdefault(month, _zero()),
                       by_site.setdefault(site_id, _zero(site=site_names[site_id])),
                       by_kind.setdefault(kind, _zero(kind=kind)), total):
            for key, value in figures.items():
                bucket[key] += value
    return {
        "months": [dict(month=label, **figures) for label, figures in sorted(months.items())],
        "by_site": [by_site[site_id] for site_id in period.site_ids if site_id in by_site],
        "by_kind": sorted(by_kind.values(), key=lambda row: row["kind"]),
        "total": total,
    }


def _zero(**labels):
    return dict(labels, bookings=0, unpriced=0, net_cents=0, vat_cents=0, gross_cents=0,
                subsidy_cents=0)


def subsidies_report(period, dialect=None):
    """Per funding programme: its budget and committed amount (all sites), and the active
    grants for bookings at the period's sites starting in the period. ``available`` is
    False when billing has no funding ledger."""
    try:
        from billing.models import FundingProgramme, SubsidyGrant  # noqa: F401
    except ImportError:
        return {"available": False, "programmes": []}
    d = dialect or Dialect(period)
    rows = run(f"""
        SELECT p.id, p.name, p.budget_cents, p.committed_cents, p.active,
               COUNT(g.id), COALESCE(SUM(g.amount_cents), 0)
        FROM funding_programmes p
        LEFT JOIN (
            SELECT g.id, g.programme_id, g.amount_cents
            FROM subsidy_grants g
            JOIN bookings b ON b.id = g.booking_id JOIN units u ON u.id = b.unit_id
            WHERE g.released_at IS NULL AND u.site_id IN ({d.ints(period.site_ids)})
              AND b.starts_at >= {d.instant(period.starts_at)}
              AND b.starts_at < {d.instant(period.ends_at)}
        ) g ON g.programme_id = p.id
        GROUP BY p.id, p.name, p.budget_cents, p.committed_cents, p.active
        ORDER BY p.name
    """)
    programmes = [{
        "programme_id": pid, "programme": name, "budget_cents": int(budget),
        "committed_cents": int(committed), "remaining_cents": int(budget) - int(committed),
        "used_ratio": int(committed) / int(budget) if budget else None, "active": bool(active),
        "grants": int(grants), "granted_cents": int(granted),
    } for pid, name, budget, committed, active, grants, granted in rows]
    return {"available": True, "programmes": programmes,
            "granted_cents": sum(row["granted_cents"] for row in programmes)}


def open_invoices_report(period, today=None, dialect=None):
    """Invoices still open (not paid, not credited) with a line for a unit or tenancy at
    the period's sites, whenever issued; overdue ones are past their due date.
    ``available`` is False when billing has no invoices."""
    try:
        from billing.invoice_models import Invoice  # noqa: F401
    except ImportError:
        return {"available": False}
    d = dialect or Dialect(period)
    today = today or local_date(utcnow())
    row = run(f"""
        SELECT COUNT(*), COALESCE(SUM(i.due_cents), 0),
               SUM(CASE WHEN i.due_on < '{today.isoformat()}' THEN 1 ELSE 0 END),
               COALESCE(SUM(CASE WHEN i.due_on < '{today.isoformat()}' THEN i.due_cents ELSE 0 END), 0)
        FROM invoices i
        WHERE i.kind = 'invoice' AND i.payment_state = 'open'
          AND EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id
                      AND l.site_id IN ({d.ints(period.site_ids)}))
    """)[0]
    return {"available": True, "count": int(row[0]), "due_cents": int(row[1]),
            "overdue": int(row[2] or 0), "overdue_cents": int(row[3])}
