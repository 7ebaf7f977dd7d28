"""Billing tables: price lists, funding programmes and their ledger, de-minimis declarations,
organisations billed on account, Stripe payments and the events already processed.

Invariants the database holds: a programme's committed amount never exceeds its budget
(CHECK), one subsidy per booking, one payment per booking and per Checkout Session, and
each Stripe event id once (primary key).
"""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class UnitPrice(db.Model):
    """The price list of a unit: net cents per step of its granularity, cheaper rates from a
    length on, the VAT rate, a member price and the cancellation policy."""

    __tablename__ = "unit_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    net_cents_per_step: Mapped[int]
    # VAT rate in basis points: 1900 = 19 %.
    vat_rate_bp: Mapped[int] = mapped_column(default=1900, server_default="1900")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR", server_default="EUR")
    # Optional reduced price for members of an organisation with a membership plan.
    member_net_cents_per_step: Mapped[Optional[int]]
    # Cancelling is free until this many hours before the start (None: always free) ...
    free_cancellation_hours: Mapped[Optional[int]]
    # ... and costs this share of the net afterwards (basis points: 5000 = 50 %).
    cancellation_fee_bp: Mapped[int] = mapped_column(default=0, server_default="0")

    unit = relationship("Unit")
    rates: Mapped[list["UnitPriceRate"]] = relationship(
        back_populates="price", cascade="all, delete-orphan", order_by="UnitPriceRate.from_steps"
    )

    __table_args__ = (
        sa.CheckConstraint("net_cents_per_step >= 0", name="net_not_negative"),
        sa.CheckConstraint("vat_rate_bp BETWEEN 0 AND 10000", name="vat_rate"),
        sa.CheckConstraint("member_net_cents_per_step >= 0", name="member_not_negative"),
        sa.CheckConstraint("free_cancellation_hours >= 0", name="free_hours"),
        sa.CheckConstraint("cancellation_fee_bp BETWEEN 0 AND 10000", name="fee"),
    )


class UnitPriceRate(db.Model):
    """A cheaper net price per step for bookings of at least ``from_steps`` steps (a week
    rate from 7 days on a day-step shelf, say)."""

    __tablename__ = "unit_price_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_price_id: Mapped[int] = mapped_column(
        sa.ForeignKey("unit_prices.id", ondelete="CASCADE"))
    from_steps: Mapped[int]
    net_cents_per_step: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")

    price: Mapped[UnitPrice] = relationship(back_populates="rates")

    __table_args__ = (
        sa.UniqueConstraint("unit_price_id", "from_steps", name="uq_unit_price_rates_from"),
        sa.CheckConstraint("from_steps >= 2", name="from_steps"),
        sa.CheckConstraint("net_cents_per_step >= 0", name="net_not_negative"),
    )


class FundingKind(enum.StrEnum):
    # The lab's own price reduction: VAT on the reduced net.
    PRICE_REDUCTION = "price_reduction"
    # A third party pays part of the price: VAT on the full net.
    THIRD_PARTY = "third_party"


funding_programme_sites = sa.Table(
    "funding_programme_sites",
    db.metadata,
    sa.Column("programme_id", sa.ForeignKey("funding_programmes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("site_id", sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class FundingProgramme(db.Model):
    """Pays ``share_bp`` of the net price of eligible organisations' bookings, at most
    ``cap_per_booking_cents`` each, until ``budget_cents`` is committed."""

    __tablename__ = "funding_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16), default=FundingKind.PRICE_REDUCTION)
    # Organisation kinds (accounts.models.OrganisationKind values); empty: every kind.
    eligible_kinds: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Only organisations founded within this many years (None: any age).
    founded_within_years: Mapped[Optional[int]]
    share_bp: Mapped[int]
    cap_per_booking_cents: Mapped[Optional[int]]
    budget_cents: Mapped[int]
    # The sum of the active subsidies of the ledger; kept beside the budget so that the
    # database can check the invariant in one row.
    committed_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sites = relationship("Site", secondary=funding_programme_sites, order_by="Site.name")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('price_reduction', 'third_party')", name="kind"),
        sa.CheckConstraint("share_bp BETWEEN 1 AND 10000", name="share"),
        sa.CheckConstraint("cap_per_booking_cents >= 0", name="cap"),
        sa.CheckConstraint("budget_cents >= 0", name="budget"),
        sa.CheckConstraint("committed_cents >= 0 AND committed_cents <= budget_cents",
                           name="within_budget"),
        sa.CheckConstraint("founded_within_years >= 0", name="founded_within"),
    )

    @property
    def remaining_cents(self):
        return self.budget_cents - self.committed_cents


class SubsidyGrant(db.Model):
    """One booking's subsidy: the ledger row behind a programme's committed amount and the
    aid an organisation received (de-minimis)."""

    __tablename__ = "subsidy_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_programmes.id"), index=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int]
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    programme: Mapped[FundingProgramme] = relationship()
    booking = relationship("Booking")
    organisation = relationship("Organisation")

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="positive"),)

    @property
    def active(self):
        return self.released_at is None


