"""What the privacy layer must know of invoices (hooks named in ``privacy/services.py``):
bookings on invoices still inside the accounting retention keep their details, and a
person's data export lists the invoices addressed to them. Invoices themselves are kept
unchanged for the retention period (§147 AO, §14b UStG), whatever else is erased."""
import sqlalchemy as sa

from billing.invoice_models import Invoice, InvoiceLine
from core.time import local_date
from extensions import db


def bookings_needed_for_accounting(booking_ids, kept_since):
    if not booking_ids:
        return set()
    return set(db.session.scalars(
        sa.select(InvoiceLine.booking_id).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.booking_id.in_(list(booking_ids)),
               Invoice.issued_on >= local_date(kept_since))
    ))


def export_sections(user):
    invoices = db.session.scalars(
        sa.select(Invoice).where(Invoice.recipient_user_id == user.id).order_by(Invoice.id))
    return {"invoices": [
        {"number": each.number, "kind": each.kind, "issued_on": each.issued_on.isoformat(),
         "gross_cents": each.gross_cents, "currency": each.currency,
         "payment_state": each.payment_state} for each in invoices
    ]}


def register_hooks():
    from core import hooks

    hooks.register("privacy.bookings_needed_for_accounting", bookings_needed_for_accounting)
    hooks.register("privacy.export_sections", export_sections)
