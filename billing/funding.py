"""Funding programmes: eligibility, the offer a quote may use, and the ledger of subsidies.

Budget invariant: a programme's ``committed_cents`` (the sum of its active grants) never
exceeds ``budget_cents``. Every writer locks the programme row (``FOR UPDATE`` on
PostgreSQL; SQLite transactions hold the write lock from their start) and re-checks the
remaining budget inside the booking's transaction; a CHECK constraint backs it up.
"""
from datetime import date

import sqlalchemy as sa
from flask import current_app

import billing.messages  # noqa: F401 - registers the message keys raised here
from billing import deminimis
from billing.models import FundingKind, FundingProgramme, SubsidyGrant
from billing.pricing import SubsidyOffer
from core.audit import record
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.time import local_date
from extensions import db
from accounts import policy
from accounts.models import OrganisationKind


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def is_eligible(programme, organisation, site_id, on_date):
    """Whether ``organisation`` may get this programme's subsidy for a unit at ``site_id``."""
    if organisation is None or not programme.active:
        return False
    if programme.eligible_kinds and organisation.kind not in programme.eligible_kinds:
        return False
    if programme.founded_within_years is not None:
        founded = organisation.founded_on
        if founded is None or founded < _years_before(on_date, programme.founded_within_years):
            return False
    site_ids = {site.id for site in programme.sites}
    return not site_ids or site_id in site_ids


