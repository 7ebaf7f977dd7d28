"""Downloads: every report section as CSV, the period summary as PDF (reportlab).

CSV columns are stable English names (for spreadsheets and scripts); shares are decimal
fractions (0.4 = 40 %), money is integer cents, hours have two decimals.
"""
import csv
import io

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _ratio(value):
    return "" if value is None else f"{value:.4f}"


def _occupancy(report):
    yield ["site", "unit", "kind", "booked_hours", "open_hours", "occupancy"]
    for row in report["occupancy"]["by_unit"]:
        share = row["share"]
        yield [row["site"], row["unit"], row["kind"], f"{share.booked_hours:.2f}",
               f"{share.open_hours:.2f}", _ratio(share.ratio)]


def _occupancy_buckets(report, bucket):
    occupancy = report["occupancy"]
    labels = occupancy["weeks"] if bucket == "weekly" else occupancy["months"]
    yield ["kind", "week" if bucket == "weekly" else "month", "booked_hours", "open_hours",
           "occupancy"]
    for entry in occupancy["by_kind"]:
        for (_, _, label), share in zip(labels, entry[bucket]):
            yield [entry["kind"], label, f"{share.booked_hours:.2f}", f"{share.open_hours:.2f}",
                   _ratio(share.ratio)]


def _heatmap(report):
    yield ["kind", "weekday", "hour", "booked_hours", "open_hours", "occupancy"]
    for entry in report["heatmap"]:
        for weekday in range(7):
            for hour in entry["hours"]:
                cell = entry["cells"][(weekday, hour)]
                yield [entry["kind"], WEEKDAYS[weekday], hour, f"{cell['booked_hours']:.2f}",
                       f"{cell['open_hours']:.2f}", _ratio(cell["ratio"])]


def _popup(report):
    popup = report["popup"]
    yield ["site", "unit", "kind", "weeks_let", "weeks", "share_let"]
    for row in popup["units"]:
        yield [row["site"], row["unit"], row["kind"], row["weeks_let"], row["weeks"],
               _ratio(row["ratio"])]
    yield ["all", "", "", popup["weeks_let"], popup["unit_weeks"], _ratio(popup["ratio"])]
    yield []
    yield ["distinct_retailers", popup["retailers"]]
    yield ["repeat_bookers", popup["repeat_bookers"]]


def _organisations(report):
    served = report["organisations"]
    yield ["organisation_kind", "organisations", "local", "chamber_members"]
    for row in served["by_kind"]:
        yield [row["kind"], row["organisations"], row["local"], row["members"]]
    yield ["all", served["organisations"], served["local"], served["members"]]
    yield []
    yield ["persons", served["persons"]]
    yield []
    yield ["month", "new_organisations", "new_persons"]
    for row in served["new"]:
        yield [row["month"], row["organisations"], row["persons"]]


def _revenue(report):
    revenue = report["revenue"]
    columns = ["bookings", "unpriced", "net_cents", "vat_cents", "gross_cents", "subsidy_cents"]
    yield ["month"] + columns
    for row in revenue["months"]:
        yield [row["month"]] + [row[key] for key in columns]
    yield ["all"] + [revenue["total"][key] for key in columns]
    yield []
    yield ["site"] + columns
    for row in revenue["by_site"]:
        yield [row["site"]] + [row[key] for key in columns]
    yield []
    yield ["kind"] + columns
    for row in revenue["by_kind"]:
        yield [row["kind"]] + [row[key] for key in columns]


def _subsidies(report):
    subsidies = report["subsidies"]
    if not subsidies["available"]:
        yield ["funding programmes are not available yet"]
        return
    yield ["programme", "budget_cents", "committed_cents", "remaining_cents", "used_share",
           "grants_in_period", "granted_cents_in_period"]
    for row in subsidies["programmes"]:
        yield [row["programme"], row["budget_cents"], row["committed_cents"],
               row["remaining_cents"], _ratio(row["used_ratio"]), row["grants"],
               row["granted_cents"]]


def _invoices(report):
    invoices = report["invoices"]
    if not invoices["available"]:
        yield ["invoices are not available yet"]
        return
    yield ["open_invoices", "due_cents", "overdue_invoices", "overdue_cents"]
    yield [invoices["count"], invoices["due_cents"], invoices["overdue"], invoices["overdue_cents"]]


def _cancellations(report):
    data = report["cancellations"]
    yield ["site", "kind", "confirmed", "cancelled", "no_show", "cancelled_share", "no_show_share"]
    for row in data["rows"] + [dict(data["total"], site="all", kind="")]:
        yield [row["site"], row["kind"], row["confirmed"], row["cancelled"], row["no_show"],
               _ratio(row["cancelled_ratio"]), _ratio(row["no_show_ratio"])]


