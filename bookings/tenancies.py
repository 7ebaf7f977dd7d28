"""Partner tenancies: apply, see the clashes, approve (creating the occurrences), reject, end.

An approved tenancy blocks its units through real bookings (``Booking.tenancy_id``,
status ``confirmed``, booked by the requester, billed to the organisation), so the
database's no-overlap constraint protects it like any booking. Occurrences keep their
local wall-clock time across daylight-saving changes; whole days run from local midnight
to local midnight.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for

import bookings.tenancy_messages  # noqa: F401 - registers the message keys raised here
from accounts import policy
from accounts.models import Membership, MembershipRole, SiteRole, User
from bookings.models import BLOCKING_STATUSES, Booking
from bookings.reasons import TENANCY_ENDED
from bookings.recurrence import WEEKDAYS
from bookings.tenancy_models import Tenancy, TenancyStatus
from bookings.tenancy_occurrences import (
    PURPOSE_MAX, clash_alternatives, clashing_bookings, insert_occurrences, slots_of,
    tenancy_clashes, tenancy_slots,
)
from bookings.writing import cancel_one, expire_lapsed_holds
from core.audit import record
from core.db import run_in_transaction
from core.errors import BookingConflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from core.outbox import enqueue_mail
from core.time import local_date, local_midnight
from extensions import db
from spaces.models import Unit

MAX_TERM_DAYS = 3 * 366
REASON_MAX = 500


# --- applying -----------------------------------------------------------------------------

def _request_problems(*, organisation, units, weekdays, start_time, end_time, whole_days,
                      starts_on, ends_on, purpose, proposed_monthly_fee_cents, now):
    fields = {}
    if organisation is None:
        fields["organisation_id"] = "required"
    if not units:
        fields["unit_ids"] = "required"
    elif any(not unit.active for unit in units):
        fields["unit_ids"] = "inactive_unit"
    elif len({unit.site_id for unit in units}) > 1:
        fields["unit_ids"] = "units_of_several_sites"
    if not weekdays:
        fields["weekdays"] = "required"
    elif any(code not in WEEKDAYS for code in weekdays):
        fields["weekdays"] = "unknown"
    if not whole_days:
        if start_time is None:
            fields["start_time"] = "required"
        if end_time is None:
            fields["end_time"] = "required"
        if start_time is not None and end_time is not None and start_time >= end_time:
            fields["end_time"] = "end_before_start"
    elif start_time is not None or end_time is not None:
        fields["whole_days"] = "times_with_whole_days"
    if starts_on is None:
        fields["starts_on"] = "required"
    elif starts_on < local_date(now):
        fields["starts_on"] = "in_past"
    if ends_on is None:
        fields["ends_on"] = "required"
    elif starts_on is not None and ends_on < starts_on:
        fields["ends_on"] = "end_before_start"
    elif starts_on is not None and (ends_on - starts_on).days > MAX_TERM_DAYS:
        fields["ends_on"] = "term_too_long"
    if not (purpose or "").strip():
        fields["purpose"] = "required"
    elif len(purpose) > PURPOSE_MAX:
        fields["purpose"] = "too_long"
    if proposed_monthly_fee_cents is None:
        fields["proposed_monthly_fee_cents"] = "required"
    elif proposed_monthly_fee_cents < 0:
        fields["proposed_monthly_fee_cents"] = "out_of_range"
    if not fields and not tenancy_slots(weekdays=weekdays, whole_days=whole_days,
                                        start_time=start_time, end_time=end_time,
                                        starts_on=starts_on, ends_on=ends_on):
        fields["weekdays"] = "no_occurrence"
    return fields


def request_tenancy(actor, *, organisation, units, weekdays, start_time=None, end_time=None,
                    whole_days=False, starts_on, ends_on, purpose,
                    proposed_monthly_fee_cents, now):
    """Apply for a tenancy of ``units`` (all at one lab) for ``organisation``.

    Guarantees: a tenancy in status ``requested`` (nothing is blocked yet), an audit entry
    ``tenancy.requested`` and a mail to the lab's managers, in one transaction.
    Raises NotAllowed (the actor is not an admin of the organisation), ValidationError
    (``details.fields`` names each bad field: ``unit_ids``, ``weekdays``, ``start_time``,
    ``end_time``, ``starts_on``, ``ends_on``, ``purpose``, ``proposed_monthly_fee_cents``).
    """
    if organisation is not None and not policy.can_request_tenancy(actor, organisation.id):
        raise NotAllowed()
    units = list(units or [])
    weekdays = [code.upper() for code in (weekdays or [])]
    fields = _request_problems(
        organisation=organisation, units=units, weekdays=weekdays, start_time=start_time,
        end_time=end_time, whole_days=bool(whole_days), starts_on=starts_on, ends_on=ends_on,
        purpose=purpose, proposed_monthly_fee_cents=proposed_monthly_fee_cents, now=now)
    if fields:
        raise ValidationError(fields, message_key="tenancy_invalid",
                              names=", ".join(sorted(fields)))
    weekdays = sorted(set(weekdays), key=WEEKDAYS.index)
    organisation_id, unit_ids = organisation.id, [unit.id for unit in units]

    def work():
        tenancy = Tenancy(
            organisation_id=organisation_id, site_id=units[0].site_id,
            weekdays=",".join(weekdays), whole_days=bool(whole_days),
            start_time=None if whole_days else start_time,
            end_time=None if whole_days else end_time,
            starts_on=starts_on, ends_on=ends_on, purpose=purpose.strip(),
            proposed_monthly_fee_cents=proposed_monthly_fee_cents,
            status=TenancyStatus.REQUESTED.value, requested_by_id=actor.id, created_at=now,
        )
        tenancy.units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids))).all()
        db.session.add(tenancy)
        db.session.flush()
        record("tenancy.requested", tenancy, actor=actor, site_id=tenancy.site_id,
               after=tenancy_snapshot(tenancy), now=now)
        for manager in _site_managers(tenancy.site_id):
            enqueue_mail(manager.email, "tenancy_requested", "tenancy_requested",
                         manager.locale, now=now, tenancy=tenancy,
                         link=_link("tenancies.site_requests", slug=tenancy.site.slug))
        return tenancy

    return run_in_transaction(work)


# --- deciding -----------------------------------------------------------------------------

def approve_tenancy(actor, tenancy, *, now, monthly_fee_cents, ends_on=None):
    """Approve a requested tenancy with the final ``monthly_fee_cents`` (and optionally
    another last day ``ends_on``) and book all its future occurrences.

    Guarantees: all occurrences or none are written (status ``confirmed``, booked by the
    requester, billed to the organisation, ``tenancy_id`` set); an existing blocking
    booking on a unit at an occurrence's time refuses the approval (the database's
    no-overlap constraint decides a race); an audit entry ``tenancy.approved`` and mails to
    the organisation's admins, in one transaction.
    Raises NotAllowed (not a manager of the lab), InvalidTransition (``already_decided``),
    ValidationError (``monthly_fee_cents``, ``ends_on``), BookingConflict (the clashing
    bookings' times, ``tenancy_clashes``).
    """
    if monthly_fee_cents is None or monthly_fee_cents < 0:
        raise ValidationError({"monthly_fee_cents": "required" if monthly_fee_cents is None
                               else "out_of_range"}, message_key="tenancy_fee_required")
    tenancy_id = tenancy.id

    def work():
        locked = _lock_for_decision(actor, tenancy_id)
        last_day = ends_on or locked.ends_on
        if last_day < locked.starts_on or (last_day - locked.starts_on).days > MAX_TERM_DAYS:
            raise ValidationError({"ends_on": "out_of_range"},
                                  message_key="tenancy_ends_on_invalid", days=MAX_TERM_DAYS)
        before = tenancy_snapshot(locked)
        slots = slots_of(locked, ends_on=last_day, after=now)
        if slots:
            expire_lapsed_holds(locked.unit_ids, slots[0][0], slots[-1][1], now)
        clashes = clashing_bookings(locked, slots, now)
        if clashes:
            raise _conflict(clashes)
        locked.ends_on = last_day
        locked.monthly_fee_cents = monthly_fee_cents
        locked.status = TenancyStatus.APPROVED.value
        locked.decided_by_id = actor.id
        locked.decided_at = now
        created = insert_occurrences(locked, slots, now)
        if created is None:
            # A booking made after we looked took one of the times.
            raise _conflict(clashing_bookings(locked, slots, now))
        record("tenancy.approved", locked, actor=actor, site_id=locked.site_id, before=before,
               after=dict(tenancy_snapshot(locked), occurrences=created), now=now)
        _mail_organisation_admins(locked, "tenancy_approved", now)
        return locked

    return run_in_transaction(work)


def reject_tenancy(actor, tenancy, *, now, reason):
    """Reject a requested tenancy with a ``reason`` (required; the organisation reads it).

    Guarantees: status ``rejected``, nothing is booked, an audit entry ``tenancy.rejected``
    and mails to the organisation's admins, in one transaction.
    Raises NotAllowed, InvalidTransition (``already_decided``), ValidationError (``reason``).
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationError({"reason": "required" if not reason else "too_long"},
                              message_key="tenancy_reason_required")
    tenancy_id = tenancy.id

    def work():
        locked = _lock_for_decision(actor, tenancy_id)
        before = tenancy_snapshot(locked)
        locked.status = TenancyStatus.REJECTED.value
        locked.reason = reason
        locked.decided_by_id = actor.id
        locked.decided_at = now
        record("tenancy.rejected", locked, actor=actor, site_id=locked.site_id, before=before,
               after=dict(tenancy_snapshot(locked), reason=reason), now=now)
        _mail_organisation_admins(locked, "tenancy_rejected", now)
        return locked

    return run_in_transaction(work)


def end_tenancy(actor, tenancy, *, ends_on, now, reason=None):
    """End an approved tenancy early: ``ends_on`` becomes its last day and every
    occurrence on a later day is cancelled, so that time is free at once.

    ``ends_on`` must not lie before today or the tenancy's first day, nor after its current
    last day. Occurrences up to ``ends_on`` stay. Guarantees: status ``ended``, audit
    entries ``tenancy.ended`` and ``booking.cancelled``, mails to the organisation's admins.
    Raises NotAllowed, InvalidTransition (``tenancy_not_approved``), ValidationError
    (``ends_on``).
    """
    tenancy_id = tenancy.id
    reason = (reason or "").strip()[:REASON_MAX] or None

    def work():
        locked = _lock(tenancy_id)
        if not policy.can_decide_tenancy(actor, locked):
            raise NotAllowed()
        if locked.status != TenancyStatus.APPROVED:
            raise InvalidTransition("tenancy_not_approved", status=locked.status)
        if ends_on is None or ends_on < max(local_date(now), locked.starts_on) \
                or ends_on >= locked.ends_on:
            raise ValidationError({"ends_on": "required" if ends_on is None else "out_of_range"},
                                  message_key="tenancy_end_invalid")
        before = tenancy_snapshot(locked)
        cutoff = local_midnight(ends_on + timedelta(days=1))
        freed = db.session.scalars(
            sa.select(Booking)
            .where(Booking.tenancy_id == locked.id, Booking.starts_at >= cutoff,
                   Booking.status.in_([status.value for status in BLOCKING_STATUSES]))
            .order_by(Booking.starts_at, Booking.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        for booking in freed:
            cancel_one(actor, booking, now, reason or TENANCY_ENDED)
        locked.ends_on = ends_on
        locked.status = TenancyStatus.ENDED.value
        if reason:
            locked.reason = reason
        record("tenancy.ended", locked, actor=actor, site_id=locked.site_id, before=before,
               after=dict(tenancy_snapshot(locked), cancelled=[b.id for b in freed]), now=now)
        _mail_organisation_admins(locked, "tenancy_ended", now)
        return locked

    return run_in_transaction(work)


# --- looking up ---------------------------------------------------------------------------

def get_tenancy(tenancy_id):
    tenancy = db.session.get(Tenancy, tenancy_id) if isinstance(tenancy_id, int) else None
    if tenancy is None:
        raise NotFound("unknown_tenancy", tenancy_id=tenancy_id)
    return tenancy


def list_tenancies(actor, *, site=None, status=None):
    """Tenancies of the organisations the actor administers and of the labs they manage
    (chamber admins: all), newest first within each status."""
    query = sa.select(Tenancy)
    if not policy.is_chamber_admin(actor):
        admin_of = [m.organisation_id for m in actor.memberships
                    if m.role == MembershipRole.ADMIN]
        query = query.where(sa.or_(Tenancy.organisation_id.in_(admin_of),
                                   Tenancy.site_id.in_(actor.managed_site_ids)))
    if site is not None:
        query = query.where(Tenancy.site_id == getattr(site, "id", site))
    if status is not None:
        query = query.where(Tenancy.status == status)
    return db.session.scalars(query.order_by(Tenancy.created_at.desc(), Tenancy.id.desc())).all()


def tenancy_snapshot(tenancy):
    """The audit view of a tenancy."""
    return {
        "status": tenancy.status,
        "organisation_id": tenancy.organisation_id,
        "unit_ids": tenancy.unit_ids,
        "weekdays": tenancy.weekdays,
        "whole_days": tenancy.whole_days,
        "start_time": tenancy.start_time.isoformat() if tenancy.start_time else None,
        "end_time": tenancy.end_time.isoformat() if tenancy.end_time else None,
        "starts_on": tenancy.starts_on.isoformat(),
        "ends_on": tenancy.ends_on.isoformat(),
        "proposed_monthly_fee_cents": tenancy.proposed_monthly_fee_cents,
        "monthly_fee_cents": tenancy.monthly_fee_cents,
    }


# --- helpers ------------------------------------------------------------------------------

def _lock(tenancy_id):
    tenancy = db.session.scalar(
        sa.select(Tenancy).where(Tenancy.id == tenancy_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if tenancy is None:
        raise NotFound("unknown_tenancy", tenancy_id=tenancy_id)
    return tenancy


def _lock_for_decision(actor, tenancy_id):
    """The locked tenancy, if the actor may decide it and nobody has yet."""
    tenancy = _lock(tenancy_id)
    if not policy.can_decide_tenancy(actor, tenancy):
        raise NotAllowed()
    if tenancy.status != TenancyStatus.REQUESTED:
        raise InvalidTransition("already_decided", status=tenancy.status)
    return tenancy


def _conflict(clashes):
    return BookingConflict([(booking.starts_at, booking.ends_at) for booking in clashes],
                           message_key="tenancy_clashes", count=len(clashes))


def _site_managers(site_id):
    return db.session.scalars(
        sa.select(User).join(SiteRole, SiteRole.user_id == User.id)
        .where(SiteRole.site_id == site_id, SiteRole.role == "manager")
        .order_by(User.id)
    ).all()


def _organisation_admins(organisation_id):
    return db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id,
               Membership.role == MembershipRole.ADMIN.value)
        .order_by(User.id)
    ).all()


def _mail_organisation_admins(tenancy, kind, now):
    for admin in _organisation_admins(tenancy.organisation_id):
        enqueue_mail(admin.email, kind, kind, admin.locale, now=now, tenancy=tenancy,
                     user=admin)


def _link(endpoint, **values):
    """An absolute link for a mail, or None outside a request without PUBLIC_BASE_URL."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    try:
        if base:
            return base + url_for(endpoint, **values)
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        return None


__all__ = [
    "request_tenancy", "approve_tenancy", "reject_tenancy", "end_tenancy", "tenancy_clashes",
    "clash_alternatives", "tenancy_slots", "slots_of", "get_tenancy", "list_tenancies",
    "tenancy_snapshot", "MAX_TERM_DAYS",
]
