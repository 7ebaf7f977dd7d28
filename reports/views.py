"""Manager dashboard and reports: HTML pages with SVG charts, CSV and PDF downloads.

Lab managers see their own sites; chamber admins all sites and a comparison between them.
Everyone else gets 403.
"""
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.forms import ORGANISATION_KIND_CHOICES
from core.errors import NotFound
from core.time import local_date, utcnow
from reports import charts
from reports.dashboard import site_dashboard
from reports.exports import CSV_SECTIONS, csv_text, summary_pdf
from reports.periods import build_period, default_bounds, parse_day
from reports.summary import build_report
from spaces.messages import KIND_LABELS, WEEKDAY_LABELS
from spaces.services import all_sites, site_by_slug

bp = Blueprint("reports", __name__)

ORGANISATION_KIND_LABELS = dict(ORGANISATION_KIND_CHOICES)


@bp.app_context_processor
def report_helpers():
    return {"organisation_kind_labels": ORGANISATION_KIND_LABELS}


# --- dashboard --------------------------------------------------------------------------

@bp.get("/manage/<slug>/dashboard")
@login_required
def dashboard(slug):
    site = site_by_slug(slug)
    if not policy.can_view_reports(current_user, site.id):
        abort(403)
    figures = site_dashboard(site, utcnow())
    week = figures["week"]
    chart = charts.bar_chart(
        _("Occupancy this week by kind of space"),
        _("Share of open hours booked this week, per kind of space; the table below has the "
          "same figures."),
        [str(KIND_LABELS.get(row["kind"], row["kind"])) for row in week["by_kind"]],
        [row["share"].ratio for row in week["by_kind"]])
    return render_template("reports/dashboard.html", site=site, figures=figures, chart=chart)


@bp.get("/manage/dashboard")
@login_required
def overview():
    """Every site the user manages side by side (chamber admins: all sites)."""
    sites = [site for site in all_sites() if policy.can_view_reports(current_user, site.id)]
    if not sites:
        abort(403)
    now = utcnow()
    boards = [site_dashboard(site, now) for site in sites]
    chart = charts.bar_chart(
        _("Occupancy this week by site"),
        _("Share of open hours booked this week at each site."),
        [board["site"].name for board in boards],
        [board["week"]["total"].ratio for board in boards])
    return render_template("reports/overview.html", boards=boards, chart=chart)


# --- reports ----------------------------------------------------------------------------

def _requested_period():
    """The sites and dates of the query string, checked against the user's rights."""
    if not policy.is_any_manager(current_user):
        abort(403)
    slugs = [slug for slug in request.args.getlist("site") if slug]
    if slugs:
        sites = []
        for slug in dict.fromkeys(slugs):
            site = site_by_slug(slug)
            if not policy.can_view_reports(current_user, site.id):
                abort(403)
            sites.append(site)
    else:
        sites = [site for site in all_sites() if policy.can_view_reports(current_user, site.id)]
        if not sites:
            abort(403)
    today = local_date(utcnow())
    first, last = default_bounds(today)
    if request.args.get("from"):
        first = parse_day(request.args["from"], "from")
    if request.args.get("to"):
        last = parse_day(request.args["to"], "to")
    return build_period(sites, first, last), today


