"""Public listings: a confirmed event or pop-up booking shown on the public pages and feeds
(title, description, optional link), published by its booker."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db

TITLE_MAX = 120
DESCRIPTION_MAX = 1000
LINK_MAX = 500


class PublicListing(db.Model):
    __tablename__ = "public_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), default="",
                                             server_default="")
    link: Mapped[Optional[str]] = mapped_column(sa.String(LINK_MAX))
    published: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking = relationship("Booking")

    def __repr__(self):
        return f"<PublicListing {self.id} booking={self.booking_id} published={self.published}>"
