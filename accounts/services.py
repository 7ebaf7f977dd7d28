"""Account services: users, registration, confirmation and passwords.

No request, no current_user: callers pass the actor, ``now`` and the values. Services that
change something run in one transaction (mails go through the outbox in the same one).
"""
from functools import lru_cache

from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

import accounts.messages  # noqa: F401 - registers the message keys raised here
from accounts import links
from accounts.models import Membership, Organisation, SiteRole, User
from core import audit
from core.db import run_in_transaction
from core.errors import ValidationError
from core.outbox import enqueue_mail
from core.time import utcnow
from extensions import db

LANGUAGES = ("de", "en")


def _hash_method():
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@lru_cache(maxsize=4)
def _dummy_hash(method):
    # Checked against when the e-mail is unknown, so a login takes as long either way.
    return generate_password_hash("not-a-real-password", method=method)


def normalise_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def create_user(email, password, display_name=None, *, confirmed=False, chamber_admin=False,
                locale="de", now=None):
    """Add a user (not committed). Raises ValidationError if the e-mail is taken."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ValidationError({"email": "taken"}, message_key="email_taken", email=email)
    now = now or utcnow()
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        is_chamber_admin=chamber_admin,
        email_confirmed_at=now if confirmed else None,
        locale=locale if locale in LANGUAGES else "de",
        created_at=now,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def grant_site_role(user, site_id, role="manager", actor=None, now=None):
    """Make ``user`` manager of a site (not committed); idempotent; audit-logged."""
    existing = next((r for r in user.site_roles if r.site_id == site_id and r.role == role), None)
    if existing is not None:
        return existing
    site_role = SiteRole(user=user, site_id=site_id, role=role)
    db.session.add(site_role)
    db.session.flush()
    audit.record("site_role.granted", user, actor=actor, site_id=site_id, after={"role": role},
                 now=now)
    return site_role


def add_membership(user, organisation, role="member"):
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


def create_organisation(name, kind, **fields):
    organisation = Organisation(name=name, kind=kind, **fields)
    db.session.add(organisation)
    db.session.flush()
    return organisation


# --- login -----------------------------------------------------------------------------------

def authenticate(email, password):
    """The user with this e-mail and password, else None. Whether the e-mail exists is not
    revealed, not even by the time the check takes (roughly)."""
    user = find_user_by_email(email)
    if user is None:
        # Same kind of work as a real check; the result is thrown away.
        check_password_hash(_dummy_hash(_hash_method()), password or "")
        return None
    return user if user.check_password(password) else None


# --- registration and confirmation -----------------------------------------------------------

def _enqueue_confirmation(user, now):
    token = links.make_token(links.CONFIRM_EMAIL, {"user": user.id, "email": user.email})
    enqueue_mail(user.email, "account_confirm", "account_confirm", locale=user.locale, now=now,
                 user=user, link=links.absolute_url("accounts.confirm_email", token=token),
                 hours=links.email_token_max_age() // 3600)


def _enqueue_account_exists(user, now):
    confirm_link = None
    if not user.is_confirmed:
        token = links.make_token(links.CONFIRM_EMAIL, {"user": user.id, "email": user.email})
        confirm_link = links.absolute_url("accounts.confirm_email", token=token)
    enqueue_mail(user.email, "account_exists", "account_exists", locale=user.locale, now=now,
                 user=user, reset_link=links.absolute_url("accounts.request_password_reset"),
                 confirm_link=confirm_link)


def register_account(email, password, display_name, locale, *, now):
    """Create an unconfirmed account and mail it a confirmation link.

    If the address already has an account, nothing is created and its owner gets a mail
    instead, so the caller cannot tell the two cases apart (no account enumeration).
    Returns nothing for the same reason. Commits.
    """
    email = normalise_email(email)

    def work():
        existing = find_user_by_email(email)
        if existing is not None:
            # Hash anyway so both answers take about the same time.
            generate_password_hash(password, method=_hash_method())
            _enqueue_account_exists(existing, now)
            return
        user = create_user(email, password, display_name, locale=locale, now=now)
        _enqueue_confirmation(user, now)

    try:
        run_in_transaction(work)
    except IntegrityError:
        # A concurrent registration of the same address won the race.
        run_in_transaction(work)


def resend_confirmation(email, *, now):
    """Mail a new confirmation link if the address has an unconfirmed account; silently do
    nothing otherwise (the caller sees the same answer). Commits."""
    def work():
        user = find_user_by_email(email)
        if user is not None and not user.is_confirmed:
            _enqueue_confirmation(user, now)

    run_in_transaction(work)


def confirm_email(token, *, now):
    """Confirm the account a confirmation link was made for; confirming twice is harmless.
    Raises ValidationError(invalid_link) for a bad or expired link. Commits."""
    payload = links.read_token(links.CONFIRM_EMAIL, token, links.email_token_max_age())
    user = db.session.get(User, payload["user"]) if isinstance(payload, dict) else None
    if user is None or user.email != payload.get("email"):
        raise ValidationError({"token": "invalid"}, message_key="invalid_link")

    def work():
        if user.email_confirmed_at is None:
            user.email_confirmed_at = now
            audit.record("user.email_confirmed", user, actor=user, now=now)
        return user

    return run_in_transaction(work)


# --- passwords and profile -------------------------------------------------------------------

def _bump_credentials(user):
    # Sessions and reset links carry the version; bumping it ends them all.
    user.credentials_version = (user.credentials_version or 1) + 1


def change_password(user, old_password, new_password, *, now):
    """Set a new password after checking the old one; every other session of the user ends.
    Raises ValidationError(wrong_password). Commits."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "wrong"}, message_key="wrong_password")

    def work():
        user.set_password(new_password)
        _bump_credentials(user)
        audit.record("user.password_changed", user, actor=user, now=now)
        enqueue_mail(user.email, "account_password_changed", "account_password_changed",
                     locale=user.locale, now=now, user=user,
                     reset_link=links.absolute_url("accounts.request_password_reset"))
        return user

    return run_in_transaction(work)


