"""Export of invoices and credit notes as a DATEV booking batch (EXTF "Buchungsstapel").

The file is what DATEV Rechnungswesen imports: a header line (``"EXTF";700;21;
"Buchungsstapel";13;...`` with consultant, client, fiscal year, account length and period),
the column headings, then one booking per invoice and VAT rate: the gross amount on the
customer's debtor account (Konto) against the revenue account of the rate (Gegenkonto, an
automatic VAT account, so no BU key), document date DDMM, invoice number in Belegfeld 1.
Credit notes are booked the other way round (H). cp1252, semicolons, CRLF.
"""
import io
from datetime import date

import sqlalchemy as sa
from flask import current_app

from billing.invoice_models import Invoice
from billing.invoices import totals_of
from core.time import to_local
from extensions import db

COLUMNS = [
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
]


def _text(value, limit=None):
    value = str(value or "").replace('"', "'").replace("\r", " ").replace("\n", " ")
    if limit:
        value = value[:limit]
    return f'"{value}"'


def _amount(cents):
    return f"{cents // 100},{cents % 100:02d}"


def revenue_accounts():
    """VAT rate (basis points) -> revenue account, from DATEV_REVENUE_ACCOUNTS."""
    accounts = {}
    for pair in current_app.config["DATEV_REVENUE_ACCOUNTS"].split(","):
        rate, _sep, account = pair.partition(":")
        accounts[int(rate)] = account.strip()
    return accounts


def debtor_account(invoice):
    """The personal account of the customer: a fixed base plus the organisation's (or the
    person's) id, so every customer has one account."""
    base = current_app.config["DATEV_DEBTOR_BASE"]
    if invoice.organisation_id is not None:
        return str(base + invoice.organisation_id)
    return str(base + 50000 + (invoice.recipient_user_id or 0))


def header_line(date_from, date_to, now, description):
    config = current_app.config
    created = to_local(now).strftime("%Y%m%d%H%M%S") + f"{to_local(now).microsecond // 1000:03d}"
    fields = [
        _text("EXTF"), "700", "21", _text("Buchungsstapel"), "13", created, "", _text("RE"),
        _text("Stadtlabor"), _text(""), str(config["DATEV_CONSULTANT_NUMBER"]),
        str(config["DATEV_CLIENT_NUMBER"]), date(date_from.year, 1, 1).strftime("%Y%m%d"),
        str(config["DATEV_ACCOUNT_LENGTH"]), date_from.strftime("%Y%m%d"),
        date_to.strftime("%Y%m%d"), _text(description, 30), _text(""), "1", "0", "0",
        _text("EUR"), "", _text(""), "", "", _text("03"), "", "", _text(""), _text(""),
    ]
    return ";".join(fields)


def booking_rows(invoice, accounts):
    rows = []
    direction = "H" if invoice.is_credit_note else "S"
    for rate, (net, vat) in totals_of(invoice.lines).by_rate.items():
        gross = net + vat
        if gross == 0:
            continue
        sign_direction = direction if gross > 0 else ("S" if direction == "H" else "H")
        rows.append(";".join([
            _amount(abs(gross)), _text(sign_direction), _text("EUR"), "", "", "",
            debtor_account(invoice), accounts.get(rate, accounts.get(1900, "8400")), _text(""),
            invoice.issued_on.strftime("%d%m"), _text(invoice.number, 36),
            _text(""), "", _text(_booking_text(invoice), 60),
        ]))
    return rows


def _booking_text(invoice):
    name = invoice.recipient.get("name") or ""
    if invoice.original is not None:  # Belegfeld 2 (12 characters) is too short for it
        return f"Gutschrift zu {invoice.original.number} {name}"
    return name


def export_datev(date_from, date_to, *, now):
    """The invoices and credit notes issued from ``date_from`` to ``date_to`` (local dates,
    both inclusive) as an EXTF booking batch: bytes in cp1252."""
    invoices = db.session.scalars(
        sa.select(Invoice).where(Invoice.issued_on >= date_from, Invoice.issued_on <= date_to)
        .order_by(Invoice.issued_on, Invoice.series, Invoice.sequence)
    ).all()
    accounts = revenue_accounts()
    lines = [header_line(date_from, date_to, now,
                         f"Rechnungen {date_from:%d.%m.%Y}-{date_to:%d.%m.%Y}"),
             ";".join(COLUMNS)]
    for invoice in invoices:
        lines.extend(booking_rows(invoice, accounts))
    buffer = io.StringIO()
    buffer.write("\r\n".join(lines) + "\r\n")
    return buffer.getvalue().encode("cp1252", errors="replace")
