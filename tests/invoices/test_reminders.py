"""Payment reminders: a Zahlungserinnerung N days after the due date, then a Mahnung,
each once, through the outbox; paid invoices are left alone."""
from datetime import timedelta

import sqlalchemy as sa

from billing.reminders import mark_transfer_received, send_payment_reminders
from core.models import OutboxMessage
from extensions import db
from tests.invoices.conftest import NOW, berlin, invoice, on_account, run_month


def _mails(kind):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def test_issued_invoice_is_mailed_with_its_pdf(make, billing_setup):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    run_month()
    [mail] = _mails("invoice_issued")
    assert mail.recipient == "billing@flusslicht.example"
    assert "SL-2026-00001" in mail.subject
    assert mail.attachments[0]["filename"] == "SL-2026-00001.pdf"


def test_reminder_then_dunning_each_once(make, billing_setup, runner):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    bill = invoice(run_month()[0])
    due = berlin(bill.due_on.year, bill.due_on.month, bill.due_on.day, 10)

    assert send_payment_reminders(now=due + timedelta(days=6)) == 0
    assert send_payment_reminders(now=due + timedelta(days=7)) == 1
    assert send_payment_reminders(now=due + timedelta(days=7, hours=2)) == 0
    [reminder] = _mails("invoice_reminder")
    assert reminder.recipient == "billing@flusslicht.example"
    assert bill.number in reminder.subject and bill.number in reminder.body_text
    assert invoice(bill.id).reminder_level == 1

    assert send_payment_reminders(now=due + timedelta(days=20)) == 0
    assert send_payment_reminders(now=due + timedelta(days=21)) == 1
    [dunning] = _mails("invoice_dunning")
    assert "Mahnung" in dunning.subject
    assert send_payment_reminders(now=due + timedelta(days=60)) == 0
    assert invoice(bill.id).reminder_level == 2

    result = runner.invoke(args=["billing", "remind"])
    assert result.exit_code == 0 and result.output.strip().endswith("0 reminders sent")


def test_paid_invoices_get_no_reminder(make, billing_setup):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    bill = invoice(run_month()[0])
    mark_transfer_received(bill, actor=make.user(role="admin"), now=NOW + timedelta(days=3))
    assert send_payment_reminders(now=NOW + timedelta(days=90)) == 0
    assert _mails("invoice_reminder") == []
