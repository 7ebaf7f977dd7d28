"""What there is to invoice for a booking: the boundary to the invoice run.

``invoice_lines(booking)`` answers the lines of a booking that is due for an invoice (its
frozen quote for a confirmed or no-show booking, the cancellation fee for a cancelled one)
and ``settlement(booking)`` how it is paid: ``checkout`` (paid through Stripe; the invoice
documents the payment), ``invoice`` (on account / pay on site: the monthly run bills it) or
``none``. Amounts are integer cents; each line has its VAT rate and VAT rounded once.
"""
import sqlalchemy as sa

from billing.models import CancellationCharge, Payment, PaymentStatus
from bookings.models import BookingStatus
from extensions import db

BILLABLE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW)


def settlement(booking):
    return (booking.price or {}).get("settlement", "invoice")


def is_paid_online(booking):
    payment = db.session.scalar(sa.select(Payment).where(Payment.booking_id == booking.id))
    return payment is not None and payment.status in (PaymentStatus.PAID,
                                                      PaymentStatus.REFUNDED)


def invoice_lines(booking):
    """Lines to invoice: [{"kind": "booking"|"cancellation_fee", "description",
    "net_cents", "vat_rate_bp", "vat_cents", "gross_cents", "subsidy_cents",
    "reduction_cents", "third_party_cents", "programme", ...}]."""
    price = booking.price or {}
    if booking.status in BILLABLE_STATUSES:
        programme = (price.get("subsidy") or {}).get("programme")
        return [dict(line, kind="booking", programme=programme)
                for line in price.get("lines", [])]
    if booking.status == BookingStatus.CANCELLED:
        charge = db.session.scalar(
            sa.select(CancellationCharge).where(CancellationCharge.booking_id == booking.id))
        if charge is not None and charge.fee_net_cents > 0:
            return [{"kind": "cancellation_fee",
                     "description": f"Cancellation fee, booking {booking.id}",
                     "net_cents": charge.fee_net_cents, "vat_rate_bp": charge.vat_rate_bp,
                     "vat_cents": charge.fee_vat_cents,
                     "gross_cents": charge.fee_net_cents + charge.fee_vat_cents,
                     "subsidy_cents": 0, "reduction_cents": 0, "third_party_cents": 0,
                     "programme": None}]
    return []
