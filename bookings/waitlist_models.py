"""The waitlist: members waiting for a taken slot of a unit (or of any unit of a kind at
a site). The first in line is offered the slot as a held booking when it frees up."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"      # in line
    OFFERED = "offered"      # holds the slot (booking_id, status held) until offer_expires_at
    BOOKED = "booked"        # took the offer
    LAPSED = "lapsed"        # let the offer run out or declined it
    LEFT = "left"            # left the line
    EXPIRED = "expired"      # the slot's time passed without an offer


ACTIVE_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # None: any active unit of ``kind`` at the site.
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default=WaitlistStatus.WAITING.value)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    terms_version: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The held booking of the current or last offer.
    booking_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL")
    )
    offered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user = relationship("User")
    unit = relationship("Unit")
    site = relationship("Site")
    booking = relationship("Booking")

    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'lapsed', 'left', 'expired')",
            name="status",
        ),
        sa.Index("ix_waitlist_entries_line", "site_id", "kind", "status", "starts_at"),
    )

    @property
    def is_active(self):
        return self.status in ACTIVE_WAITLIST_STATUSES

    def __repr__(self):
        return f"<WaitlistEntry {self.id} {self.status} unit={self.unit_id}>"