class DeminimisDeclaration(db.Model):
    """De-minimis aid an organisation declared it received from another grantor."""

    __tablename__ = "deminimis_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    granted_on: Mapped[date]
    amount_cents: Mapped[int]
    grantor: Mapped[str] = mapped_column(sa.String(200))
    reference: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    declared_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="positive"),)


class OrganisationBilling(db.Model):
    """How an organisation pays: on account (monthly invoice) or at booking time. Without a
    row, partners and public bodies are billed on account."""

    __tablename__ = "organisation_billing"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    on_account: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentStatus(enum.StrEnum):
    OPEN = "open"            # Checkout Session created, nothing paid yet
    PROCESSING = "processing"  # completed, an asynchronous payment (SEPA) is under way
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"
    REFUNDED = "refunded"    # refunded in full (a partial refund keeps "paid")


class Payment(db.Model):
    """The reference between a booking and its Stripe Checkout Session / PaymentIntent: one
    row per booking, each with its own amount. The occurrences of a series paid at once
    share one session (and so one PaymentIntent); refunds stay per row."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    checkout_session_id: Mapped[str] = mapped_column(sa.String(255), index=True)
    checkout_url: Mapped[str] = mapped_column(sa.String(2000))
    payment_intent: Mapped[Optional[str]] = mapped_column(sa.String(255), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PaymentStatus.OPEN)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="eur", server_default="eur")
    refunded_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the current Checkout Session expires (as Stripe reported it on creation): until
    # then it is handed out without asking Stripe; empty for rows of earlier versions.
    session_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking = relationship("Booking")
    refunds: Mapped[list["PaymentRefund"]] = relationship(
        back_populates="payment", order_by="PaymentRefund.id")

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('open', 'processing', 'paid', 'expired', 'failed', 'refunded')",
            name="status"),
        sa.CheckConstraint("amount_cents > 0", name="amount"),
        sa.CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents",
                           name="refunded"),
    )


class PaymentRefund(db.Model):
    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    stripe_refund_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="positive"),)


class CancellationCharge(db.Model):
    """What cancelling a booking cost under its unit's policy (billed by the invoice run
    for bookings on account, kept back from the refund for paid ones)."""

    __tablename__ = "cancellation_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    fee_net_cents: Mapped[int]
    fee_vat_cents: Mapped[int]
    vat_rate_bp: Mapped[int]
    refund_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("fee_net_cents >= 0 AND fee_vat_cents >= 0",
                                         name="not_negative"),)


class ProcessedStripeEvent(db.Model):
    """A Stripe event id that has been handled: the primary key makes it at most once."""

    __tablename__ = "processed_stripe_events"

    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(100))
    outcome: Mapped[str] = mapped_column(sa.String(64))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "UnitPrice", "UnitPriceRate", "FundingKind", "FundingProgramme", "funding_programme_sites",
    "SubsidyGrant", "DeminimisDeclaration", "OrganisationBilling", "PaymentStatus", "Payment",
    "PaymentRefund", "CancellationCharge", "ProcessedStripeEvent",
]
