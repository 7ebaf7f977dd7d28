"""Bookings and recurring series.

No two blocking bookings of a unit overlap: on PostgreSQL an exclusion constraint
(btree_gist over unit and a half-open ``tstzrange``) guarantees it; on SQLite every write
transaction holds the database's write lock from its start (``core.db``).
"""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"
    HELD = "held"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"


BLOCKING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.HELD, BookingStatus.CONFIRMED)
_BLOCKING_SQL = "status IN ('requested', 'held', 'confirmed')"


class BookingSeries(db.Model):
    """A recurring booking: the rule as given, its occurrences are bookings."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    booked_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # RFC 5545 RRULE subset (FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;UNTIL=... or COUNT=...).
    rrule: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bookings: Mapped[list["Booking"]] = relationship(
        back_populates="series", order_by="Booking.starts_at"
    )


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    booked_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    billed_organisation_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    series_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("booking_series.id"), index=True
    )
    # An occurrence of a partner tenancy (bookings.tenancy_models).
    tenancy_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("tenancies.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16))
    hold_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    attendees: Mapped[int] = mapped_column(default=1, server_default="1")
    terms_version: Mapped[str] = mapped_column(sa.String(32))
    # The price as quoted when the booking was made (billing fills it; frozen).
    price: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Rises with every change that a calendar client should see (iCal SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Who approved or rejected a request, and when (bookings.approvals).
    decided_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    billed_organisation = relationship("Organisation")
    series: Mapped[Optional[BookingSeries]] = relationship(back_populates="bookings")

    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint(
            "status IN ('requested', 'held', 'confirmed', 'rejected', 'cancelled', "
            "'expired', 'no_show')",
            name="status",
        ),
        sa.Index("ix_bookings_unit_starts_at", "unit_id", "starts_at"),
        postgresql.ExcludeConstraint(
            ("unit_id", "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            name="ex_bookings_no_overlap",
            using="gist",
            where=sa.text(_BLOCKING_SQL),
        ).ddl_if(dialect="postgresql"),
    )

    @property
    def site(self):
        return self.unit.site

    def blocks_at(self, now):
        """Whether the booking keeps its unit busy at ``now`` (lapsed holds do not)."""
        if self.status == BookingStatus.HELD:
            return self.hold_expires_at is None or self.hold_expires_at > now
        return self.status in BLOCKING_STATUSES

    def __repr__(self):
        return f"<Booking {self.id} unit={self.unit_id} {self.status}>"
