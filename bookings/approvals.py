"""Deciding requests: approve or reject bookings of units that need approval, and the queue.

A request is decided exactly once: the row is locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite serialises write transactions) and its status re-checked inside the
transaction, so of two managers deciding at the same moment one wins and the other gets
``already_decided``. Requests are never approved automatically; those waiting longer than
REQUEST_DECISION_WORKING_DAYS working days are only flagged as overdue.
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts import policy
from bookings import signals
from bookings.availability import closed_days, opening_interval
from bookings.manager_mails import mail_booker
from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from bookings.notifications import CANCEL, REQUEST
from bookings.writing import change_status, lock_booking
from core import hooks
from core.db import run_in_transaction
from core.errors import DomainError, InvalidTransition, NotAllowed, ValidationError
from core.messages import register
from core.time import local_date, local_midnight
from extensions import db
from spaces.models import Unit

register({
    "rejection_reason_required": _l("Please give a reason for the rejection; the requester "
                                    "will read it."),
    "unknown_decision": _l("Please choose to approve or to reject."),
    "nothing_selected": _l("Please select at least one request."),
})

APPROVE, REJECT = "approve", "reject"
REASON_MAX = 500


def approval_hold_end(booking, now):
    """Until when an approved request that needs payment keeps its slot: for
    APPROVAL_PAYMENT_HOURS, but not past the booking's start; for BOOKING_HOLD_MINUTES (as
    any booking awaiting payment) when the start is nearer than that."""
    config = current_app.config
    window_end = min(now + timedelta(hours=config["APPROVAL_PAYMENT_HOURS"]), booking.starts_at)
    return max(window_end, now + timedelta(minutes=config["BOOKING_HOLD_MINUTES"]))


def _decision(booking, decision, now, reason):
    """(status, audit action, extra audit content, other column changes) of a decision."""
    if decision == REJECT:
        return (BookingStatus.REJECTED, "booking.rejected", {"reason": reason},
                {"status_reason": reason})
    if hooks.ask("payment_required", booking, default=False):
        hold_end = approval_hold_end(booking, now)
        return (BookingStatus.HELD, "booking.approved",
                {"hold_expires_at": hold_end.isoformat()}, {"hold_expires_at": hold_end})
    return BookingStatus.CONFIRMED, "booking.approved", {}, {}


def _decide_locked(actor, booking_id, decision, now, reason):
    """Decide one request inside the caller's transaction (rules as approve/reject)."""
    booking = lock_booking(booking_id)
    if not policy.can_decide_booking(actor, booking):
        raise NotAllowed()
    # Re-checked under the lock: a decision committed meanwhile is seen here.
    if booking.status != BookingStatus.REQUESTED:
        raise InvalidTransition("already_decided", status=booking.status)
    status, action, audit_extra, changes = _decision(booking, decision, now, reason)
    change_status(booking, status, now=now, action=action, actor=actor,
                  audit_extra=audit_extra, decided_by_id=actor.id, decided_at=now, **changes)
    if decision == REJECT:
        mail_booker(booking, "booking_rejected", "booking_rejected", now=now, method=CANCEL,
                    reason=reason)
    elif booking.status == BookingStatus.CONFIRMED:
        # Like a payment or a taken waitlist offer: the "confirmed" mail (with the calendar
        # event) and whatever else listens follow from the signal.
        signals.booking_confirmed.send(booking, actor=actor, now=now)
    else:
        # The booking's page, not a Checkout link: the booker may pay any time within the
        # hold, and the page's "Pay now" obtains a valid Checkout Session when pressed.
        mail_booker(booking, "booking_approved", "booking_approved", now=now, method=REQUEST)
    return booking


def _clean_reason(reason, decision):
    reason = (reason or "").strip()[:REASON_MAX] or None
    if decision == REJECT and reason is None:
        raise ValidationError({"reason": "required"}, message_key="rejection_reason_required")
    return reason


def approve_booking(actor, booking, *, now):
    """Approve a requested booking: it becomes ``held`` (see ``approval_hold_end``: for
    APPROVAL_PAYMENT_HOURS, at most until its start) when the ``payment_required`` hook says
    payment is due, and the booker is mailed a link to the booking's page to pay; else
    ``confirmed``, and ``signals.booking_confirmed`` is sent (the confirmation mail follows
    from it). Writes ``booking.approved`` to the audit log.

    Raises NotAllowed (not a manager of the booking's site nor a chamber admin),
    InvalidTransition ``already_decided`` (not ``requested`` any more), NotFound.
    """
    booking_id = booking.id
    return run_in_transaction(lambda: _decide_locked(actor, booking_id, APPROVE, now, None))


def reject_booking(actor, booking, *, now, reason):
    """Reject a requested booking with a reason (shown to the booker); its slot is free at
    once. Writes ``booking.rejected`` to the audit log and mails the booker.

    Raises ValidationError (field ``reason``: missing), NotAllowed, InvalidTransition
    ``already_decided``, NotFound.
    """
    reason = _clean_reason(reason, REJECT)
    booking_id = booking.id
    return run_in_transaction(lambda: _decide_locked(actor, booking_id, REJECT, now, reason))


