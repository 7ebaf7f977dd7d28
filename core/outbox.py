"""The mail outbox: enqueue in the caller's transaction, deliver later.

``enqueue_mail`` only adds a row; ``send_pending`` (CLI ``outbox send``) delivers rows over
SMTP, or writes them to the log when no SMTP_HOST is configured (development).
"""
import logging
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

from core.models import OutboxMessage
from core.time import utcnow
from extensions import db

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)


def enqueue_mail(recipient, kind, template, locale="de", now=None, **context):
    """Render ``templates/mail/<template>.txt`` (and ``.html`` if present) in the
    recipient's language and add the mail to the outbox. The first line of the text
    template is the subject."""
    with force_locale(locale or "de"):
        text = render_template(f"mail/{template}.txt", **context)
        try:
            html = render_template(f"mail/{template}.html", **context)
        except Exception:  # noqa: BLE001 - the HTML part is optional
            html = None
    subject, _, body = text.partition("\n")
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ")
    message = OutboxMessage(
        created_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        recipient=recipient,
        subject=subject.strip(),
        body_text=body.lstrip("\n"),
        body_html=html,
        kind=kind,
    )
    db.session.add(message)
    return message


def _build(row):
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_FROM"]
    mail["To"] = row.recipient
    mail["Subject"] = row.subject
    mail["Message-ID"] = row.message_id
    mail.set_content(row.body_text)
    if row.body_html:
        mail.add_alternative(row.body_html, subtype="html")
    return mail


def _deliver(row):
    config = current_app.config
    if not config["SMTP_HOST"]:
        log.info("mail to %s: %s\n%s", row.recipient, row.subject, row.body_text)
        return
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(_build(row))


def send_pending(now=None, limit=100):
    """Deliver due outbox rows; returns how many were sent. Failures back off and stay."""
    now = now or utcnow()
    rows = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for row in rows:
        try:
            _deliver(row)
        except (OSError, smtplib.SMTPException) as error:
            row.attempts += 1
            row.last_error = str(error)[:1000]
            row.next_attempt_at = now + min(timedelta(minutes=2**row.attempts), MAX_BACKOFF)
        else:
            row.status = "sent"
            row.sent_at = now
            sent += 1
        db.session.commit()
    return sent
