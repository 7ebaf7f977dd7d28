"""Invoices, credit notes, their lines and numbers (§14 UStG).

An issued invoice is never deleted or changed: the content columns are guarded by
database triggers (see the initial migration); only the payment follow-up (paid, reminded)
changes. Corrections and cancellations are credit notes (``kind='credit_note'``) that
reference the original. Amounts are integer cents and positive on both kinds; the kind
gives the sign for accounting.
"""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class EInvoiceFormat(enum.StrEnum):
    NONE = "none"  # private recipient: a PDF only
    FACTURX = "facturx_en16931"  # ZUGFeRD / Factur-X hybrid PDF, EN 16931 profile
    XRECHNUNG = "xrechnung_cii"  # public body with a Leitweg-ID: XRechnung (CII)


class PaymentState(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    CREDITED = "credited"  # settled by credit notes


class InvoiceNumberCounter(db.Model):
    """The last number given in a series (SL, GS) and year; locked while a number is drawn,
    in the transaction of the invoice that uses it, so a rollback returns the number."""

    __tablename__ = "invoice_number_counters"

    series: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="last_number"),)


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    series: Mapped[str] = mapped_column(sa.String(8))
    year: Mapped[int]
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    original_invoice_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("invoices.id"), index=True
    )
    # The recipient: an organisation (on account) or a person (paid online, no organisation).
    organisation_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    recipient_user_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Frozen copies of issuer and recipient as printed (names, addresses, VAT IDs ...).
    issuer: Mapped[dict] = mapped_column(sa.JSON)
    recipient: Mapped[dict] = mapped_column(sa.JSON)
    issued_on: Mapped[date]
    service_from: Mapped[date]
    service_to: Mapped[date]
    due_on: Mapped[date]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    net_cents: Mapped[int]
    vat_cents: Mapped[int]
    gross_cents: Mapped[int]
    # Paid by a funding programme directly (a third party): reduces the amount due only.
    prepaid_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    due_cents: Mapped[int]
    reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    einvoice_format: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    # Payment follow-up: the only columns that change after issue.
    payment_state: Mapped[str] = mapped_column(sa.String(16), default=PaymentState.OPEN)
    paid_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    payment_method: Mapped[Optional[str]] = mapped_column(sa.String(16))
    payment_reference: Mapped[Optional[str]] = mapped_column(sa.String(120))
    reminder_level: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )
    original: Mapped[Optional["Invoice"]] = relationship(remote_side=[id])
    organisation = relationship("Organisation")
    document: Mapped[Optional["InvoiceDocument"]] = relationship(uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("series", "year", "sequence", name="uq_invoices_series_year_sequence"),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'credit_note') = (original_invoice_id IS NOT NULL)", name="credit_note_original"
        ),
        sa.CheckConstraint("gross_cents = net_cents + vat_cents", name="gross"),
        sa.CheckConstraint("due_cents = gross_cents - prepaid_cents", name="due"),
        sa.CheckConstraint("payment_state IN ('open', 'paid', 'credited')", name="payment_state"),
        sa.CheckConstraint("service_from <= service_to", name="service_period"),
    )

    @property
    def is_credit_note(self):
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def sign(self):
        """+1 for an invoice, -1 for a credit note (accounting direction)."""
        return -1 if self.is_credit_note else 1

    def __repr__(self):
        return f"<Invoice {self.number}>"


class InvoiceLine(db.Model):
    """One printed line. ``kind``: service (a booking, a tenancy fee), subsidy (the lab's own
    price reduction: negative net, VAT on the reduced net) or third_party (a funding
    programme's direct payment: no VAT effect, reduces the amount due)."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.String(300))
    site_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    booking_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    tenancy_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("tenancies.id"), index=True
    )
    service_from: Mapped[date]
    service_to: Mapped[date]
    # Quantity in thousandths (hours, days ...); negative for a reduction line.
    quantity_milli: Mapped[int]
    unit_code: Mapped[str] = mapped_column(sa.String(3))
    unit_net_cents: Mapped[int]
    net_cents: Mapped[int]
    vat_rate_bp: Mapped[int]
    vat_cents: Mapped[int]
    # On a credit note: the original line it reverses.
    credits_line_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("invoice_lines.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_position"),
        sa.CheckConstraint("kind IN ('service', 'subsidy', 'third_party', 'fee')", name="kind"),
        sa.CheckConstraint("unit_net_cents >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint("vat_rate_bp BETWEEN 0 AND 10000", name="vat_rate"),
    )

    @property
    def quantity(self):
        from decimal import Decimal

        return Decimal(self.quantity_milli) / 1000

    @property
    def is_taxable(self):
        return self.kind != "third_party"


class InvoiceDocument(db.Model):
    """The documents as issued: the PDF (a Factur-X hybrid for businesses) and, for
    public bodies, the XRechnung XML. Written once with the invoice."""

    __tablename__ = "invoice_documents"

    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    xml: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)


class BilledItem(db.Model):
    """What is on which invoice: one booking, or one month of one tenancy, at most once
    (the unique constraints make the monthly run idempotent, also when two runs race)."""

    __tablename__ = "billed_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    booking_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    tenancy_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("tenancies.id"))
    billing_month: Mapped[Optional[date]]
    # Set once when a credit note reverses the item (a cancellation after invoicing).
    credited_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("invoices.id"))

    __table_args__ = (
        sa.UniqueConstraint("tenancy_id", "billing_month", name="uq_billed_items_tenancy_month"),
        sa.CheckConstraint(
            "(booking_id IS NOT NULL) != (tenancy_id IS NOT NULL)", name="one_source"
        ),
        sa.CheckConstraint(
            "(tenancy_id IS NULL) = (billing_month IS NULL)", name="tenancy_month"
        ),
    )


__all__ = [
    "BilledItem", "EInvoiceFormat", "Invoice", "InvoiceDocument", "InvoiceKind", "InvoiceLine",
    "InvoiceNumberCounter", "PaymentState",
]
