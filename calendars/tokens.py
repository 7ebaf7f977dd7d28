"""Capability tokens of the private feeds, and the absolute URLs of every feed.

A private feed URL carries ``<owner id>-<secret>``: the id finds the owner by primary key
and the secret is compared with ``hmac.compare_digest``, so the comparison takes the same
time however much of a guess is right. The secret is stored as is (``User.ical_token``,
``OrganisationFeedToken.token``) because its owner may look the URL up again; regenerating
it replaces the stored secret, so the old URL answers 404 from that moment on.
"""
import hmac
import secrets

from accounts.models import Organisation, User
from calendars.models import OrganisationFeedToken
from core import audit
from core.db import run_in_transaction
from core.time import utcnow
from core.urls import absolute_url
from extensions import db

SECRET_BYTES = 32  # 43 URL-safe characters: far beyond guessing


def _new_secret():
    return secrets.token_urlsafe(SECRET_BYTES)


def _compose(owner_id, secret):
    return f"{owner_id}-{secret}"


def _split(token):
    owner, _, secret = (token or "").partition("-")
    if not owner.isdigit() or not secret or len(owner) > 12:
        return None, None
    return int(owner), secret


def _secret_matches(stored, given):
    return stored is not None and hmac.compare_digest(stored.encode(), given.encode())


# --- users ---------------------------------------------------------------------------

def regenerate_ical_token(user, *, actor=None, now=None):
    """Give ``user`` a new private feed secret and commit; the old feed URL stops working
    at once (404). Returns the new URL token (``private_feed_url`` builds the URL)."""
    now = now or utcnow()

    def work():
        db.session.add(user)
        user.ical_token = _new_secret()
        audit.record("ical_token.regenerated", user, actor=actor or user, now=now)
        return _compose(user.id, user.ical_token)

    return run_in_transaction(work)


def user_feed_token(user):
    """The URL token of ``user``'s private feed; issues the first secret on first use."""
    if user.ical_token is None:
        def work():
            db.session.add(user)
            if user.ical_token is None:
                user.ical_token = _new_secret()

        run_in_transaction(work)
    return _compose(user.id, user.ical_token)


def user_for_feed_token(token):
    """The user whose private feed ``token`` opens, or None."""
    user_id, secret = _split(token)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not _secret_matches(user.ical_token, secret):
        return None
    return user


# --- organisations -------------------------------------------------------------------

def regenerate_organisation_feed_token(organisation, *, actor=None, now=None):
    """New secret for an organisation's private feed (old URL 404 at once); commits.
    Authorisation (organisation admins) is the caller's job. Returns the URL token."""
    now = now or utcnow()

    def work():
        row = db.session.get(OrganisationFeedToken, organisation.id)
        if row is None:
            row = OrganisationFeedToken(organisation_id=organisation.id, created_at=now)
            db.session.add(row)
        row.token = _new_secret()
        row.created_at = now
        audit.record("ical_token.regenerated", organisation, actor=actor, now=now)
        return _compose(organisation.id, row.token)

    return run_in_transaction(work)


def organisation_feed_token(organisation):
    row = db.session.get(OrganisationFeedToken, organisation.id)
    if row is None:
        def work():
            db.session.add(
                OrganisationFeedToken(organisation_id=organisation.id, token=_new_secret())
            )

        run_in_transaction(work)
        row = db.session.get(OrganisationFeedToken, organisation.id)
    return _compose(organisation.id, row.token)


def organisation_for_feed_token(token):
    organisation_id, secret = _split(token)
    if organisation_id is None:
        return None
    row = db.session.get(OrganisationFeedToken, organisation_id)
    if row is None or not _secret_matches(row.token, secret):
        return None
    return db.session.get(Organisation, organisation_id)


# --- absolute URLs -------------------------------------------------------------------

def unit_feed_url(unit):
    return absolute_url("calendars.unit_feed", unit_id=unit.id)


def site_feed_url(site):
    return absolute_url("calendars.site_feed", slug=site.slug)


def private_feed_url(user):
    """The absolute URL of ``user``'s private feed (their bookings at every site)."""
    return absolute_url("calendars.user_feed", token=user_feed_token(user))


def organisation_feed_url(organisation):
    return absolute_url("calendars.organisation_feed", token=organisation_feed_token(organisation))


def manager_feed_url(user, site):
    """The manager feed of ``site``, opened by the manager's own private token (so it is
    revoked with it, and answers 404 as soon as the user no longer manages the site)."""
    return absolute_url("calendars.manager_feed", slug=site.slug, token=user_feed_token(user))