CSV_SECTIONS = {
    "occupancy": _occupancy,
    "occupancy-weekly": lambda report: _occupancy_buckets(report, "weekly"),
    "occupancy-monthly": lambda report: _occupancy_buckets(report, "monthly"),
    "heatmap": _heatmap,
    "popup": _popup,
    "organisations": _organisations,
    "revenue": _revenue,
    "subsidies": _subsidies,
    "invoices": _invoices,
    "cancellations": _cancellations,
}


def csv_text(report, section):
    """The CSV text of one section (a key of CSV_SECTIONS)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in CSV_SECTIONS[section](report):
        writer.writerow(row)
    return buffer.getvalue()


def _euros(cents):
    return f"{cents / 100:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")


def _pct(ratio):
    return "–" if ratio is None else f"{ratio * 100:.1f} %"


def summary_pdf(report, texts):
    """The period summary as a PDF (bytes): occupancy, pop-up slots, organisations served,
    revenue, subsidies, open invoices, cancellations. ``texts`` holds translated headings."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=texts["title"],
                                 leftMargin=18 * mm, rightMargin=18 * mm)
    story = [Paragraph(texts["title"], styles["Title"]), Paragraph(texts["subtitle"], styles["Normal"]),
             Spacer(1, 6 * mm)]

    def table(heading, rows):
        story.append(Paragraph(heading, styles["Heading2"]))
        grid = Table(rows, hAlign="LEFT", repeatRows=1)
        grid.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
        ]))
        story.extend([grid, Spacer(1, 4 * mm)])

    occupancy = report["occupancy"]
    table(texts["occupancy"], [[texts["kind"], texts["units"], texts["booked_hours"],
                                texts["open_hours"], texts["occupancy"]]] + [
        [texts["kinds"].get(row["kind"], row["kind"]), row["units"],
         f"{row['share'].booked_hours:.1f}", f"{row['share'].open_hours:.1f}",
         _pct(row["share"].ratio)] for row in occupancy["by_kind"]] + [
        [texts["all"], sum(row["units"] for row in occupancy["by_kind"]),
         f"{occupancy['total'].booked_hours:.1f}", f"{occupancy['total'].open_hours:.1f}",
         _pct(occupancy["total"].ratio)]])
    table(texts["occupancy_monthly"], [[texts["month"], texts["occupancy"]]] + [
        [label, _pct(share.ratio)] for (_, _, label), share in zip(occupancy["months"],
                                                                   occupancy["monthly"])])
    popup = report["popup"]
    table(texts["popup"], [[texts["figure"], texts["value"]],
                           [texts["weeks_let"], f"{popup['weeks_let']} / {popup['unit_weeks']} "
                                                f"({_pct(popup['ratio'])})"],
                           [texts["retailers"], popup["retailers"]],
                           [texts["repeat_bookers"], popup["repeat_bookers"]]])
    served = report["organisations"]
    table(texts["organisations"], [[texts["organisation_kind"], texts["organisations"],
                                    texts["local"], texts["members"]]] + [
        [texts["organisation_kinds"].get(row["kind"], row["kind"]), row["organisations"],
         row["local"], row["members"]] for row in served["by_kind"]] + [
        [texts["all"], served["organisations"], served["local"], served["members"]],
        [texts["persons"], served["persons"], "", ""]])
    revenue = report["revenue"]["total"]
    table(texts["revenue"], [[texts["net"], texts["vat"], texts["gross"], texts["subsidy"]],
                             [_euros(revenue["net_cents"]), _euros(revenue["vat_cents"]),
                              _euros(revenue["gross_cents"]), _euros(revenue["subsidy_cents"])]])
    subsidies = report["subsidies"]
    if subsidies["available"]:
        table(texts["subsidies"], [[texts["programme"], texts["budget"], texts["committed"],
                                    texts["granted_in_period"]]] + [
            [row["programme"], _euros(row["budget_cents"]), _euros(row["committed_cents"]),
             _euros(row["granted_cents"])] for row in subsidies["programmes"]])
    invoices = report["invoices"]
    if invoices["available"]:
        table(texts["invoices"], [[texts["open_invoices"], texts["due"], texts["overdue"]],
                                  [invoices["count"], _euros(invoices["due_cents"]),
                                   invoices["overdue"]]])
    total = report["cancellations"]["total"]
    table(texts["cancellations"], [[texts["confirmed"], texts["cancelled"], texts["no_shows"]],
                                   [total["confirmed"],
                                    f"{total['cancelled']} ({_pct(total['cancelled_ratio'])})",
                                    f"{total['no_show']} ({_pct(total['no_show_ratio'])})"]])
    document.build(story)
    return buffer.getvalue()
