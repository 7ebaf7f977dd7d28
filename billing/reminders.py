"""Invoice mails, the dunning of open invoices and payments received by bank transfer.

An invoice that is still open ``REMINDER_AFTER_DAYS`` after its due date gets a friendly
payment reminder (Zahlungserinnerung); still open ``DUNNING_AFTER_DAYS`` after that, a
dunning letter (Mahnung). Each level is sent once per invoice (remembered on the invoice,
decided under a row lock), through the mail outbox in the same transaction.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from accounts.models import Membership, MembershipRole, User
from billing.invoice_models import EInvoiceFormat, Invoice, InvoiceKind, PaymentState
from billing.invoices import lock_invoice
from core.audit import record
from core.db import run_in_transaction
from core.errors import InvalidTransition
from core.outbox import attachment, enqueue_mail
from core.time import local_date
from core.urls import absolute_url
from extensions import db

REMINDER, DUNNING = 1, 2


def recipients_of(invoice):
    """(e-mail, locale) pairs: the organisation's billing address, else its admins; the
    person for a private invoice."""
    if invoice.organisation_id is not None:
        email = invoice.recipient.get("email")
        if email:
            return [(email, "de")]
        admins = db.session.execute(
            sa.select(User.email, User.locale).join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == invoice.organisation_id,
                   Membership.role == MembershipRole.ADMIN).order_by(User.id)
        ).all()
        return [(row.email, row.locale) for row in admins]
    if invoice.recipient_user_id is not None:
        user = db.session.get(User, invoice.recipient_user_id)
        if user is not None:
            return [(user.email, user.locale)]
    return [(invoice.recipient["email"], "de")] if invoice.recipient.get("email") else []


def _documents(invoice):
    document = invoice.document
    files = [attachment(f"{invoice.number}.pdf", document.pdf, "application/pdf")]
    if invoice.einvoice_format == EInvoiceFormat.XRECHNUNG and document.xml:
        files.append(attachment(f"{invoice.number}-xrechnung.xml", document.xml,
                                "application/xml"))
    return files


def _link(invoice):
    try:
        return absolute_url("invoices.detail", invoice_id=invoice.id)
    except Exception:  # noqa: BLE001 - the views are optional (e.g. a CLI-only app)
        return None


def mail_invoice(invoice, *, now):
    """Queue the new invoice (or credit note) with its PDF / XRechnung to the recipient."""
    db.session.refresh(invoice, ["document"])
    for email, locale in recipients_of(invoice):
        enqueue_mail(email, "invoice_issued", "invoice_issued", locale=locale, now=now,
                     attachments=_documents(invoice), invoice=invoice, link=_link(invoice),
                     dedupe_key=f"invoice-issued-{invoice.id}-{email}")


def _reminder_due(invoice, today):
    config = current_app.config
    if invoice.reminder_level == 0:
        return today >= invoice.due_on + timedelta(days=config["REMINDER_AFTER_DAYS"])
    if invoice.reminder_level == REMINDER:
        reminded_on = local_date(invoice.last_reminded_at)
        return today >= reminded_on + timedelta(days=config["DUNNING_AFTER_DAYS"])
    return False


def open_invoices_query():
    return (sa.select(Invoice)
            .where(Invoice.kind == InvoiceKind.INVOICE,
                   Invoice.payment_state == PaymentState.OPEN, Invoice.due_cents > 0)
            .order_by(Invoice.due_on, Invoice.id))


def send_payment_reminders(*, now):
    """Send the reminders and dunning letters that are due today; return how many."""
    today = local_date(now)
    candidates = [invoice.id for invoice in db.session.scalars(open_invoices_query())
                  if _reminder_due(invoice, today)]
    db.session.rollback()
    sent = 0
    for invoice_id in candidates:
        def work(invoice_id=invoice_id):
            invoice = db.session.scalar(
                sa.select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                .execution_options(populate_existing=True))
            if invoice.payment_state != PaymentState.OPEN or not _reminder_due(invoice, today):
                return False
            invoice.reminder_level += 1
            invoice.last_reminded_at = now
            template = "invoice_reminder" if invoice.reminder_level == REMINDER \
                else "invoice_dunning"
            for email, locale in recipients_of(invoice):
                enqueue_mail(email, template, template, locale=locale, now=now,
                             attachments=_documents(invoice), invoice=invoice,
                             link=_link(invoice), overdue_days=(today - invoice.due_on).days,
                             dedupe_key=f"{template}-{invoice.id}-{email}")
            record(f"invoice.{template.split('_')[1]}", invoice, now=now,
                   after={"reminder_level": invoice.reminder_level})
            return True

        if run_in_transaction(work):
            sent += 1
    return sent


def mark_transfer_received(invoice, *, actor, now, reference=None):
    """Record that an open invoice was paid by bank transfer. Raises InvalidTransition
    when it is not open (paid, credited) or is a credit note."""
    invoice_id = invoice.id

    def work():
        locked = lock_invoice(invoice_id)
        if locked.kind != InvoiceKind.INVOICE or locked.payment_state != PaymentState.OPEN:
            raise InvalidTransition("invoice_not_open", number=locked.number)
        locked.payment_state = PaymentState.PAID
        locked.paid_at = now
        locked.payment_method = "transfer"
        locked.payment_reference = (reference or "").strip()[:120] or None
        record("invoice.paid", locked, actor=actor, now=now,
               after={"method": "transfer", "reference": locked.payment_reference})
        return locked

    return run_in_transaction(work)
