"""Users, organisations and the roles that connect them."""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import UTCDateTime
from core.time import utcnow
from extensions import db


class OrganisationKind(enum.StrEnum):
    STARTUP = "startup"
    RETAILER = "retailer"
    PARTNER = "partner"
    PUBLIC_BODY = "public_body"
    OTHER = "other"


class MembershipRole(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(5), default="de", server_default="de")
    is_chamber_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    email_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped when the password changes: invalidates reset links and other sessions.
    credentials_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Capability token of the private iCal feed (shown again to its owner, revocable).
    ical_token: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    site_roles: Mapped[list["SiteRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password):
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_confirmed(self):
        return self.email_confirmed_at is not None

    def get_id(self):
        # The session remembers the credentials version: a password change logs out
        # every other session.
        return f"{self.id}:{self.credentials_version}"

    @property
    def managed_site_ids(self):
        return {role.site_id for role in self.site_roles if role.role == "manager"}

    @property
    def organisations(self):
        return [membership.organisation for membership in self.memberships]

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16), default=OrganisationKind.OTHER)
    founded_on: Mapped[Optional[date]]
    street: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    municipality: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="DE", server_default="DE")
    vat_id: Mapped[Optional[str]] = mapped_column(sa.String(20))
    chamber_member_number: Mapped[Optional[str]] = mapped_column(sa.String(32))
    # Leitweg-ID: routing ID of a public body for XRechnung e-invoices.
    public_routing_id: Mapped[Optional[str]] = mapped_column(sa.String(46))
    billing_email: Mapped[Optional[str]] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('startup', 'retailer', 'partner', 'public_body', 'other')", name="kind"
        ),
    )

    def __repr__(self):
        return f"<Organisation {self.id} {self.name}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), default=MembershipRole.MEMBER)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id", name="uq_memberships_user_organisation"),
        sa.CheckConstraint("role IN ('member', 'admin')", name="role"),
    )


class SiteRole(db.Model):
    """A user's role at one site (today: lab manager). Chamber admins are flagged on User."""

    __tablename__ = "site_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The sites table belongs to spaces; the foreign key is resolved by name so that
    # accounts does not import spaces.
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(16), default="manager")

    user: Mapped[User] = relationship(back_populates="site_roles")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "site_id", "role", name="uq_site_roles_user_site_role"),
        sa.CheckConstraint("role IN ('manager')", name="role"),
    )


class Invitation(db.Model):
    """An organisation admin's invitation of an e-mail address to join the organisation."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320))
    role: Mapped[str] = mapped_column(sa.String(16), default=MembershipRole.MEMBER)
    invited_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 hash is stored; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
