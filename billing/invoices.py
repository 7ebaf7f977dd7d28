"""Issuing invoices and credit notes (§14 UStG), and crediting cancelled bookings.

``issue_document`` is the one place where an invoice comes into being: inside the caller's
transaction it draws the next gapless number, freezes issuer and recipient, writes the
lines and totals, records what it bills (``BilledItem``: each booking and tenancy month at
most once), renders the PDF (a Factur-X hybrid or XRechnung for businesses) and queues the
mail. Nothing here updates or deletes an issued invoice; corrections are credit notes.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

import billing.invoice_messages  # noqa: F401 - registers the message keys raised here
from billing.invoice_models import (
    BilledItem, EInvoiceFormat, Invoice, InvoiceDocument, InvoiceKind, InvoiceLine, PaymentState,
)
from billing.numbering import draw_number, series_for
from core.audit import record
from core.db import run_in_transaction
from core.errors import InvalidTransition, ValidationError
from core.time import local_date
from extensions import db

SERVICE, SUBSIDY, THIRD_PARTY, FEE = "service", "subsidy", "third_party", "fee"


def vat_of(net_cents, rate_bp):
    """VAT of one line, rounded half up away from zero (once per line)."""
    sign = -1 if net_cents < 0 else 1
    return sign * ((abs(net_cents) * rate_bp + 5000) // 10000)


@dataclass
class LineDraft:
    kind: str
    description: str
    service_from: date
    service_to: date
    net_cents: int
    vat_rate_bp: int
    quantity_milli: int = 1000
    unit_code: str = "C62"
    unit_net_cents: Optional[int] = None
    vat_cents: Optional[int] = None
    site_id: Optional[int] = None
    booking_id: Optional[int] = None
    tenancy_id: Optional[int] = None
    credits_line_id: Optional[int] = None

    def finished(self):
        if self.unit_net_cents is None:
            self.unit_net_cents = abs(self.net_cents) * 1000 // max(abs(self.quantity_milli), 1)
        if self.vat_cents is None:
            self.vat_cents = 0 if self.kind == THIRD_PARTY else vat_of(self.net_cents,
                                                                        self.vat_rate_bp)
        return self


@dataclass
class Billed:
    """A source that the document bills (unique: booking, or tenancy + month)."""

    booking_id: Optional[int] = None
    tenancy_id: Optional[int] = None
    billing_month: Optional[date] = None


@dataclass
class Totals:
    net_cents: int
    vat_cents: int
    prepaid_cents: int
    by_rate: dict = field(default_factory=dict)  # rate_bp -> (net, vat)

    @property
    def gross_cents(self):
        return self.net_cents + self.vat_cents


def totals_of(lines):
    """Net, VAT and the third-party payments of ``lines``; net and VAT per rate."""
    by_rate = {}
    prepaid = 0
    for line in lines:
        if line.kind == THIRD_PARTY:
            prepaid -= line.net_cents
            continue
        net, vat = by_rate.get(line.vat_rate_bp, (0, 0))
        by_rate[line.vat_rate_bp] = (net + line.net_cents, vat + line.vat_cents)
    return Totals(
        net_cents=sum(net for net, _vat in by_rate.values()),
        vat_cents=sum(vat for _net, vat in by_rate.values()),
        prepaid_cents=prepaid,
        by_rate=dict(sorted(by_rate.items())),
    )


# --- issuer and recipient ----------------------------------------------------------------

def issuer_snapshot():
    config = current_app.config
    keys = ("NAME", "STREET", "POSTCODE", "CITY", "COUNTRY", "VAT_ID", "TAX_NUMBER", "IBAN",
            "BIC", "BANK", "EMAIL", "PHONE", "CONTACT", "REGISTER")
    return {key.lower(): config.get(f"ISSUER_{key}", "") or "" for key in keys}


def organisation_recipient(organisation):
    return {
        "name": organisation.name,
        "street": organisation.street or "",
        "postcode": organisation.postcode or "",
        "city": organisation.municipality or "",
        "country": organisation.country or "DE",
        "vat_id": organisation.vat_id or "",
        "routing_id": organisation.public_routing_id or "",
        "email": organisation.billing_email or "",
        "customer_number": organisation.chamber_member_number or f"K{organisation.id:05d}",
        "business": True,
    }


def user_recipient(user):
    return {"name": user.display_name, "street": "", "postcode": "", "city": "",
            "country": "DE", "vat_id": "", "routing_id": "", "email": user.email,
            "customer_number": f"P{user.id:05d}", "business": False}


def einvoice_format_for(recipient):
    if not recipient.get("business"):
        return EInvoiceFormat.NONE
    if recipient.get("routing_id"):
        return EInvoiceFormat.XRECHNUNG
    return EInvoiceFormat.FACTURX


# --- issuing -----------------------------------------------------------------------------

def issue_document(*, kind, lines, now, organisation=None, user=None, original=None,
                   reason=None, actor=None, billed=(), paid_online=None, notify=True):
    """Issue an invoice or credit note inside the caller's transaction and return it.

    Guarantees: the next gapless number of the series and year (the counter row stays
    locked until commit); frozen issuer/recipient; totals per VAT rate; each ``billed``
    source at most once (an IntegrityError otherwise: the caller's transaction must roll
    back); the PDF (and e-invoice) stored; an audit entry and a mail to the recipient.
    ``paid_online``: a payment reference when the amount was already paid (Stripe).
    Raises ValidationError when there is nothing to bill.
    """
    drafts = [line.finished() for line in lines]
    if not drafts:
        raise ValidationError({"lines": "required"}, message_key="invoice_empty")
    totals = totals_of(drafts)
    if totals.net_cents < 0 or totals.gross_cents - totals.prepaid_cents < 0:
        raise ValidationError({"lines": "negative"}, message_key="invoice_negative")
    issued_on = local_date(now)
    series = series_for(kind)
    sequence, number = draw_number(series, issued_on.year)
    if original is not None:
        recipient = dict(original.recipient)
    elif organisation is not None:
        recipient = organisation_recipient(organisation)
    else:
        recipient = user_recipient(user)
    prepaid = totals.prepaid_cents
    if paid_online:
        prepaid = totals.gross_cents
    invoice = Invoice(
        number=number, series=series, year=issued_on.year, sequence=sequence, kind=kind,
        original_invoice_id=original.id if original is not None else None,
        organisation_id=(original.organisation_id if original is not None
                         else getattr(organisation, "id", None)),
        recipient_user_id=(original.recipient_user_id if original is not None
                           else getattr(user, "id", None)),
        issuer=issuer_snapshot(), recipient=recipient, issued_on=issued_on,
        service_from=min(line.service_from for line in drafts),
        service_to=max(line.service_to for line in drafts),
        due_on=issued_on + timedelta(days=current_app.config["PAYMENT_TERM_DAYS"]),
        currency="EUR", net_cents=totals.net_cents, vat_cents=totals.vat_cents,
        gross_cents=totals.gross_cents, prepaid_cents=prepaid,
        due_cents=totals.gross_cents - prepaid, reason=reason,
        einvoice_format=einvoice_format_for(recipient), created_at=now,
        created_by_id=getattr(actor, "id", None),
        payment_state=PaymentState.PAID if paid_online else PaymentState.OPEN,
        paid_at=now if paid_online else None,
        payment_method="stripe" if paid_online else None,
        payment_reference=paid_online or None,
    )
    if kind == InvoiceKind.CREDIT_NOTE:
        invoice.payment_state = PaymentState.CREDITED
    db.session.add(invoice)
    db.session.flush()
    for position, draft in enumerate(drafts, start=1):
        db.session.add(InvoiceLine(
            invoice_id=invoice.id, position=position, kind=draft.kind,
            description=draft.description[:300], site_id=draft.site_id,
            booking_id=draft.booking_id, tenancy_id=draft.tenancy_id,
            service_from=draft.service_from, service_to=draft.service_to,
            quantity_milli=draft.quantity_milli, unit_code=draft.unit_code,
            unit_net_cents=draft.unit_net_cents, net_cents=draft.net_cents,
            vat_rate_bp=draft.vat_rate_bp, vat_cents=draft.vat_cents,
            credits_line_id=draft.credits_line_id,
        ))
    for item in billed:
        db.session.add(BilledItem(invoice_id=invoice.id, booking_id=item.booking_id,
                                  tenancy_id=item.tenancy_id, billing_month=item.billing_month))
    db.session.flush()
    db.session.refresh(invoice, ["lines"])
    _store_documents(invoice)
    record("invoice.issued", invoice, actor=actor, now=now,
           after={"number": number, "kind": kind, "gross_cents": invoice.gross_cents,
                  "due_cents": invoice.due_cents})
    if notify:
        from billing.reminders import mail_invoice

        mail_invoice(invoice, now=now)
    return invoice


def _store_documents(invoice):
    from billing.einvoice import build_xml
    from billing.invoice_pdf import render_pdf

    pdf = render_pdf(invoice)
    xml = None
    if invoice.einvoice_format != EInvoiceFormat.NONE:
        xml = build_xml(invoice)
        if invoice.einvoice_format == EInvoiceFormat.FACTURX:
            from billing.einvoice import embed_facturx

            pdf = embed_facturx(pdf, xml, invoice)
    db.session.add(InvoiceDocument(invoice_id=invoice.id, pdf=pdf, xml=xml))
    db.session.flush()


# --- credit notes ------------------------------------------------------------------------

def _credited_line_ids(invoice_id):
    return set(db.session.scalars(
        sa.select(InvoiceLine.credits_line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.original_invoice_id == invoice_id,
               InvoiceLine.credits_line_id.is_not(None))
    ))


def _reversal(line):
    return LineDraft(
        kind=line.kind, description=_("Reversal: %(text)s", text=line.description),
        service_from=line.service_from, service_to=line.service_to,
        net_cents=line.net_cents, vat_rate_bp=line.vat_rate_bp,
        quantity_milli=line.quantity_milli, unit_code=line.unit_code,
        unit_net_cents=line.unit_net_cents, vat_cents=line.vat_cents, site_id=line.site_id,
        booking_id=line.booking_id, tenancy_id=line.tenancy_id, credits_line_id=line.id,
    )


def credit_lines(invoice, lines, *, now, reason, actor=None, extra=(), notify=True):
    """Credit ``lines`` of ``invoice`` in the caller's transaction (each line at most once).
    ``extra``: further LineDrafts (e.g. a retained cancellation fee as a negative line)."""
    if invoice.kind != InvoiceKind.INVOICE:
        raise InvalidTransition("credit_note_of_credit_note")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "required"}, message_key="credit_reason_required")
    already = _credited_line_ids(invoice.id)
    chosen = [line for line in lines if line.invoice_id == invoice.id]
    if not chosen or any(line.id in already for line in chosen) or len(chosen) != len(lines):
        raise InvalidTransition("already_credited")
    drafts = [_reversal(line) for line in chosen] + list(extra)
    note = issue_document(kind=InvoiceKind.CREDIT_NOTE, lines=drafts, now=now, original=invoice,
                          reason=reason, actor=actor, notify=notify)
    _settle_against(invoice, now)
    return note


def _settle_against(invoice, now):
    """An open invoice whose every line is credited is settled by its credit notes."""
    if invoice.payment_state != PaymentState.OPEN:
        return
    remaining = {line.id for line in invoice.lines} - _credited_line_ids(invoice.id)
    if not remaining:
        invoice.payment_state = PaymentState.CREDITED


def issue_credit_note(invoice, lines="full", *, reason, now, actor=None):
    """Issue a credit note (series GS) that reverses ``lines`` of ``invoice`` ("full": every
    line not credited yet) and references it. Own transaction; returns the credit note.
    Raises ValidationError (no reason), InvalidTransition (nothing left to credit, or a
    credit note of a credit note)."""
    invoice_id = invoice.id

    def work():
        locked = lock_invoice(invoice_id)
        if lines == "full":
            already = _credited_line_ids(locked.id)
            chosen = [line for line in locked.lines if line.id not in already]
        else:
            wanted = {getattr(line, "id", line) for line in lines}
            chosen = [line for line in locked.lines if line.id in wanted]
            if len(chosen) != len(wanted):
                raise ValidationError({"lines": "unknown"}, message_key="validation")
        return credit_lines(locked, chosen, now=now, reason=reason, actor=actor)

    return run_in_transaction(work)


def lock_invoice(invoice_id):
    invoice = db.session.scalar(
        sa.select(Invoice).where(Invoice.id == invoice_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice is None:
        from core.errors import NotFound

        raise NotFound("unknown_invoice")
    return invoice


def credit_cancelled_booking(booking, *, now, actor=None, reason=None):
    """If ``booking`` is on an invoice and not credited yet, issue the credit note for its
    lines inside the caller's transaction; a cancellation fee under the unit's policy is
    kept (a negative line). Returns the credit note or None (not invoiced, already
    credited, or the fee keeps everything)."""
    item = db.session.scalar(
        sa.select(BilledItem).where(BilledItem.booking_id == booking.id,
                                    BilledItem.credited_by_id.is_(None)).with_for_update()
    )
    if item is None:
        return None
    invoice = lock_invoice(item.invoice_id)
    lines = [line for line in invoice.lines
             if line.booking_id == booking.id and line.id not in _credited_line_ids(invoice.id)]
    if not lines:
        return None
    fee_drafts = _retained_fee(booking, lines, now)
    credited = totals_of([_reversal(line) for line in lines] + fee_drafts)
    if credited.net_cents <= 0:
        return None
    text = _("Cancellation of booking no. %(id)s", id=booking.id)
    if reason:
        text += f": {reason}"
    note = credit_lines(invoice, lines, now=now, reason=text[:500], actor=actor,
                        extra=fee_drafts)
    item.credited_by_id = note.id
    db.session.flush()
    return note


def _retained_fee(booking, lines, now):
    from billing.pricing import cancellation_fee

    if not booking.price:
        return []
    fee_net, fee_vat = cancellation_fee(booking.price, booking.starts_at,
                                        booking.cancelled_at or now)
    if fee_net <= 0:
        return []
    service = next((line for line in lines if line.kind == SERVICE), lines[0])
    return [LineDraft(
        kind=FEE, description=_("Cancellation fee kept under the cancellation policy"),
        service_from=service.service_from, service_to=service.service_to,
        net_cents=-fee_net, vat_cents=-fee_vat, vat_rate_bp=service.vat_rate_bp,
        quantity_milli=-1000, unit_net_cents=fee_net, site_id=service.site_id,
        booking_id=booking.id,
    )]


def cancel_invoiced_booking(booking, *, now, actor=None, reason=None):
    """Own-transaction form of ``credit_cancelled_booking`` (for callers outside the
    booking engine's cancellation). Returns the credit note or None."""
    booking_id = booking.id

    def work():
        from bookings.models import Booking

        return credit_cancelled_booking(db.session.get(Booking, booking_id), now=now,
                                        actor=actor, reason=reason)

    return run_in_transaction(work)


def _on_booking_cancelled(booking, actor=None, now=None, reason=None, **_extra):
    credit_cancelled_booking(booking, now=now, actor=actor, reason=reason)


def _on_series_cancelled(bookings, actor=None, now=None, reason=None, **_extra):
    for booking in bookings:
        credit_cancelled_booking(booking, now=now, actor=actor, reason=reason)


def register_hooks():
    """Credit invoiced bookings when the booking engine cancels them (inside its
    transaction), offer the same through ``core.hooks`` as ``booking_cancelled``, and
    invoice bookings confirmed by their online payment."""
    from bookings import signals
    from core import hooks

    signals.booking_cancelled.connect(_on_booking_cancelled, weak=False)
    signals.series_cancelled.connect(_on_series_cancelled, weak=False)
    hooks.register("booking_cancelled", credit_cancelled_booking)
    from billing import invoice_privacy, invoice_run

    invoice_run.connect()
    invoice_privacy.register_hooks()