def request_password_reset(email, *, now):
    """Mail a reset link if the address has an account; do nothing visible otherwise.
    The link is bound to the current credentials version, so it works once. Commits."""
    def work():
        user = find_user_by_email(email)
        if user is None:
            return
        token = links.make_token(links.RESET_PASSWORD,
                                 {"user": user.id, "version": user.credentials_version})
        enqueue_mail(user.email, "account_password_reset", "account_password_reset",
                     locale=user.locale, now=now, user=user,
                     link=links.absolute_url("accounts.reset_password", token=token),
                     hours=links.email_token_max_age() // 3600)

    run_in_transaction(work)


def user_for_reset_token(token):
    """The user a still-valid reset link belongs to. Raises ValidationError(invalid_link)."""
    payload = links.read_token(links.RESET_PASSWORD, token, links.email_token_max_age())
    user = db.session.get(User, payload["user"]) if isinstance(payload, dict) else None
    if user is None or payload.get("version") != user.credentials_version:
        raise ValidationError({"token": "invalid"}, message_key="invalid_link")
    return user


def reset_password(token, new_password, *, now):
    """Set a new password through a reset link; the link then stops working and every
    session ends. The mail proved the address, so an unconfirmed account is confirmed.
    Raises ValidationError(invalid_link). Commits."""
    user = user_for_reset_token(token)

    def work():
        user.set_password(new_password)
        _bump_credentials(user)
        if user.email_confirmed_at is None:
            user.email_confirmed_at = now
        audit.record("user.password_reset", user, actor=user, now=now)
        return user

    return run_in_transaction(work)


def update_profile(user, display_name, locale, *, now):
    """Save the display name and the preferred language (pages and e-mails). Commits."""
    if locale not in LANGUAGES:
        raise ValidationError({"locale": "invalid"}, message_key="validation")

    def work():
        user.display_name = display_name.strip()
        user.locale = locale
        return user

    return run_in_transaction(work)
