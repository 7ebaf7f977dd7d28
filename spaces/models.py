"""Sites, units, opening hours and closures."""
import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class UnitKind(enum.StrEnum):
    DESK = "desk"
    POPUP_SHELF = "popup_shelf"
    SHOP_WINDOW = "shop_window"
    CAFE_CORNER = "cafe_corner"
    EVENT_SPACE = "event_space"
    MEETING_ROOM = "meeting_room"


class Granularity(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Site(db.Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    street: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str] = mapped_column(sa.String(10))
    city: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    timezone: Mapped[str] = mapped_column(
        sa.String(40), default="Europe/Berlin", server_default="Europe/Berlin"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    units: Mapped[list["Unit"]] = relationship(
        back_populates="site", order_by="Unit.position, Unit.id"
    )
    opening_hours: Mapped[list["OpeningHours"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="OpeningHours.weekday"
    )
    closures: Mapped[list["Closure"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Closure.starts_on"
    )

    @property
    def address(self):
        return f"{self.street}, {self.postcode} {self.city}"

    def __repr__(self):
        return f"<Site {self.slug}>"


class OpeningHours(db.Model):
    """Local wall-clock opening hours of a site on one weekday (0 = Monday)."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens_at: Mapped[time]
    closes_at: Mapped[time]

    site: Mapped[Site] = relationship(back_populates="opening_hours")

    __table_args__ = (
        sa.UniqueConstraint("site_id", "weekday", name="uq_opening_hours_site_weekday"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )


class Closure(db.Model):
    """Whole local days on which a site is closed (``ends_on`` inclusive)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    site: Mapped[Site] = relationship(back_populates="closures")

    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),)


class Unit(db.Model):
    """Something bookable at a site; exclusive: one blocking booking at a time."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(120))
    # Units of one group (e.g. the 12 desks of a desk area) are interchangeable for
    # "any desk" requests; position decides the stable order in which they are assigned.
    group_name: Mapped[Optional[str]] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    granularity: Mapped[str] = mapped_column(sa.String(8), default=Granularity.HOUR)
    min_length: Mapped[int] = mapped_column(default=1, server_default="1")
    max_length: Mapped[int] = mapped_column(default=10, server_default="10")
    lead_time_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    horizon_days: Mapped[int] = mapped_column(default=366, server_default="366")
    needs_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(back_populates="units")

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('desk', 'popup_shelf', 'shop_window', 'cafe_corner', "
            "'event_space', 'meeting_room')",
            name="kind",
        ),
        sa.CheckConstraint("granularity IN ('hour', 'day', 'week', 'month')", name="granularity"),
        sa.CheckConstraint("min_length >= 1 AND max_length >= min_length", name="lengths"),
        sa.CheckConstraint("lead_time_minutes >= 0 AND horizon_days >= 1", name="window"),
        sa.CheckConstraint("capacity >= 1", name="capacity"),
        sa.Index("ix_units_site_kind", "site_id", "kind"),
    )

    def __repr__(self):
        return f"<Unit {self.id} {self.kind} {self.name}>"


class UnitPhoto(db.Model):
    """The one photo of a unit, kept in the database so every app server can serve it.
    Only PNG and JPEG, checked by their magic bytes (see spaces.photos)."""

    __tablename__ = "unit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    content: Mapped[bytes] = mapped_column("bytes", sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg')", name="content_type"),
    )
