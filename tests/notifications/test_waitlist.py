"""The waitlist: the first in line is offered a freed slot, with a time-limited hold."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bookings import services, waitlist
from bookings.models import Booking
from bookings.waitlist_models import WaitlistEntry
from core.errors import BookingConflict, InvalidTransition, ValidationError
from core.models import OutboxMessage
from extensions import db
from tests.notifications.conftest import NOW, berlin

START = berlin(2027, 3, 16, 10)
END = berlin(2027, 3, 16, 12)


@pytest.fixture
def desk(make):
    return make.unit(make.site(), "desk", name="Desk 1", min_length=1, max_length=12)


@pytest.fixture
def taken(make, desk):
    holder = make.user("holder@example.org")
    booking = services.create_booking(holder, unit=desk, starts_at=START, ends_at=END,
                                      now=NOW, terms_accepted=True)
    return holder, booking


def join(user, desk, start=START, end=END, now=NOW):
    return waitlist.join_waitlist(user, unit=desk, starts_at=start, ends_at=end, now=now,
                                  terms_accepted=True)


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident, populate_existing=True)


def offers_to(email):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == "waitlist_offer")).all()


def test_joining_needs_a_taken_slot_and_only_once(app, make, desk, taken):
    ada = make.user()
    with pytest.raises(ValidationError) as free:
        join(ada, desk, berlin(2027, 3, 16, 14), berlin(2027, 3, 16, 15))
    assert free.value.message_key == "waitlist_slot_free"
    join(ada, desk)
    with pytest.raises(ValidationError) as twice:
        join(ada, desk)
    assert twice.value.message_key == "waitlist_already_waiting"


def test_a_cancellation_offers_the_slot_to_the_first_in_line(app, make, desk, taken):
    holder, booking = taken
    first, second = make.user("first@example.org"), make.user("second@example.org")
    first_entry = join(first, desk)
    join(second, desk)
    cancel_at = NOW + timedelta(hours=1)
    services.cancel_booking(holder, booking, now=cancel_at)

    entry = fresh(WaitlistEntry, first_entry.id)
    assert entry.status == "offered"
    held = db.session.get(Booking, entry.booking_id)
    assert (held.status, held.booked_by_id, held.unit_id) == ("held", first.id, desk.id)
    assert held.hold_expires_at == cancel_at + timedelta(minutes=60)
    assert len(offers_to("first@example.org")) == 1
    assert offers_to("second@example.org") == []
    # The slot is held for the first in line: nobody else can take it meanwhile.
    with pytest.raises(BookingConflict):
        services.create_booking(make.user(), unit=desk, starts_at=START, ends_at=END,
                                now=cancel_at, terms_accepted=True)


def test_taking_the_offer_confirms_the_booking_and_mails_it(app, make, desk, taken, smtp):
    holder, booking = taken
    ada = make.user("ada@example.org", locale="en")
    entry = join(ada, desk)
    services.cancel_booking(holder, booking, now=NOW)
    booked = waitlist.accept_offer(ada, fresh(WaitlistEntry, entry.id),
                                   now=NOW + timedelta(minutes=30))
    assert booked.status == "confirmed" and booked.hold_expires_at is None
    assert fresh(WaitlistEntry, entry.id).status == "booked"
    kinds = db.session.scalars(sa.select(OutboxMessage.kind).where(
        OutboxMessage.recipient == "ada@example.org").order_by(OutboxMessage.id)).all()
    assert kinds == ["waitlist_offer", "booking_confirmed"]


def test_taking_an_offer_that_needs_payment_keeps_it_held(app, make, desk, taken,
                                                            restore_payment):
    holder, booking = taken
    ada = make.user()
    entry = join(ada, desk)
    services.cancel_booking(holder, booking, now=NOW)
    booked = waitlist.accept_offer(ada, fresh(WaitlistEntry, entry.id), now=NOW)
    assert booked.status == "held"
    assert booked.hold_expires_at == NOW + timedelta(
        minutes=app.config["BOOKING_HOLD_MINUTES"])


@pytest.fixture
def restore_payment():
    from core import hooks
    saved = dict(hooks._HOOKS)
    hooks.register("payment_required", lambda booking: True)
    yield
    hooks._HOOKS.clear()
    hooks._HOOKS.update(saved)


def test_an_offer_not_taken_in_time_goes_to_the_next_in_line(app, make, desk, taken,
                                                               runner):
    holder, booking = taken
    first, second = make.user("first@example.org"), make.user("second@example.org")
    first_entry, second_entry = join(first, desk), join(second, desk)
    services.cancel_booking(holder, booking, now=NOW)
    later = NOW + timedelta(minutes=61)
    with pytest.raises(InvalidTransition):
        waitlist.accept_offer(first, fresh(WaitlistEntry, first_entry.id), now=later)

    assert waitlist.process_waitlist(later) == (1, 1)
    lapsed = fresh(WaitlistEntry, first_entry.id)
    assert lapsed.status == "lapsed"
    assert db.session.get(Booking, lapsed.booking_id).status == "expired"
    offered = fresh(WaitlistEntry, second_entry.id)
    assert offered.status == "offered"
    assert db.session.get(Booking, offered.booking_id).booked_by_id == second.id
    assert len(offers_to("second@example.org")) == 1
    assert waitlist.process_waitlist(later) == (0, 0)


def test_declining_passes_the_offer_on_at_once(app, make, desk, taken):
    holder, booking = taken
    first, second = make.user(), make.user()
    first_entry, second_entry = join(first, desk), join(second, desk)
    services.cancel_booking(holder, booking, now=NOW)
    waitlist.leave_waitlist(first, fresh(WaitlistEntry, first_entry.id),
                            now=NOW + timedelta(minutes=5))
    assert fresh(WaitlistEntry, first_entry.id).status == "lapsed"
    assert fresh(WaitlistEntry, second_entry.id).status == "offered"


def test_only_a_wholly_free_slot_is_offered(app, make, desk, taken):
    holder, booking = taken
    other = services.create_booking(make.user(), unit=desk, starts_at=END,
                                    ends_at=END + timedelta(hours=1), now=NOW,
                                    terms_accepted=True)
    ada, bob = make.user(), make.user()
    wide = join(ada, desk, START, END + timedelta(hours=1))   # needs both bookings gone
    narrow = join(bob, desk, START, START + timedelta(hours=1))
    services.cancel_booking(holder, booking, now=NOW)
    assert fresh(WaitlistEntry, wide.id).status == "waiting"
    assert fresh(WaitlistEntry, narrow.id).status == "offered"
    assert other.id


def test_the_waitlist_over_http(app, make, desk, taken, client, auth):
    holder, booking = taken
    make.user("ada@example.org")
    auth.login("ada@example.org")
    response = client.post("/waitlist", data={
        "unit_id": desk.id, "start": START.isoformat(), "end": END.isoformat(),
        "accept_terms": "y"})
    assert response.status_code == 302
    assert "Desk 1" in client.get("/waitlist?lang=en").get_data(as_text=True)
    services.cancel_booking(holder, booking, now=NOW)
    entry = db.session.scalar(sa.select(WaitlistEntry))
    page = client.get(f"/waitlist/{entry.id}").get_data(as_text=True)
    assert f"/waitlist/{entry.id}/accept" in page
    # The real clock is before NOW in these tests, so the offer is still open.
    response = client.post(f"/waitlist/{entry.id}/accept")
    assert response.status_code == 302
    assert fresh(WaitlistEntry, entry.id).status == "booked"
    assert db.session.get(Booking, entry.booking_id).status == "confirmed"


def test_someone_else_cannot_take_my_offer(app, make, desk, taken, client, auth):
    holder, booking = taken
    ada = make.user()
    entry = join(ada, desk)
    services.cancel_booking(holder, booking, now=NOW)
    make.user("mallory@example.org")
    auth.login("mallory@example.org")
    assert client.post(f"/waitlist/{entry.id}/accept").status_code == 403
    assert fresh(WaitlistEntry, entry.id).status == "offered"