@dataclass
class Outcome:
    """What happened to one request of a batch: the decided booking, or the error."""

    booking_id: int
    booking: Booking = None
    error: DomainError = None

    @property
    def ok(self):
        return self.error is None


def decide_bookings(actor, booking_ids, decision, *, now, reason=None):
    """Approve or reject several requests, each in its own transaction (one that fails,
    say because another manager decided it meanwhile, does not hold back the others).

    Returns one Outcome per id, in the order given. Raises ValidationError (unknown
    decision, no ids, rejection without reason) before deciding any.
    """
    if decision not in (APPROVE, REJECT):
        raise ValidationError({"decision": "unknown"}, message_key="unknown_decision")
    ids = list(dict.fromkeys(booking_ids))
    if not ids:
        raise ValidationError({"ids": "required"}, message_key="nothing_selected")
    reason = _clean_reason(reason, decision)
    outcomes = []
    for booking_id in ids:
        try:
            booking = run_in_transaction(
                lambda: _decide_locked(actor, booking_id, decision, now, reason))
        except DomainError as error:
            outcomes.append(Outcome(booking_id, error=error))
        else:
            outcomes.append(Outcome(booking_id, booking=booking))
    return outcomes


# --- overdue requests ---------------------------------------------------------------------

def decision_due_on(requested_on, working_days):
    """The last local date on which a request made on ``requested_on`` is still on time:
    the ``working_days``-th working day (Monday to Friday) after that day."""
    day, left = requested_on, working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def decision_due_date(booking):
    """The last local date on which deciding ``booking`` is on time."""
    return decision_due_on(local_date(booking.created_at),
                           current_app.config["REQUEST_DECISION_WORKING_DAYS"])


def decision_deadline(booking):
    """The instant from which an undecided request counts as overdue."""
    return local_midnight(decision_due_date(booking) + timedelta(days=1))


def is_overdue(booking, now):
    return booking.status == BookingStatus.REQUESTED and now >= decision_deadline(booking)


# --- the queue ------------------------------------------------------------------------------

@dataclass
class QueueItem:
    booking: Booking
    overdue: bool
    due_on: object  # the last day on which a decision is on time
    clashes: list = field(default_factory=list)


def _site_requests(site_id):
    return db.session.scalars(
        sa.select(Booking).join(Unit, Booking.unit_id == Unit.id)
        .where(Unit.site_id == site_id, Booking.status == BookingStatus.REQUESTED)
        .order_by(Booking.created_at, Booking.id)
    ).all()


def _clashes(booking, closed, others):
    """Why this request may be a problem: a closed day (hourly units), time outside the
    opening hours, or another blocking booking of the unit in the same time."""
    problems = []
    unit = booking.unit
    if unit.granularity == "hour":
        day = local_date(booking.starts_at)
        last = local_date(booking.ends_at - timedelta(microseconds=1))
        while day <= last:
            if day in closed:
                problems.append(("closed", day))
            else:
                hours = opening_interval(unit.site, day, closed)
                start = max(booking.starts_at, local_midnight(day))
                end = min(booking.ends_at, local_midnight(day + timedelta(days=1)))
                if hours is None or start < hours[0] or end > hours[1]:
                    problems.append(("outside_hours", day))
            day += timedelta(days=1)
    for other in others:
        if (other.id != booking.id and other.unit_id == booking.unit_id
                and other.starts_at < booking.ends_at and booking.starts_at < other.ends_at):
            problems.append(("overlap", other))
    return problems


def approval_queue(site, now):
    """The site's requests, oldest first, each with its decision deadline, whether it is
    overdue and any clash (see ``_clashes``). Reads only."""
    requests = _site_requests(site.id)
    if not requests:
        return []
    first = min(local_date(each.starts_at) for each in requests)
    last = max(local_date(each.ends_at) for each in requests)
    closed = closed_days({site.id}, first, last).get(site.id, set())
    earliest = min(each.starts_at for each in requests)
    latest = max(each.ends_at for each in requests)
    others = db.session.scalars(
        sa.select(Booking).where(
            Booking.unit_id.in_({each.unit_id for each in requests}),
            Booking.status.in_([status.value for status in BLOCKING_STATUSES]),
            Booking.starts_at < latest, Booking.ends_at > earliest,
        )
    ).all()
    others = [each for each in others if each.blocks_at(now)]
    return [
        QueueItem(booking=each, overdue=is_overdue(each, now),
                  due_on=decision_due_date(each), clashes=_clashes(each, closed, others))
        for each in requests
    ]


def queue_counts(site, now):
    """(requests waiting, of which overdue) for the site's dashboard."""
    requests = _site_requests(site.id)
    return len(requests), sum(1 for each in requests if is_overdue(each, now))
