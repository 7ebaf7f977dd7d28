"""Retention, export and deletion of personal data.

Hooks that higher layers (billing) may register in ``core.hooks``:

``HOOK_BOOKINGS_NEEDED_FOR_ACCOUNTING(booking_ids, kept_since)``
    returns the ids among ``booking_ids`` that an accounting document issued at or after
    ``kept_since`` still needs with their booker; the purge leaves those alone.
``HOOK_EXPORT_SECTIONS(user)``
    returns a dict of extra sections (e.g. ``{"invoices": [...]}``) for the data export.
``HOOK_ACCOUNT_DELETING(user, now)``
    runs inside the deletion's transaction, before anonymising: may raise a DomainError
    to refuse, or anonymise the layer's own data.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _

import privacy.messages  # noqa: F401 - registers the message keys raised here
from accounts.models import ApiToken, Invitation, Membership, MembershipRole, SiteRole, User
from bookings.models import Booking, BookingSeries
from core import audit, hooks
from core.db import run_in_transaction
from core.errors import ValidationError
from core.models import AuditEntry, OutboxMessage
from extensions import db
from privacy.export import collect_personal_data

HOOK_BOOKINGS_NEEDED_FOR_ACCOUNTING = "privacy.bookings_needed_for_accounting"
HOOK_EXPORT_SECTIONS = "privacy.export_sections"
HOOK_ACCOUNT_DELETING = "privacy.account_deleting"

# Keys of audit snapshots that may hold free text about a person.
PERSONAL_AUDIT_KEYS = frozenset({"purpose", "reason", "status_reason", "email", "display_name"})
# Stored as the name of an anonymised account (stable); shown through ``shown_name``.
DELETED_NAME = "deleted user"
DELETED_MARK = "[deleted]"
_CHUNK = 500


@dataclass
class PurgeResult:
    bookings: int = 0
    series: int = 0
    audit_entries: int = 0
    mails: int = 0
    kept_for_accounting: int = 0


def shown_name(name):
    """A person's display name as the reader should see it: an anonymised account's
    stored ``DELETED_NAME`` in the current language, any other name as it is."""
    return _("deleted account") if name == DELETED_NAME else name


def _chunks(ids):
    ids = list(ids)
    for index in range(0, len(ids), _CHUNK):
        yield ids[index:index + _CHUNK]


def _has_personal_data():
    return sa.or_(Booking.booked_by_id.is_not(None), Booking.cancelled_by_id.is_not(None),
                  Booking.purpose != "", Booking.status_reason.is_not(None))


def purge_personal_data(now, retention_days, accounting_years=8):
    """Anonymise bookings that ended more than ``retention_days`` before ``now``.

    The rows stay (occupancy statistics and the organisation billed are not personal);
    the booker, the canceller, the purpose and the reason are removed, as are the actors
    and free-text fields of their audit entries, and sent mails older than the period.
    Bookings that billing says an invoice of the last ``accounting_years`` still needs
    are kept as they are. Idempotent. Commits; returns a PurgeResult.
    """
    cutoff = now - timedelta(days=retention_days)
    kept_since = now - relativedelta(years=accounting_years)

    def work():
        result = PurgeResult()
        candidates = db.session.scalars(
            sa.select(Booking.id).where(Booking.ends_at < cutoff, _has_personal_data())
        ).all()
        needed = set(hooks.ask(HOOK_BOOKINGS_NEEDED_FOR_ACCOUNTING, list(candidates),
                               kept_since, default=()) or ())
        purged = [booking_id for booking_id in candidates if booking_id not in needed]
        result.kept_for_accounting = len(candidates) - len(purged)
        for chunk in _chunks(purged):
            result.bookings += db.session.execute(
                sa.update(Booking).where(Booking.id.in_(chunk)).values(
                    booked_by_id=None, cancelled_by_id=None, purpose="", status_reason=None),
                execution_options={"synchronize_session": False},
            ).rowcount
            series_ids = db.session.scalars(
                sa.select(Booking.series_id).where(Booking.id.in_(chunk),
                                                   Booking.series_id.is_not(None)).distinct()
            ).all()
            result.series += _release_series(series_ids)
            result.audit_entries += _scrub_booking_audit(chunk)
        result.mails = db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.created_at < cutoff,
                                           OutboxMessage.status != "pending"),
            execution_options={"synchronize_session": False},
        ).rowcount
        return result

    result = run_in_transaction(work)
    db.session.expire_all()
    return result


def _release_series(series_ids):
    """Drop the booker of series none of whose bookings still names a person."""
    if not series_ids:
        return 0
    still_personal = sa.select(Booking.id).where(
        Booking.series_id == BookingSeries.id, Booking.booked_by_id.is_not(None)
    ).exists()
    return db.session.execute(
        sa.update(BookingSeries)
        .where(BookingSeries.id.in_(series_ids), BookingSeries.booked_by_id.is_not(None),
               ~still_personal)
        .values(booked_by_id=None),
        execution_options={"synchronize_session": False},
    ).rowcount


def _without_personal_keys(snapshot):
    if not isinstance(snapshot, dict):
        return snapshot
    return {key: value for key, value in snapshot.items() if key not in PERSONAL_AUDIT_KEYS}


def _scrub_booking_audit(booking_ids):
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "booking",
                                    AuditEntry.subject_id.in_(booking_ids))
    ).all()
    for entry in entries:
        entry.actor_id = None
        entry.before = _without_personal_keys(entry.before)
        entry.after = _without_personal_keys(entry.after)
    db.session.flush()
    return len(entries)


# --- export ----------------------------------------------------------------------------------

def export_personal_data(user):
    """Everything stored about ``user`` as a JSON-ready dict: account, memberships,
    bookings, audit entries about or by them, mails to them, and every other row that
    refers to them. Secrets (password hash, token hashes) are left out. Reads only."""
    data = collect_personal_data(user)
    extra = hooks.ask(HOOK_EXPORT_SECTIONS, user, default=None) or {}
    data.update(extra)
    return data


# --- deletion --------------------------------------------------------------------------------

def _check_deletable(user, now):
    for membership in user.memberships:
        if membership.role != MembershipRole.ADMIN:
            continue
        others = db.session.execute(
            sa.select(Membership.role).where(
                Membership.organisation_id == membership.organisation_id,
                Membership.user_id != user.id)
        ).scalars().all()
        if others and MembershipRole.ADMIN not in others:
            raise ValidationError({"account": "last_admin"}, message_key="privacy_last_admin",
                                  organisation=membership.organisation.name)
    if user.is_chamber_admin:
        admins = db.session.scalar(sa.select(sa.func.count()).select_from(User)
                                   .where(User.is_chamber_admin.is_(True)))
        if admins <= 1:
            raise ValidationError({"account": "last_chamber_admin"},
                                  message_key="last_chamber_admin")
    upcoming = [
        booking for booking in db.session.scalars(
            sa.select(Booking).where(Booking.booked_by_id == user.id, Booking.ends_at > now))
        if booking.blocks_at(now)
    ]
    if upcoming:
        raise ValidationError({"account": "upcoming_bookings"},
                              message_key="privacy_upcoming_bookings", count=len(upcoming))


def _replace_strings(value, personal, replacement):
    if isinstance(value, str):
        return replacement if value.strip().lower() in personal else value
    if isinstance(value, dict):
        return {key: _replace_strings(item, personal, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_strings(item, personal, replacement) for item in value]
    return value


def _scrub_user_audit(user, email, name):
    personal = {email.lower()} | ({name.strip().lower()} if name and name.strip() else set())
    mentions = sa.or_(
        AuditEntry.actor_id == user.id,
        sa.and_(AuditEntry.subject_type == "user", AuditEntry.subject_id == user.id),
        sa.cast(AuditEntry.before, sa.Text).contains(email),
        sa.cast(AuditEntry.after, sa.Text).contains(email),
    )
    for entry in db.session.scalars(sa.select(AuditEntry).where(mentions)):
        entry.before = _replace_strings(entry.before, personal, DELETED_MARK)
        entry.after = _replace_strings(entry.after, personal, DELETED_MARK)


def delete_account(user, *, now):
    """Anonymise ``user``: the row stays (bookings, invoices and the audit log keep
    pointing at it) but holds no name, e-mail, password or token any more; memberships,
    manager roles, API tokens, invitations and mails to the address are removed; the
    purpose of their bookings and every mention in the audit log are cleared. Every
    session of the user ends.

    Raises ValidationError while the user is the only admin of an organisation that has
    other members (privacy_last_admin), the last chamber admin, or has upcoming bookings
    (privacy_upcoming_bookings). Commits.
    """
    def work():
        db.session.refresh(user)
        _check_deletable(user, now)
        hooks.ask(HOOK_ACCOUNT_DELETING, user, now)
        email, name = user.email, user.display_name
        _scrub_user_audit(user, email, name)
        for model, column in ((Membership, Membership.user_id), (SiteRole, SiteRole.user_id),
                              (ApiToken, ApiToken.user_id)):
            db.session.execute(sa.delete(model).where(column == user.id),
                               execution_options={"synchronize_session": False})
        db.session.execute(sa.delete(Invitation).where(Invitation.email == email),
                           execution_options={"synchronize_session": False})
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient == email),
                           execution_options={"synchronize_session": False})
        db.session.execute(
            sa.update(Booking).where(Booking.booked_by_id == user.id)
            .values(purpose="", status_reason=None),
            execution_options={"synchronize_session": False},
        )
        user.email = f"deleted-{user.id}@deleted.invalid"
        user.display_name = DELETED_NAME
        # Not a hash of anything: no password can ever match it.
        user.password_hash = "!deleted"
        user.ical_token = None
        user.email_confirmed_at = None
        user.is_chamber_admin = False
        user.credentials_version = (user.credentials_version or 1) + 1
        audit.record("user.deleted", user, actor=None, now=now)
        return user

    result = run_in_transaction(work)
    db.session.expire_all()
    return result
