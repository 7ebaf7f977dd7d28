"""Partner tenancies: a long-term agreement that blocks units on given weekdays.

An approved tenancy owns real booking occurrences (``Booking.tenancy_id``), so the same
no-overlap constraint that guards every booking guards the tenancy's time too.
"""
import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class TenancyStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ENDED = "ended"


# Tenancies whose fee is billed (an ended tenancy is billed up to its new end date).
BILLED_STATUSES = (TenancyStatus.APPROVED, TenancyStatus.ENDED)

tenancy_units = sa.Table(
    "tenancy_units",
    db.metadata,
    sa.Column("tenancy_id", sa.ForeignKey("tenancies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True),
)


class Tenancy(db.Model):
    __tablename__ = "tenancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # All units of a tenancy belong to this site (whose managers decide).
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    # RFC 5545 weekday codes, Monday first, comma-separated ("TH" or "MO,TU").
    weekdays: Mapped[str] = mapped_column(sa.String(20))
    whole_days: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Local wall-clock times (Europe/Berlin); empty for whole days.
    start_time: Mapped[Optional[time]]
    end_time: Mapped[Optional[time]]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    purpose: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    proposed_monthly_fee_cents: Mapped[int]
    monthly_fee_cents: Mapped[Optional[int]]
    status: Mapped[str] = mapped_column(sa.String(16), default=TenancyStatus.REQUESTED)
    requested_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation")
    site = relationship("Site")
    units = relationship("Unit", secondary=tenancy_units, order_by="Unit.position, Unit.id")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),
        sa.CheckConstraint("status IN ('requested', 'approved', 'rejected', 'ended')",
                           name="status"),
        sa.CheckConstraint(
            "whole_days OR (start_time IS NOT NULL AND end_time IS NOT NULL "
            "AND start_time < end_time)",
            name="times",
        ),
        sa.CheckConstraint("proposed_monthly_fee_cents >= 0 AND "
                           "(monthly_fee_cents IS NULL OR monthly_fee_cents >= 0)",
                           name="fees_not_negative"),
    )

    @property
    def weekday_codes(self):
        return [code for code in self.weekdays.split(",") if code]

    @property
    def unit_ids(self):
        return [unit.id for unit in self.units]

    def __repr__(self):
        return f"<Tenancy {self.id} org={self.organisation_id} {self.status}>"


__all__ = ["Tenancy", "TenancyStatus", "BILLED_STATUSES", "tenancy_units"]
