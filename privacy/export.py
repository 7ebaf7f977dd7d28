"""Collect everything stored about one user, for the GDPR data export (Art. 15, 20).

Beside the sections written out by hand (account, memberships, bookings, audit entries,
mails), every other table with a column referring to ``users.id`` is searched, so data
added by a new feature is exported without anyone remembering to add it here.
"""
import datetime as dt
import decimal
import enum

import sqlalchemy as sa

from accounts.models import ApiToken, Invitation, Membership, User
from bookings.models import Booking
from core.models import AuditEntry, OutboxMessage
from extensions import db

# Never exported: hashes of secrets are useless to the person and useful to an attacker.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "ical_token", "token"})
# Tables covered by a section of their own.
_OWN_SECTIONS = {"users", "memberships", "bookings", "audit_entries", "api_tokens"}


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return None
    return value


def _row(mapping, columns=None):
    return {key: _plain(value) for key, value in mapping.items()
            if key not in SECRET_COLUMNS and (columns is None or key in columns)}


def _account(user):
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "locale": user.locale,
        "created_at": _plain(user.created_at),
        "email_confirmed_at": _plain(user.email_confirmed_at),
        "is_chamber_admin": user.is_chamber_admin,
        "managed_site_ids": sorted(user.managed_site_ids),
        "has_private_calendar_feed": user.ical_token is not None,
    }


def _memberships(user):
    rows = db.session.scalars(sa.select(Membership).where(Membership.user_id == user.id))
    return [{"organisation_id": m.organisation_id, "organisation": m.organisation.name,
             "role": m.role} for m in rows]


def _bookings(user):
    rows = db.session.scalars(
        sa.select(Booking).where(sa.or_(Booking.booked_by_id == user.id,
                                        Booking.cancelled_by_id == user.id))
        .order_by(Booking.starts_at)
    )
    result = []
    for booking in rows:
        record = _row({column.key: getattr(booking, column.key)
                       for column in Booking.__table__.columns})
        record["unit"] = booking.unit.name if booking.unit is not None else None
        record["site"] = booking.unit.site.name if booking.unit is not None else None
        result.append(record)
    return result


def _audit_entries(user):
    rows = db.session.scalars(
        sa.select(AuditEntry).where(sa.or_(
            AuditEntry.actor_id == user.id,
            sa.and_(AuditEntry.subject_type == "user", AuditEntry.subject_id == user.id),
        )).order_by(AuditEntry.id)
    )
    return [_row({column.key: getattr(entry, column.key)
                  for column in AuditEntry.__table__.columns}) for entry in rows]


def _mails(user):
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.id)
    )
    return [{"created_at": _plain(mail.created_at), "subject": mail.subject,
             "kind": mail.kind, "status": mail.status, "sent_at": _plain(mail.sent_at),
             "body_text": mail.body_text} for mail in rows]


def _api_tokens(user):
    rows = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    return [{"created_at": _plain(t.created_at), "last_used_at": _plain(t.last_used_at),
             "revoked_at": _plain(t.revoked_at)} for t in rows]


def _invitations(user):
    rows = db.session.scalars(sa.select(Invitation).where(Invitation.email == user.email))
    return [{"organisation": i.organisation.name, "role": i.role,
             "created_at": _plain(i.created_at), "accepted_at": _plain(i.accepted_at)}
            for i in rows]


def _other_records(user):
    """Rows of every other table that name the user in a foreign key to users.id."""
    users_id = User.__table__.c.id
    records = {}
    for table in db.metadata.sorted_tables:
        if table.name in _OWN_SECTIONS:
            continue
        columns = [fk.parent for fk in table.foreign_keys if fk.column is users_id]
        if not columns:
            continue
        rows = db.session.execute(
            sa.select(table).where(sa.or_(*(column == user.id for column in columns)))
        ).mappings().all()
        if rows:
            records[table.name] = [_row(dict(row)) for row in rows]
    return records


def collect_personal_data(user):
    return {
        "format": "stadtlabor-personal-data/1",
        "account": _account(user),
        "memberships": _memberships(user),
        "bookings": _bookings(user),
        "audit_entries": _audit_entries(user),
        "mails": _mails(user),
        "api_tokens": _api_tokens(user),
        "invitations": _invitations(user),
        "other_records": _other_records(user),
    }