def _query_args(period):
    return {"site": [site.slug for site in period.sites], "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat()}


@bp.get("/reports")
@login_required
def report():
    period, today = _requested_period()
    data = build_report(period, today)
    manageable = [site for site in all_sites() if policy.can_view_reports(current_user, site.id)]
    return render_template("reports/report.html", period=period, report=data,
                           charts=_report_charts(data), sites=manageable,
                           args=_query_args(period), csv_sections=list(CSV_SECTIONS),
                           weekday_labels=WEEKDAY_LABELS)


def _report_charts(data):
    occupancy = data["occupancy"]
    weeks = occupancy["weeks"]
    result = {
        "monthly": charts.bar_chart(
            _("Occupancy per month"),
            _("Share of open hours booked per month, all kinds of space together."),
            [label for _, _, label in occupancy["months"]],
            [share.ratio for share in occupancy["monthly"]]),
        "weekly": charts.bar_chart(
            _("Occupancy per week"),
            _("Share of open hours booked per calendar week, all kinds of space together."),
            [label for _, _, label in weeks], [share.ratio for share in occupancy["weekly"]],
            label_every=max(1, len(weeks) // 13)),
        "kinds": charts.bar_chart(
            _("Occupancy by kind of space"),
            _("Share of open hours booked in the period, per kind of space."),
            [str(KIND_LABELS.get(row["kind"], row["kind"])) for row in occupancy["by_kind"]],
            [row["share"].ratio for row in occupancy["by_kind"]]),
        "heatmaps": [],
    }
    if len(occupancy["by_site"]) > 1:
        result["sites"] = charts.bar_chart(
            _("Occupancy by site"), _("Share of open hours booked in the period, per site."),
            [row["site"] for row in occupancy["by_site"]],
            [row["share"].ratio for row in occupancy["by_site"]])
    short_days = [str(label)[:2] for label in WEEKDAY_LABELS]
    for entry in data["heatmap"]:
        label = str(KIND_LABELS.get(entry["kind"], entry["kind"]))
        result["heatmaps"].append(charts.heat_map_chart(
            _("When %(kind)s are used", kind=label),
            _("Occupancy in per cent for each weekday (rows) and hour of the day (columns); "
              "darker is fuller. The table below lists the booked and open hours."),
            short_days, entry["hours"], entry["cells"]))
    return result


@bp.get("/reports/<section>.csv")
@login_required
def report_csv(section):
    if section not in CSV_SECTIONS:
        raise NotFound("unknown_report", name=section)
    period, today = _requested_period()
    data = build_report(period, today)
    filename = f"stadtlabor-{section}-{period.first_day}-{period.last_day}.csv"
    return Response(csv_text(data, section), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/reports/summary.pdf")
@login_required
def report_pdf():
    period, today = _requested_period()
    data = build_report(period, today)
    pdf = summary_pdf(data, _pdf_texts(period))
    filename = f"stadtlabor-summary-{period.first_day}-{period.last_day}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _pdf_texts(period):
    return {
        "title": _("Stadtlabor: period summary"),
        "subtitle": _("%(sites)s, %(first)s to %(last)s",
                      sites=", ".join(site.name for site in period.sites),
                      first=period.first_day.isoformat(), last=period.last_day.isoformat()),
        "occupancy": _("Occupancy"), "occupancy_monthly": _("Occupancy per month"),
        "kind": _("Kind"), "units": _("Units"), "booked_hours": _("Booked hours"),
        "open_hours": _("Open hours"), "all": _("All"), "month": _("Month"),
        "kinds": {key: str(value) for key, value in KIND_LABELS.items()},
        "organisation_kinds": {key: str(value) for key, value in ORGANISATION_KIND_LABELS.items()},
        "popup": _("Pop-up slots"), "figure": _("Figure"), "value": _("Value"),
        "weeks_let": _("Weeks let"), "retailers": _("Distinct retailers"),
        "repeat_bookers": _("Repeat bookers"), "organisations": _("Organisations served"),
        "organisation_kind": _("Kind of organisation"), "local": _("Local"),
        "members": _("Chamber members"), "persons": _("Persons served"),
        "revenue": _("Revenue"), "net": _("Net"), "vat": _("VAT"), "gross": _("Gross"),
        "subsidy": _("Subsidies"), "subsidies": _("Funding programmes"),
        "programme": _("Programme"), "budget": _("Budget"), "committed": _("Committed"),
        "granted_in_period": _("Granted in the period"), "invoices": _("Open invoices"),
        "open_invoices": _("Open invoices"), "due": _("Due"), "overdue": _("Overdue"),
        "cancellations": _("Cancellations and no-shows"), "confirmed": _("Confirmed"),
        "cancelled": _("Cancelled"), "no_shows": _("No-shows"),
    }
