"""The printed invoice: an A4 PDF in the layout of a German business letter (DIN 5008).

Fonts are embedded (Bitstream Vera, shipped with reportlab) and an sRGB output intent is
added, as PDF/A-3 requires for the Factur-X hybrid (``billing.einvoice`` embeds the XML).
"""
import io
from decimal import Decimal
from pathlib import Path

import reportlab
from flask_babel import format_currency
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT, BOLD = "StadtlaborVera", "StadtlaborVera-Bold"
_fonts_ready = False


def _register_fonts():
    global _fonts_ready
    if _fonts_ready:
        return
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))
    _fonts_ready = True


def euro(cents):
    return format_currency(Decimal(cents) / 100, "EUR")


def percent(rate_bp):
    return f"{Decimal(rate_bp) / 100:.2f}".rstrip("0").rstrip(".") + " %"


def quantity_text(line):
    quantity = Decimal(line.quantity_milli) / 1000
    text = f"{quantity.normalize():f}"
    units = {"HUR": _("h"), "DAY": _("days"), "WEE": _("weeks"), "MON": _("months")}
    return f"{text} {units[line.unit_code]}" if line.unit_code in units else text


def date_text(day):
    return day.strftime("%d.%m.%Y")


def title_of(invoice):
    if invoice.is_credit_note:
        return _("Credit note %(number)s", number=invoice.number)
    return _("Invoice %(number)s", number=invoice.number)


def _styles():
    return {
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=7, leading=9),
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5),
    }


def _letterhead(issuer):
    def draw(canvas, document):
        width, height = A4
        canvas.saveState()
        canvas.setFont(BOLD, 13)
        canvas.drawString(20 * mm, height - 20 * mm, issuer["name"])
        canvas.setFont(FONT, 8)
        canvas.drawString(20 * mm, height - 25 * mm, f"{issuer['street']} · {issuer['postcode']} "
                          f"{issuer['city']} · {issuer['email']} · {issuer['phone']}")
        # Sender line above the window of a DIN 5008 envelope.
        canvas.setFont(FONT, 6.5)
        canvas.drawString(20 * mm, height - 47 * mm,
                          f"{issuer['name']} · {issuer['street']} · {issuer['postcode']} "
                          f"{issuer['city']}")
        footer = [
            f"{issuer['name']} · {issuer['street']} · {issuer['postcode']} {issuer['city']}"
            + (f" · {issuer['register']}" if issuer.get("register") else ""),
            _("VAT ID %(vat_id)s · Tax number %(tax)s", vat_id=issuer["vat_id"],
              tax=issuer["tax_number"]),
            f"{issuer['bank']} · IBAN {issuer['iban']} · BIC {issuer['bic']}",
        ]
        canvas.setFont(FONT, 7)
        for index, text in enumerate(footer):
            canvas.drawString(20 * mm, 18 * mm - index * 3.5 * mm, text)
        canvas.drawRightString(width - 20 * mm, 18 * mm,
                               _("Page %(page)s", page=document.page))
        canvas.restoreState()

    return draw


def _address_block(recipient, styles):
    lines = [recipient["name"], recipient.get("street", "")]
    lines.append(f"{recipient.get('postcode', '')} {recipient.get('city', '')}".strip())
    if recipient.get("country") and recipient["country"] != "DE":
        lines.append(recipient["country"])
    return Paragraph("<br/>".join(_escape(line) for line in lines if line), styles["body"])


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _facts(invoice):
    recipient = invoice.recipient
    facts = [
        (_("Invoice number") if not invoice.is_credit_note else _("Credit note number"),
         invoice.number),
        (_("Date"), date_text(invoice.issued_on)),
        (_("Date of service"), date_text(invoice.service_from) if invoice.service_from ==
         invoice.service_to else f"{date_text(invoice.service_from)} – "
                                 f"{date_text(invoice.service_to)}"),
        (_("Customer number"), recipient.get("customer_number", "")),
    ]
    if invoice.is_credit_note and invoice.original is not None:
        facts.append((_("For invoice"), f"{invoice.original.number} "
                                        f"({date_text(invoice.original.issued_on)})"))
    if recipient.get("vat_id"):
        facts.append((_("Your VAT ID"), recipient["vat_id"]))
    if recipient.get("routing_id"):
        facts.append((_("Leitweg-ID"), recipient["routing_id"]))
    return facts


