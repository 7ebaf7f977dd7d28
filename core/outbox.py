"""The mail outbox: enqueue in the caller's transaction, deliver later.

``enqueue_mail`` only adds a row to the caller's session, so a mail exists exactly when the
change that causes it is committed. ``send_pending`` (CLI ``outbox send``; ``outbox run``
loops in development) delivers due rows over SMTP, or writes them to the log when no
SMTP_HOST is configured.

Delivery is at least once and never lost:
- a sender first *claims* a row in a short transaction (PostgreSQL: ``FOR UPDATE SKIP
  LOCKED``; SQLite: every transaction holds the write lock), writing a claim token and a
  lease; two senders never hold the same row, and no database lock is held while talking
  to the SMTP server;
- the row is marked sent in its own transaction right after the server accepted it, so an
  accepted row is never sent again;
- a failure puts the row back with exponential backoff (``attempts``, ``next_attempt_at``,
  ``last_error``); a sender that dies mid-way leaves a claim whose lease runs out, and the
  row is sent again with the same Message-ID (and Date), recognisable as the same mail.
"""
import base64
import logging
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from core.db import is_postgresql
from core.models import OutboxMessage
from core.time import utcnow
from extensions import db

log = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
FIRST_RETRY = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
# Longer than one delivery can take (the SMTP timeout applies per network operation).
CLAIM_LEASE = timedelta(minutes=10)
SMTP_TIMEOUT_SECONDS = 30


def render_mail(template, locale="de", **context):
    """(subject, text, html or None) of ``templates/mail/<template>.txt|.html`` in
    ``locale``. The first line of the text template is the subject."""
    with force_locale(locale or "de"):
        text = render_template(f"mail/{template}.txt", **context)
        try:
            html = render_template(f"mail/{template}.html", **context)
        except TemplateNotFound:  # the HTML part is optional per template
            html = None
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n"), html


def attachment(filename, content, content_type="application/octet-stream"):
    """An attachment for ``enqueue_mail``: text is stored as is, bytes as base64."""
    item = {"filename": filename, "content_type": content_type}
    if isinstance(content, bytes):
        try:
            item["text"] = content.decode("utf-8")
        except UnicodeDecodeError:
            item["base64"] = base64.b64encode(content).decode("ascii")
    else:
        item["text"] = content
    return item


def enqueue_mail(recipient, kind, template, locale="de", now=None, attachments=None,
                 dedupe_key=None, **context):
    """Render ``templates/mail/<template>.txt`` (and ``.html`` if present) in the
    recipient's language and add the mail to the outbox in the caller's transaction.

    ``attachments`` is a list made by ``attachment()`` (or dicts of the same shape).
    ``dedupe_key`` marks a mail that may exist once only: a second row with the same key
    violates a unique constraint (callers check ``already_enqueued`` first).
    Returns the (pending) OutboxMessage.
    """
    now = now or utcnow()
    subject, body, html = render_mail(template, locale, **context)
    message = OutboxMessage(
        created_at=now,
        next_attempt_at=now,
        message_id=_new_message_id(),
        recipient=recipient,
        subject=subject,
        body_text=body,
        body_html=html,
        kind=kind,
        status=PENDING,
        attempts=0,
        attachments=[_normalised(each) for each in attachments] if attachments else None,
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    return message


def already_enqueued(dedupe_key):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.dedupe_key == dedupe_key)
    ) > 0


def _normalised(item):
    if isinstance(item, dict):
        return item
    return attachment(*item)


