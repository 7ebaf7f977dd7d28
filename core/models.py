"""Tables that every domain writes to: the audit log and the mail outbox."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class AuditEntry(db.Model):
    """Who did what to which object, with the state before and after. Append-only."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[Optional[int]]
    site_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    before: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    after: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    __table_args__ = (sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),)


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[Optional[str]] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)
    # Files sent with the mail: [{"filename", "content_type", "text" | "base64"}].
    attachments: Mapped[Optional[list]] = mapped_column(sa.JSON)
    # A sender owns a row while it delivers it: token and lease. A lease that ran out
    # (the sender crashed) lets another sender take the row again, same Message-ID.
    claim_token: Mapped[Optional[str]] = mapped_column(sa.String(32))
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Mails that must go out once only (a reminder per booking) carry a unique key.
    dedupe_key: Mapped[Optional[str]] = mapped_column(sa.String(128), unique=True)

    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)