def _lines_table(invoice, styles):
    header = [_("Pos."), _("Description"), _("Quantity"), _("Unit price"), _("VAT"),
              _("Amount (net)")]
    rows = [header]
    for line in invoice.lines:
        if line.kind == "third_party":
            continue
        rows.append([
            str(line.position), Paragraph(_escape(line.description), styles["cell"]),
            quantity_text(line), euro(line.unit_net_cents), percent(line.vat_rate_bp),
            euro(line.net_cents),
        ])
    table = Table(rows, colWidths=[10 * mm, 78 * mm, 20 * mm, 22 * mm, 14 * mm, 26 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.3, colors.grey),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _totals_table(invoice):
    from billing.invoices import totals_of

    totals = totals_of(invoice.lines)
    rows = [[_("Total net"), euro(invoice.net_cents)]]
    for rate, (net, vat) in totals.by_rate.items():
        rows.append([_("VAT %(rate)s on %(net)s", rate=percent(rate), net=euro(net)), euro(vat)])
    rows.append([_("Total amount") if not invoice.is_credit_note else _("Total credit"),
                 euro(invoice.gross_cents)])
    for line in invoice.lines:
        if line.kind == "third_party":
            rows.append([line.description, euro(line.net_cents)])
    if invoice.payment_method == "stripe" and not invoice.is_credit_note:
        rows.append([_("Paid online on %(date)s", date=date_text(invoice.issued_on)),
                     euro(-(invoice.prepaid_cents - totals.prepaid_cents))])
    if not invoice.is_credit_note:
        rows.append([_("Amount due"), euro(invoice.due_cents)])
    table = Table(rows, colWidths=[120 * mm, 50 * mm], hAlign="RIGHT")
    gross_row = 1 + len(totals.by_rate)
    style = [("FONT", (0, 0), (-1, -1), FONT, 9), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
             ("LINEABOVE", (0, gross_row), (-1, gross_row), 0.4, colors.black)]
    for row in {gross_row, len(rows) - 1}:
        style.append(("FONT", (0, row), (-1, row), BOLD, 9))
    table.setStyle(TableStyle(style))
    return table


def _closing(invoice):
    issuer = invoice.issuer
    if invoice.is_credit_note:
        return [_("Reason: %(reason)s", reason=invoice.reason or ""),
                _("We will settle the credited amount with the invoice or refund it.")]
    if invoice.due_cents <= 0:
        return [_("This invoice has been paid. Thank you.")]
    return [_("Please transfer %(amount)s by %(date)s to IBAN %(iban)s (BIC %(bic)s), "
              "quoting %(number)s.", amount=euro(invoice.due_cents),
              date=date_text(invoice.due_on), iban=issuer["iban"], bic=issuer["bic"],
              number=invoice.number)]


def render_pdf(invoice):
    """The invoice as an A4 PDF (bytes) with embedded fonts and an sRGB output intent."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=50 * mm,
        bottomMargin=30 * mm, title=title_of(invoice), author=invoice.issuer["name"],
        subject=title_of(invoice), creator="Stadtlabor booking",
    )
    facts = Table([[label, value] for label, value in _facts(invoice)],
                  colWidths=[32 * mm, 45 * mm])
    facts.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5),
                               ("FONT", (0, 0), (0, -1), BOLD, 8.5)]))
    head = Table([[_address_block(invoice.recipient, styles), facts]],
                 colWidths=[90 * mm, 80 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    story = [head, Spacer(1, 12 * mm), Paragraph(_escape(title_of(invoice)), styles["title"]),
             Spacer(1, 4 * mm), _lines_table(invoice, styles), Spacer(1, 4 * mm),
             _totals_table(invoice), Spacer(1, 8 * mm)]
    story.extend(Paragraph(_escape(text), styles["body"]) for text in _closing(invoice))
    draw = _letterhead(invoice.issuer)
    document.build(story, onFirstPage=draw, onLaterPages=draw)
    return with_output_intent(buffer.getvalue())


def with_output_intent(pdf_bytes):
    """Add the sRGB output intent that PDF/A needs (the ICC profile made by Pillow)."""
    from PIL import ImageCms
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    profile = DecodedStreamObject()
    profile.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB"),
        NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
