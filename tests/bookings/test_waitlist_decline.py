"""Turning down a waitlist offer is a cancellation like any other: audited with the reason,
seen by calendar clients (SEQUENCE), and the slot goes to the next in line at once."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bookings import services, waitlist
from bookings.models import Booking
from bookings.reasons import WAITLIST_OFFER_DECLINED
from bookings.waitlist_models import WaitlistEntry
from core.models import AuditEntry, OutboxMessage
from extensions import db
from tests.bookings.conftest import NOW, berlin

START, END = berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 12)


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident, populate_existing=True)


def audit(action, booking_id):
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_type == "booking",
        AuditEntry.subject_id == booking_id).order_by(AuditEntry.id)).all()


def mails_to(email):
    return db.session.scalars(sa.select(OutboxMessage.kind).where(
        OutboxMessage.recipient == email).order_by(OutboxMessage.id)).all()


@pytest.fixture
def line(make, desk):
    """A taken slot, two members waiting for it in order, and the booking set free: the
    first in line holds the offer."""
    holder = make.user("holder@example.org")
    taken = services.create_booking(holder, unit=desk, starts_at=START, ends_at=END, now=NOW,
                                    terms_accepted=True)
    first, second = make.user("first@example.org"), make.user("second@example.org")
    entries = [waitlist.join_waitlist(user, unit=desk, starts_at=START, ends_at=END, now=NOW,
                                      terms_accepted=True) for user in (first, second)]
    services.cancel_booking(holder, taken, now=NOW)
    first_entry = fresh(WaitlistEntry, entries[0].id)
    assert first_entry.status == "offered"
    return first, first_entry.id, first_entry.booking_id, second, entries[1].id


def test_declining_cancels_the_offer_through_the_cancellation_path(app, line):
    first, first_entry_id, offer_id, second, second_entry_id = line
    declined_at = NOW + timedelta(minutes=5)
    waitlist.leave_waitlist(first, fresh(WaitlistEntry, first_entry_id), now=declined_at)

    offer = fresh(Booking, offer_id)
    assert (offer.status, offer.cancelled_by_id, offer.status_reason) == (
        "cancelled", first.id, WAITLIST_OFFER_DECLINED)
    assert offer.cancelled_at == declined_at and offer.updated_at == declined_at
    assert offer.sequence == 1  # calendar clients see the change
    [entry] = audit("booking.cancelled", offer_id)
    assert entry.actor_id == first.id
    assert (entry.before["status"], entry.after["status"]) == ("held", "cancelled")
    assert entry.after["reason"] == WAITLIST_OFFER_DECLINED
    assert fresh(WaitlistEntry, first_entry_id).status == "lapsed"
    # The member who declined gets no "your booking was cancelled" mail.
    assert mails_to("first@example.org") == ["waitlist_offer"]


def test_after_a_decline_the_next_in_line_is_offered_the_slot(app, line):
    first, first_entry_id, offer_id, second, second_entry_id = line
    waitlist.leave_waitlist(first, fresh(WaitlistEntry, first_entry_id),
                            now=NOW + timedelta(minutes=5))

    entry = fresh(WaitlistEntry, second_entry_id)
    assert entry.status == "offered"
    held = db.session.get(Booking, entry.booking_id)
    assert (held.status, held.booked_by_id, held.starts_at, held.ends_at) == (
        "held", second.id, START, END)
    assert held.id != offer_id
    assert mails_to("second@example.org") == ["waitlist_offer"]
    assert len(audit("waitlist.offered", held.id)) == 1


def test_declining_an_offer_whose_time_ran_out_lapses_it(app, line):
    first, first_entry_id, offer_id, second, second_entry_id = line
    lapsed_at = fresh(WaitlistEntry, first_entry_id).offer_expires_at + timedelta(minutes=1)
    waitlist.leave_waitlist(first, fresh(WaitlistEntry, first_entry_id), now=lapsed_at)

    offer = fresh(Booking, offer_id)
    assert (offer.status, offer.sequence, offer.status_reason) == ("expired", 1, None)
    assert len(audit("booking.expired", offer_id)) == 1
    assert audit("booking.cancelled", offer_id) == []
    assert fresh(WaitlistEntry, second_entry_id).status == "offered"


def test_leaving_without_an_offer_touches_no_booking(app, make, desk, line):
    first, first_entry_id, offer_id, second, second_entry_id = line
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_type == "booking"))
    waitlist.leave_waitlist(second, fresh(WaitlistEntry, second_entry_id),
                            now=NOW + timedelta(minutes=5))
    assert fresh(WaitlistEntry, second_entry_id).status == "left"
    assert fresh(Booking, offer_id).status == "held"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_type == "booking")) == before
