"""The booking lifecycle: create, the rules, approval and payment holds, expiry, cancel."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from bookings.availability import free_intervals
from bookings.models import Booking
from bookings.services import (
    cancel_booking, create_booking, expire_holds, get_booking, list_bookings,
)
from core.errors import BookingConflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from core.models import AuditEntry
from extensions import db
from tests.bookings.conftest import NOW, berlin


def book(actor, unit=None, start=None, end=None, now=NOW, **kwargs):
    kwargs.setdefault("terms_accepted", True)
    return create_booking(actor, unit=unit, starts_at=start or berlin(2027, 3, 16, 10),
                          ends_at=end or berlin(2027, 3, 16, 12), now=now, **kwargs)


def audit_actions(subject_id):
    return db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_type == "booking",
                                           AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id)
    ).all()


# --- creating ---------------------------------------------------------------------------

def test_a_free_slot_is_confirmed_with_terms_version_and_audit(app, member, desk):
    booking = book(member, desk)
    stored = db.session.get(Booking, booking.id)
    assert stored.status == "confirmed"
    assert stored.hold_expires_at is None
    assert stored.booked_by_id == member.id
    assert stored.terms_version == app.config["TERMS_VERSION"]
    assert (stored.starts_at, stored.ends_at) == (berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 12))
    assert audit_actions(booking.id) == ["booking.created"]


def test_the_same_slot_twice_is_a_conflict_naming_the_taken_time(member, make, desk, counts):
    book(member, desk)
    other = make.user()
    before = counts()
    with pytest.raises(BookingConflict) as caught:
        book(other, desk, berlin(2027, 3, 16, 11), berlin(2027, 3, 16, 13))
    assert caught.value.conflicts == [(berlin(2027, 3, 16, 11), berlin(2027, 3, 16, 12))]
    assert caught.value.details["conflicts"] == [
        {"start": "2027-03-16T11:00:00+01:00", "end": "2027-03-16T12:00:00+01:00"}
    ]
    assert counts() == before


def test_back_to_back_bookings_are_allowed(member, desk):
    first = book(member, desk, berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 12))
    second = book(member, desk, berlin(2027, 3, 16, 12), berlin(2027, 3, 16, 14))
    third = book(member, desk, berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 10))
    assert {first.status, second.status, third.status} == {"confirmed"}


def test_a_unit_that_needs_approval_is_requested_and_blocks(member, make, site):
    window = make.unit(site, "event_space", needs_approval=True, capacity=50)
    booking = book(member, window, attendees=30)
    assert booking.status == "requested"
    with pytest.raises(BookingConflict):
        book(make.user(), window)


def test_the_payment_hook_makes_a_hold_that_expires(app, payment_required, member, desk):
    booking = book(member, desk)
    assert booking.status == "held"
    assert booking.hold_expires_at == NOW + timedelta(minutes=app.config["BOOKING_HOLD_MINUTES"])


def test_the_price_hook_is_stored_on_the_booking(restore_hooks, member, desk):
    seen = []

    def quote(booking):
        seen.append((booking.unit.id, booking.starts_at, booking.status))
        return {"net_cents": 1234, "currency": "EUR"}

    restore_hooks.register("quote_booking", quote)
    booking = book(member, desk)
    assert db.session.get(Booking, booking.id).price == {"net_cents": 1234, "currency": "EUR"}
    assert seen == [(desk.id, berlin(2027, 3, 16, 10), "confirmed")]


def test_a_lapsed_hold_is_free_at_once_and_marked_expired_by_the_next_booking(
    payment_required, member, make, desk
):
    held = book(member, desk)
    after_hold = held.hold_expires_at + timedelta(seconds=1)
    day = (berlin(2027, 3, 16), berlin(2027, 3, 17))
    assert free_intervals([desk], *day, NOW)[desk.id] == [
        (berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 10)),
        (berlin(2027, 3, 16, 12), berlin(2027, 3, 16, 20)),
    ]
    # No sweeper has run: the hold is still "held" but no longer blocks.
    assert free_intervals([desk], *day, after_hold)[desk.id] == [
        (berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 20))
    ]
    other = book(make.user(), desk, now=after_hold)
    assert other.status == "held"
    assert db.session.get(Booking, held.id).status == "expired"


def test_expire_holds_marks_only_lapsed_holds(payment_required, member, desk):
    held = book(member, desk)
    assert expire_holds(held.hold_expires_at - timedelta(seconds=1)) == 0
    assert db.session.get(Booking, held.id).status == "held"
    assert expire_holds(held.hold_expires_at) == 1
    assert db.session.get(Booking, held.id).status == "expired"
    assert audit_actions(held.id) == ["booking.created", "booking.expired"]
    assert expire_holds(held.hold_expires_at) == 0


def test_cli_expire_holds_prints_the_count(runner, make):
    desk = make.unit()
    past = NOW - timedelta(days=400)  # before the real clock, whatever day the tests run
    make.booking(desk, status="held", hold_expires_at=past)
    make.booking(desk, status="held", hold_expires_at=past,
                 starts_at=berlin(2027, 3, 17, 10), ends_at=berlin(2027, 3, 17, 11))
    make.booking(desk, status="confirmed", starts_at=berlin(2027, 3, 18, 10),
                 ends_at=berlin(2027, 3, 18, 11))
    result = runner.invoke(args=["bookings", "expire-holds"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2 expired"
    statuses = db.session.scalars(sa.select(Booking.status).order_by(Booking.id)).all()
    assert statuses == ["expired", "expired", "confirmed"]


# --- the rules ----------------------------------------------------------------------------

RULES = [
    # (unit fields, start, end, kwargs, field, code)
    ({}, (2027, 3, 16, 12), (2027, 3, 16, 10), {}, "end", "end_before_start"),
    ({}, (2027, 3, 16, 12), (2027, 3, 16, 12), {}, "end", "end_before_start"),
    ({}, (2027, 3, 16, 10, 30), (2027, 3, 16, 12), {}, "start", "not_on_step"),
    ({}, (2027, 3, 16, 10), (2027, 3, 16, 11, 15), {}, "end", "not_on_step"),
    ({}, (2027, 3, 16, 6), (2027, 3, 16, 9), {}, "start", "outside_opening_hours"),
    ({}, (2027, 3, 16, 19), (2027, 3, 16, 21), {}, "start", "outside_opening_hours"),
    ({}, (2027, 3, 20, 9), (2027, 3, 20, 11), {}, "start", "outside_opening_hours"),  # Sat 10-16
    ({}, (2027, 3, 21, 10), (2027, 3, 21, 12), {}, "start", "outside_opening_hours"),  # Sunday
    ({"min_length": 2}, (2027, 3, 16, 10), (2027, 3, 16, 11), {}, "end", "too_short"),
    ({"max_length": 3}, (2027, 3, 16, 10), (2027, 3, 16, 14), {}, "end", "too_long"),
    ({"lead_time_minutes": 48 * 60}, (2027, 3, 2, 10), (2027, 3, 2, 11), {}, "start",
     "too_soon"),
    ({}, (2027, 3, 1, 8), (2027, 3, 1, 10), {}, "start", "too_soon"),  # already begun
    ({"horizon_days": 30}, (2027, 4, 6, 10), (2027, 4, 6, 11), {}, "end", "too_far_ahead"),
    ({}, (2028, 3, 7, 10), (2028, 3, 7, 11), {}, "end", "too_far_ahead"),  # default 366 days
    ({"capacity": 4}, (2027, 3, 16, 10), (2027, 3, 16, 11), {"attendees": 5}, "attendees",
     "over_capacity"),
    ({}, (2027, 3, 16, 10), (2027, 3, 16, 11), {"attendees": 0}, "attendees",
     "invalid_attendees"),
    ({"active": False}, (2027, 3, 16, 10), (2027, 3, 16, 11), {}, "unit_id", "inactive_unit"),
    ({}, (2027, 3, 16, 10), (2027, 3, 16, 11), {"terms_accepted": False}, "terms_accepted",
     "required"),
]


@pytest.mark.parametrize("unit_fields, start, end, kwargs, field, code", RULES)
def test_each_rule_is_a_validation_error_naming_its_field(
    make, member, site, counts, unit_fields, start, end, kwargs, field, code
):
    unit = make.unit(site, "desk", **unit_fields)
    before = counts()
    with pytest.raises(ValidationError) as caught:
        book(member, unit, berlin(*start), berlin(*end), **kwargs)
    assert caught.value.fields.get(field) == code
    assert counts() == before


def test_the_same_slots_pass_just_inside_the_rules(make, member, site):
    """The boundaries of the rules above are bookable: the tests above can fail."""
    book(member, make.unit(site, lead_time_minutes=48 * 60), berlin(2027, 3, 3, 9),
         berlin(2027, 3, 3, 10))
    book(member, make.unit(site, horizon_days=30), berlin(2027, 3, 30, 10),
         berlin(2027, 3, 30, 11))
    book(member, make.unit(site), berlin(2027, 3, 20, 10), berlin(2027, 3, 20, 16))
    book(member, make.unit(site, max_length=3), berlin(2027, 3, 16, 8), berlin(2027, 3, 16, 11))
    book(member, make.unit(site, capacity=4), attendees=4)


def test_lead_time_rounds_up_to_the_next_step(make, member, site):
    desk = make.unit(site)
    now = berlin(2027, 3, 16, 9, 15)
    with pytest.raises(ValidationError):
        book(member, desk, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 11), now=now)
    book(member, desk, berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 11), now=now)


@pytest.mark.parametrize("granularity, start, end", [
    ("day", (2027, 3, 16, 10), (2027, 3, 17)),
    ("week", (2027, 3, 16), (2027, 3, 23)),   # a Tuesday
    ("month", (2027, 3, 2), (2027, 4, 1)),
])
def test_longer_steps_need_local_midnights_mondays_and_firsts(make, member, site, granularity,
                                                              start, end):
    unit = make.unit(site, "popup_shelf", granularity=granularity)
    with pytest.raises(ValidationError) as caught:
        book(member, unit, berlin(*start), berlin(*end))
    assert caught.value.fields["start"] == "not_on_step"


def test_an_unconfirmed_account_cannot_book(make, desk, counts):
    unconfirmed = make.user(confirmed=False)
    before = counts()
    with pytest.raises(NotAllowed):
        book(unconfirmed, desk)
    assert counts() == before


def test_bookings_bill_only_organisations_the_booker_belongs_to(make, desk):
    startup = make.organisation()
    insider = make.user(organisation=startup)
    with pytest.raises(ValidationError) as caught:
        book(make.user(), desk, organisation=startup)
    assert caught.value.fields == {"organisation_id": "not_a_member"}
    booking = book(insider, desk, organisation=startup)
    assert booking.billed_organisation_id == startup.id


def test_closures_block_hourly_units_but_not_day_week_or_month_bookings(make, member, site):
    make.closure(site, date(2027, 3, 16), date(2027, 3, 17))
    desk = make.unit(site, "desk")
    with pytest.raises(ValidationError) as caught:
        book(member, desk)
    assert caught.value.fields == {"start": "site_closed"}
    book(member, desk, berlin(2027, 3, 18, 10), berlin(2027, 3, 18, 12))
    shelf = make.unit(site, "popup_shelf", granularity="day")
    assert book(member, shelf, berlin(2027, 3, 16), berlin(2027, 3, 18)).status == "confirmed"
    window = make.unit(site, "shop_window", granularity="week")
    assert book(member, window, berlin(2027, 3, 15), berlin(2027, 3, 22)).status == "confirmed"
    corner = make.unit(site, "cafe_corner", granularity="month")
    assert book(member, corner, berlin(2027, 4, 1), berlin(2027, 5, 1)).status == "confirmed"


# --- "any desk" -----------------------------------------------------------------------------

def test_any_desk_takes_the_free_desk_with_the_lowest_position(make, member, site):
    third = make.unit(site, "desk", position=3)
    first = make.unit(site, "desk", position=1)
    second = make.unit(site, "desk", position=2)
    make.unit(site, "meeting_room", position=0)
    make.unit(site, "desk", position=0, active=False)
    taken = [create_booking(make.user(), site=site, kind="desk", starts_at=berlin(2027, 3, 16, 10),
                            ends_at=berlin(2027, 3, 16, 12), now=NOW, terms_accepted=True).unit_id
             for _ in range(3)]
    assert taken == [first.id, second.id, third.id]
    with pytest.raises(BookingConflict):
        create_booking(member, site=site, kind="desk", starts_at=berlin(2027, 3, 16, 11),
                       ends_at=berlin(2027, 3, 16, 12), now=NOW, terms_accepted=True)


def test_a_request_names_a_unit_or_a_site_and_a_kind(member, site, desk):
    slot = dict(starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12), now=NOW,
                terms_accepted=True)
    with pytest.raises(ValidationError):
        create_booking(member, **slot)
    with pytest.raises(ValidationError):
        create_booking(member, unit=desk, site=site, kind="desk", **slot)
    with pytest.raises(ValidationError) as caught:
        create_booking(member, site=site, kind="spaceship", **slot)
    assert caught.value.fields == {"kind": "unknown_kind"}


# --- cancelling -----------------------------------------------------------------------------

def test_the_booker_cancels_before_the_start_and_the_slot_is_free_at_once(make, member, desk):
    booking = book(member, desk)
    cancelled = cancel_booking(member, booking, now=NOW)
    stored = db.session.get(Booking, cancelled.id)
    assert (stored.status, stored.cancelled_by_id, stored.cancelled_at) == (
        "cancelled", member.id, NOW)
    assert stored.sequence == 1
    assert stored.updated_at == NOW
    assert audit_actions(booking.id) == ["booking.created", "booking.cancelled"]
    assert book(make.user(), desk).status == "confirmed"
    with pytest.raises(InvalidTransition):
        cancel_booking(member, stored, now=NOW)


def test_others_cannot_cancel_and_the_booker_cannot_after_the_start(make, site, member, desk):
    booking = book(member, desk)
    started = berlin(2027, 3, 16, 10)
    with pytest.raises(NotAllowed):
        cancel_booking(make.user(), booking, now=NOW)
    with pytest.raises(NotAllowed):
        cancel_booking(make.user(role="manager", sites=[make.site()]), booking, now=NOW)
    with pytest.raises(NotAllowed):
        cancel_booking(member, booking, now=started)
    assert db.session.get(Booking, booking.id).status == "confirmed"


def test_a_manager_cancels_after_the_start_only_with_a_reason(make, site, member, desk):
    booking = book(member, desk)
    manager = make.user(role="manager", sites=[site])
    started = berlin(2027, 3, 16, 11)
    with pytest.raises(ValidationError) as caught:
        cancel_booking(manager, booking, now=started, reason="  ")
    assert caught.value.fields == {"reason": "required"}
    cancelled = cancel_booking(manager, booking, now=started, reason="Water damage")
    stored = db.session.get(Booking, cancelled.id)
    assert (stored.status, stored.status_reason, stored.cancelled_by_id) == (
        "cancelled", "Water damage", manager.id)


def test_an_organisation_admin_cancels_the_organisations_booking(make, desk):
    startup = make.organisation()
    booker = make.user(organisation=startup)
    admin = make.user(organisation=startup, membership_role="admin")
    booking = book(booker, desk, organisation=startup)
    assert cancel_booking(admin, booking, now=NOW).status == "cancelled"


@pytest.mark.parametrize("status", ["rejected", "cancelled", "expired", "no_show"])
def test_only_blocking_bookings_can_be_cancelled(make, site, desk, status):
    booking = make.booking(desk, status=status)
    with pytest.raises(InvalidTransition):
        cancel_booking(make.user(role="admin"), booking, now=NOW, reason="x")


def test_held_and_requested_bookings_can_be_cancelled(make, site, member):
    for status in ("held", "requested"):
        booking = make.booking(make.unit(site), user=member, status=status,
                               hold_expires_at=NOW + timedelta(hours=1))
        assert cancel_booking(member, booking, now=NOW).status == "cancelled"


# --- reading --------------------------------------------------------------------------------

def test_get_booking_knows_unknown_ids(member, desk):
    booking = book(member, desk)
    assert get_booking(booking.id).id == booking.id
    with pytest.raises(NotFound) as caught:
        get_booking(booking.id + 1000)
    assert caught.value.message_key == "unknown_booking"


def test_list_bookings_shows_own_bookings_and_those_of_managed_sites(make, site, member):
    other_site = make.site()
    mine = make.booking(make.unit(site), user=member)
    someone = make.user()
    theirs_here = make.booking(make.unit(site), user=someone)
    theirs_there = make.booking(make.unit(other_site), user=someone, status="cancelled")
    manager = make.user(role="manager", sites=[site])
    admin = make.user(role="admin")

    def ids(actor, **filters):
        return [b.id for b in list_bookings(actor, **filters)]

    assert ids(member) == [mine.id]
    assert ids(manager) == [mine.id, theirs_here.id]
    assert ids(admin) == [mine.id, theirs_here.id, theirs_there.id]
    assert ids(admin, site=other_site) == [theirs_there.id]
    assert ids(admin, status="cancelled") == [theirs_there.id]
    assert ids(admin, after_id=mine.id, limit=1) == [theirs_here.id]
    assert ids(admin, starts_from=berlin(2027, 3, 17)) == []
    assert ids(admin, starts_before=berlin(2027, 3, 17)) == [mine.id, theirs_here.id,
                                                             theirs_there.id]
