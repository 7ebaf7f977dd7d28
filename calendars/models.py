"""Tables of the calendars domain: external calendar sources, their imported events,
and the private feed token of an organisation (a user's lives on ``User.ical_token``)."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class SourceKind:
    UPLOAD = "upload"
    URL = "url"


class CalendarSource(db.Model):
    """An external calendar attached to a unit; its events block the unit.

    Each event is materialised as a confirmed ``Booking`` without a booker (linked through
    ``ImportedEvent``), so the no-overlap constraint, availability and the feeds see it like
    any other booking. A re-sync replaces exactly the bookings of this source.
    """

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(8))
    url: Mapped[Optional[str]] = mapped_column(sa.String(2000))
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Why the last sync failed. Older versions stored the text, rendered in German: such
    # rows are shown as they are. Now {"key": message key, "params": {...}} is stored
    # (messages.stored_message) and rendered in the reader's language.
    last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    last_error_message: Mapped[Optional[dict]] = mapped_column(sa.JSON)

    unit = relationship("Unit")
    events: Mapped[list["ImportedEvent"]] = relationship(
        back_populates="source", cascade="all, delete-orphan", order_by="ImportedEvent.starts_at"
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('upload', 'url')", name="kind"),
        sa.CheckConstraint("kind = 'upload' OR url IS NOT NULL", name="url_given"),
    )

    @property
    def clashes(self):
        return [event for event in self.events if event.booking_id is None]


class ImportedEvent(db.Model):
    """One occurrence of an external event: either the booking that blocks the unit for
    it, or (``booking_id`` empty) the local booking it clashes with, for the manager."""

    __tablename__ = "imported_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("calendar_sources.id", ondelete="CASCADE"), index=True
    )
    # Several events of one source may share a booking: events that overlap once widened
    # to the unit's steps (two short events on one day of a day unit) are merged.
    booking_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    clashes_with_booking_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL")
    )
    external_uid: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    summary: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    # The times as the external calendar gives them (the booking is widened to whole steps).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    source: Mapped[CalendarSource] = relationship(back_populates="events")
    booking = relationship("Booking", foreign_keys=[booking_id])
    clashes_with = relationship("Booking", foreign_keys=[clashes_with_booking_id])


class OrganisationFeedToken(db.Model):
    """Capability token of an organisation's private feed (shown again to its admins)."""

    __tablename__ = "organisation_feed_tokens"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
