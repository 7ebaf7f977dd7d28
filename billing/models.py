"""Prices of units. Funding programmes, invoices and payments follow with billing."""
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db


class UnitPrice(db.Model):
    """The net price of one step of a unit's granularity, in integer cents."""

    __tablename__ = "unit_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    net_cents_per_step: Mapped[int]
    # VAT rate in basis points: 1900 = 19 %.
    vat_rate_bp: Mapped[int] = mapped_column(default=1900, server_default="1900")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR", server_default="EUR")
    # Optional reduced price for members of an organisation with a membership plan.
    member_net_cents_per_step: Mapped[Optional[int]]

    unit = relationship("Unit")

    __table_args__ = (
        sa.CheckConstraint("net_cents_per_step >= 0", name="net_not_negative"),
        sa.CheckConstraint("vat_rate_bp BETWEEN 0 AND 10000", name="vat_rate"),
    )