def best_programme(organisation, site_id, on_date, *, lock=False, now=None):
    """The eligible active programme with the largest share (then the oldest), or None.

    With ``lock`` the candidate rows are locked in id order (no deadlocks between bookings)
    and read fresh, so the remaining budget seen here holds until the transaction ends.
    """
    if organisation is None:
        return None
    query = sa.select(FundingProgramme).where(FundingProgramme.active.is_(True)) \
        .order_by(FundingProgramme.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    programmes = [p for p in db.session.scalars(query).all()
                  if is_eligible(p, organisation, site_id, on_date)]
    if not programmes:
        return None
    chosen = max(programmes, key=lambda p: (p.share_bp, -p.id))
    if lock and now is not None:
        release_stale(chosen, now)
    return chosen


def release_stale(programme, now):
    """Give back the subsidies of bookings that no longer use them (rejected, cancelled,
    expired, or a hold that lapsed unpaid) whichever way they got there; the programme row
    is locked by the caller. A late payment takes a lapsed hold's subsidy back if it can."""
    from bookings.models import Booking, BookingStatus

    stale = db.session.scalars(
        sa.select(SubsidyGrant).join(Booking, Booking.id == SubsidyGrant.booking_id)
        .where(SubsidyGrant.programme_id == programme.id, SubsidyGrant.released_at.is_(None),
               sa.or_(Booking.status.in_([BookingStatus.REJECTED, BookingStatus.CANCELLED,
                                          BookingStatus.EXPIRED]),
                      sa.and_(Booking.status == BookingStatus.HELD,
                              Booking.hold_expires_at <= now)))
    ).all()
    for grant in stale:
        programme.committed_cents -= grant.amount_cents
        grant.released_at = now
        record("subsidy.released", grant, now=now,
               after={"booking_id": grant.booking_id, "amount_cents": grant.amount_cents})
    return len(stale)


def offer_of(programme):
    return SubsidyOffer(programme_id=programme.id, name=programme.name, kind=programme.kind,
                        share_bp=programme.share_bp,
                        cap_per_booking_cents=programme.cap_per_booking_cents,
                        available_cents=programme.remaining_cents)


def _locked_programme(programme_id):
    return db.session.scalar(
        sa.select(FundingProgramme).where(FundingProgramme.id == programme_id)
        .with_for_update().execution_options(populate_existing=True)
    )


def commit_subsidy(booking, now):
    """Write the ledger row of the subsidy frozen in ``booking.price`` (inside the booking's
    transaction). Raises ValidationError if the budget no longer covers it (the booking is
    then not written)."""
    subsidy = (booking.price or {}).get("subsidy")
    cents = (booking.price or {}).get("subsidy_cents") or 0
    if not subsidy or cents <= 0 or booking.billed_organisation_id is None:
        return None
    programme = _locked_programme(subsidy["programme_id"])
    if programme is None or programme.remaining_cents < cents:
        raise ValidationError({"organisation_id": "funding_exhausted"},
                              message_key="funding_exhausted")
    programme.committed_cents += cents
    grant = SubsidyGrant(programme_id=programme.id, booking_id=booking.id,
                         organisation_id=booking.billed_organisation_id, amount_cents=cents,
                         granted_at=now)
    db.session.add(grant)
    db.session.flush()
    record("subsidy.granted", grant, site_id=booking.unit.site_id, now=now,
           after={"booking_id": booking.id, "programme_id": programme.id,
                  "amount_cents": cents})
    return grant


def grant_of(booking_id):
    return db.session.scalar(sa.select(SubsidyGrant).where(SubsidyGrant.booking_id == booking_id))


def release_subsidy(booking, now):
    """Give a booking's active subsidy back to its programme's budget (cancelled, expired,
    rejected). Idempotent."""
    grant = grant_of(booking.id)
    if grant is None or not grant.active:
        return None
    programme = _locked_programme(grant.programme_id)
    programme.committed_cents -= grant.amount_cents
    grant.released_at = now
    record("subsidy.released", grant, site_id=booking.unit.site_id, now=now,
           after={"booking_id": booking.id, "amount_cents": grant.amount_cents})
    return grant


def recommit_subsidy(booking, now):
    """A released subsidy becomes active again (a late payment confirmed the booking) if
    the budget and the de-minimis ceiling still allow; otherwise the lab carries it and the
    audit log says so. Returns True when the subsidy is active afterwards."""
    grant = grant_of(booking.id)
    if grant is None or grant.active:
        return grant is not None
    programme = _locked_programme(grant.programme_id)
    ceiling = current_app.config["DEMINIMIS_CEILING_CENTS"]
    allowed = deminimis.headroom(grant.organisation_id, local_date(now), ceiling)
    if programme.remaining_cents < grant.amount_cents or allowed < grant.amount_cents:
        record("subsidy.shortfall", grant, site_id=booking.unit.site_id, now=now,
               after={"booking_id": booking.id, "amount_cents": grant.amount_cents})
        return False
    programme.committed_cents += grant.amount_cents
    grant.released_at = None
    grant.granted_at = now
    record("subsidy.granted", grant, site_id=booking.unit.site_id, now=now,
           after={"booking_id": booking.id, "programme_id": programme.id,
                  "amount_cents": grant.amount_cents, "again": True})
    return True


# --- administration (chamber admins) -----------------------------------------------------

def _require_admin(actor):
    if not policy.is_chamber_admin(actor):
        raise NotAllowed()


def _check_values(values):
    fields = {}
    if not (values.get("name") or "").strip():
        fields["name"] = "required"
    if values.get("kind") not in set(FundingKind):
        fields["kind"] = "unknown"
    share = values.get("share_bp")
    if not isinstance(share, int) or not 1 <= share <= 10000:
        fields["share_bp"] = "out_of_range"
    for name in ("budget_cents", "cap_per_booking_cents", "founded_within_years"):
        value = values.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            fields[name] = "out_of_range"
    if values.get("budget_cents") is None:
        fields["budget_cents"] = "required"
    kinds = values.get("eligible_kinds") or []
    if any(kind not in set(OrganisationKind) for kind in kinds):
        fields["eligible_kinds"] = "unknown"
    if fields:
        raise ValidationError(fields, message_key="invalid_programme")


def save_programme(actor, values, *, now, programme_id=None, sites=()):
    """Create or change a funding programme. The budget can never drop below what is
    already committed. Raises NotAllowed (not a chamber admin), ValidationError."""
    _require_admin(actor)
    _check_values(values)

    def work():
        if programme_id is None:
            programme = FundingProgramme(created_at=now, committed_cents=0)
            db.session.add(programme)
            before = None
        else:
            programme = _locked_programme(programme_id)
            if programme is None:
                raise ValidationError({"programme": "unknown"})
            before = {"budget_cents": programme.budget_cents, "share_bp": programme.share_bp}
            if values["budget_cents"] < programme.committed_cents:
                raise ValidationError({"budget_cents": "below_committed"},
                                      message_key="budget_below_committed",
                                      committed=programme.committed_cents / 100)
        for name in ("name", "kind", "share_bp", "cap_per_booking_cents", "budget_cents",
                     "founded_within_years", "active"):
            if name in values:
                setattr(programme, name, values[name])
        programme.name = programme.name.strip()
        programme.eligible_kinds = sorted(values.get("eligible_kinds") or [])
        programme.sites = list(sites)
        db.session.flush()
        record("funding.saved", programme, actor=actor, now=now, before=before,
               after={"name": programme.name, "budget_cents": programme.budget_cents,
                      "share_bp": programme.share_bp, "kind": programme.kind})
        return programme

    return run_in_transaction(work)


def all_programmes():
    return db.session.scalars(sa.select(FundingProgramme).order_by(FundingProgramme.name)).all()


def grants_of_programme(programme_id):
    return db.session.scalars(
        sa.select(SubsidyGrant).where(SubsidyGrant.programme_id == programme_id)
        .order_by(SubsidyGrant.granted_at, SubsidyGrant.id)
    ).all()


def founded_cutoff(on_date: date, years):
    return _years_before(on_date, years)