def _new_message_id():
    sender = current_app.config["MAIL_FROM"]
    domain = sender.rsplit("@", 1)[-1].strip("> ") if "@" in sender else "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(row):
    """The e-mail of an outbox row; the same row always gives the same headers."""
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_FROM"]
    mail["To"] = row.recipient
    mail["Subject"] = row.subject
    mail["Message-ID"] = row.message_id
    mail["Date"] = format_datetime(row.created_at)
    mail.set_content(row.body_text)
    if row.body_html:
        mail.add_alternative(row.body_html, subtype="html")
    for item in row.attachments or ():
        maintype, _, rest = item["content_type"].partition("/")
        subtype, *parameters = [part.strip() for part in rest.split(";")]
        params = dict(part.split("=", 1) for part in parameters if "=" in part)
        if "text" in item and maintype == "text":
            params.pop("charset", None)
            mail.add_attachment(item["text"], subtype=subtype, filename=item["filename"],
                                params=params)
        else:
            data = (base64.b64decode(item["base64"]) if "base64" in item
                    else item["text"].encode("utf-8"))
            mail.add_attachment(data, maintype=maintype, subtype=subtype,
                                filename=item["filename"], params=params)
    return mail


def backoff(attempts):
    """The pause before the next try after ``attempts`` failed ones: 1, 2, 4 ... minutes,
    at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


# --- claiming --------------------------------------------------------------------------

def _claim_next(now):
    """Claim one due row for this sender and commit; returns (id, token) or None."""
    due = sa.and_(
        OutboxMessage.status == PENDING,
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )
    try:
        query = sa.select(OutboxMessage.id).where(due).order_by(
            OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
        if is_postgresql():
            query = query.with_for_update(skip_locked=True)
        row_id = db.session.scalar(query)
        if row_id is None:
            db.session.commit()
            return None
        token = uuid.uuid4().hex
        # Compare-and-set: the row is ours only if nobody claimed it in between.
        claimed = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row_id, due)
            .values(claim_token=token, claimed_until=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return (row_id, token) if claimed == 1 else (row_id, None)


def _finish(row_id, token, **values):
    """Write the outcome of a delivery, if the row is still claimed by ``token``."""
    try:
        done = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
            .values(claim_token=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return done == 1


# --- delivering ------------------------------------------------------------------------

class _Connection:
    """One SMTP connection reused for a batch, reopened after an error."""

    def __init__(self, config):
        self.config = config
        self.smtp = None

    def send(self, mail):
        if self.smtp is None:
            config = self.config
            smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                                timeout=SMTP_TIMEOUT_SECONDS)
            try:
                if config["SMTP_STARTTLS"]:
                    smtp.starttls()
                if config["SMTP_USER"]:
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        self.smtp.send_message(mail)

    def reset(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _deliver(connection, row):
    if not current_app.config["SMTP_HOST"]:
        log.info("mail to %s: %s\n%s", row.recipient, row.subject, row.body_text)
        return
    connection.send(build_message(row))


def send_pending(now=None, limit=100):
    """Deliver up to ``limit`` due outbox rows; returns how many were sent.

    Each row is claimed, delivered and marked sent on its own, so concurrent senders
    share the work without sending a row twice; a failed row stays with its error and is
    retried later (``backoff``). ``now`` (tests) fixes the clock; by default the real one.
    """
    fixed_now = now
    connection = _Connection(current_app.config)
    sent = 0
    try:
        for _ in range(limit):
            now = fixed_now or utcnow()
            claim = _claim_next(now)
            if claim is None:
                break
            row_id, token = claim
            if token is None:
                continue  # another sender was quicker
            row = db.session.get(OutboxMessage, row_id, populate_existing=True)
            # A detached copy: no transaction (SQLite: no write lock) stays open while we
            # talk to the server.
            db.session.expunge(row)
            db.session.rollback()
            try:
                _deliver(connection, row)
            except (OSError, smtplib.SMTPException) as error:
                connection.reset()
                attempts = row.attempts + 1
                _finish(row_id, token, attempts=attempts,
                        last_error=f"{type(error).__name__}: {error}"[:1000],
                        next_attempt_at=(fixed_now or utcnow()) + backoff(attempts))
                log.warning("mail %s to %s failed (attempt %s): %s", row_id, row.recipient,
                            attempts, error)
                continue
            if _finish(row_id, token, status=SENT, sent_at=fixed_now or utcnow(),
                       attempts=row.attempts + 1, last_error=None):
                sent += 1
    finally:
        connection.reset()
    return sent
