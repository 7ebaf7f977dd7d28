"""Credit notes: cancelling an invoiced booking credits it (keeping a late cancellation's
fee), credit notes reference the original and are numbered in their own series."""
from datetime import datetime, timezone

import pytest

from billing.invoice_models import InvoiceKind, PaymentState
from billing.invoices import cancel_invoiced_booking, issue_credit_note
from billing.pricing import PriceList, Slot, quote
from bookings.services import cancel_booking
from core.errors import InvalidTransition, ValidationError
from extensions import db
from tests.invoices.conftest import berlin, invoice, on_account, run_month

# Invoices for March 2027 issued in advance, on 1 March.
ISSUED = datetime(2027, 3, 1, 8, tzinfo=timezone.utc)


def _invoiced(make, s, **fields):
    booking = on_account(make, s, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 13), **fields)
    [invoice_id] = run_month(2027, 3, now=ISSUED)
    return booking, invoice(invoice_id)


def test_cancelling_an_invoiced_booking_issues_a_credit_note(make, billing_setup):
    s = billing_setup
    booking, original = _invoiced(make, s)
    assert original.gross_cents == 5950  # 4 h x 12.50 + 19 %

    cancel_booking(s["booker"], booking, now=datetime(2027, 3, 10, 9, tzinfo=timezone.utc))

    db.session.expire_all()
    [note] = [each for each in _credit_notes(original.id)]
    assert note.number == "GS-2027-00001"
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.original.number == original.number
    assert (note.net_cents, note.vat_cents, note.gross_cents) == (5000, 950, 5950)
    assert note.lines[0].credits_line_id == original.lines[0].id
    assert invoice(original.id).payment_state == PaymentState.CREDITED
    # Credited once only.
    assert cancel_invoiced_booking(booking, now=datetime(2027, 3, 11, tzinfo=timezone.utc)) is None
    assert len(_credit_notes(original.id)) == 1


def test_a_late_cancellation_keeps_the_fee(make, billing_setup):
    s = billing_setup
    price = quote(PriceList(net_cents_per_step=1250, free_cancellation_hours=48,
                            cancellation_fee_bp=5000),
                  [Slot(berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 13), "hour")])
    booking, original = _invoiced(make, s, price=price)

    cancel_booking(s["booker"], booking, now=berlin(2027, 3, 15, 20))  # 13 h before

    db.session.expire_all()
    [note] = _credit_notes(original.id)
    # 50.00 net credited, 25.00 (50 %) kept: 25.00 + 4.75 VAT come back.
    assert (note.net_cents, note.vat_cents, note.gross_cents) == (2500, 475, 2975)
    assert [line.kind for line in note.lines] == ["service", "fee"]


def test_credit_note_by_hand_needs_a_reason_and_credits_each_line_once(make, billing_setup):
    s = billing_setup
    on_account(make, s, berlin(2027, 3, 17, 9), berlin(2027, 3, 17, 10))
    _booking, original = _invoiced(make, s)
    admin = make.user(role="admin")
    now = datetime(2027, 3, 5, tzinfo=timezone.utc)

    with pytest.raises(ValidationError):
        issue_credit_note(original, "full", reason=" ", now=now, actor=admin)
    first_line = invoice(original.id).lines[0]
    partial = issue_credit_note(original, [first_line], reason="Wrong desk", now=now, actor=admin)
    assert partial.number == "GS-2027-00001"
    assert partial.net_cents == first_line.net_cents
    assert invoice(original.id).payment_state == PaymentState.OPEN
    with pytest.raises(InvalidTransition):
        issue_credit_note(invoice(original.id), [first_line.id], reason="again", now=now)
    rest = issue_credit_note(invoice(original.id), "full", reason="Goodwill", now=now)
    assert rest.number == "GS-2027-00002"
    assert partial.net_cents + rest.net_cents == original.net_cents
    assert invoice(original.id).payment_state == PaymentState.CREDITED
    with pytest.raises(InvalidTransition):
        issue_credit_note(invoice(original.id), "full", reason="nothing left", now=now)


def test_cancelling_a_booking_that_is_not_invoiced_issues_nothing(make, billing_setup):
    s = billing_setup
    booking = on_account(make, s, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 10))
    cancel_booking(s["booker"], booking, now=datetime(2027, 3, 1, tzinfo=timezone.utc))
    assert run_month(2027, 3, now=ISSUED) == []


def _credit_notes(original_id):
    import sqlalchemy as sa

    from billing.invoice_models import Invoice

    return db.session.scalars(sa.select(Invoice).where(
        Invoice.original_invoice_id == original_id).order_by(Invoice.id)).all()
