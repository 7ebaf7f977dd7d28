"""Moving a booking to another unit: only where the same booking could be made."""
from datetime import timedelta

import pytest

from bookings.models import Booking
from bookings.moves import move_booking
from core.errors import BookingConflict, InvalidTransition, NotAllowed, ValidationError
from tests.tenancies.conftest import NOW, audit, berlin, fresh, mails


@pytest.fixture
def booking(make, lab):
    return make.booking(lab.desk_a, user=lab.member, starts_at=berlin(2027, 3, 16, 10),
                        ends_at=berlin(2027, 3, 16, 12), price={"net_cents": 1200})


def test_a_move_keeps_the_booking_and_tells_the_booker(lab, booking):
    moved = move_booking(lab.witten_manager, booking, unit=lab.desk_c, now=NOW)
    moved = fresh(Booking, booking.id)
    assert (moved.unit_id, moved.status, moved.sequence) == (lab.desk_c.id, "confirmed", 1)
    assert (moved.starts_at, moved.ends_at) == (berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 12))
    assert moved.price == {"net_cents": 1200}
    [entry] = audit("booking.moved")
    assert (entry.before["unit_id"], entry.after["unit_id"]) == (lab.desk_a.id, lab.desk_c.id)
    [mail] = mails("booking_moved")
    assert mail.recipient == "member@example.org"
    assert "Desk A" in mail.body_text and "Desk C" in mail.body_text


def test_a_move_at_short_notice_ignores_the_lead_time_only(lab, make, booking):
    make_unit = make.unit(lab.witten, "desk", name="Desk D", lead_time_minutes=24 * 60)
    shortly_before = booking.starts_at - timedelta(minutes=30)
    move_booking(lab.witten_manager, booking, unit=make_unit, now=shortly_before)
    assert fresh(Booking, booking.id).unit_id == make_unit.id


@pytest.mark.parametrize("target, field, reason", [
    ("meeting_room", "unit_id", "other_kind"),
    ("herne_desk", "unit_id", "other_site"),
    ("desk_a", "unit_id", "same_unit"),
])
def test_a_move_to_the_wrong_unit_is_refused(lab, booking, counts, target, field, reason):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        move_booking(lab.witten_manager, booking, unit=getattr(lab, target), now=NOW)
    assert refused.value.fields == {field: reason}
    assert counts() == before
    assert fresh(Booking, booking.id).sequence == 0


def test_a_move_to_an_inactive_or_too_small_unit_is_refused(lab, make, booking, counts):
    closed = make.unit(lab.witten, "desk", name="Broken desk", active=False)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        move_booking(lab.witten_manager, booking, unit=closed, now=NOW)
    assert refused.value.fields == {"unit_id": "inactive_unit"}
    short = make.unit(lab.witten, "desk", name="Short desk", max_length=1)
    with pytest.raises(ValidationError) as too_long:
        move_booking(lab.witten_manager, booking, unit=short, now=NOW)
    assert too_long.value.fields == {"end": "too_long"}
    assert counts()["bookings"] == before["bookings"] + 0


def test_a_move_to_a_busy_unit_is_refused(lab, make, booking, counts):
    make.booking(lab.desk_b, user=lab.member, starts_at=berlin(2027, 3, 16, 11),
                 ends_at=berlin(2027, 3, 16, 14))
    before = counts()
    with pytest.raises(BookingConflict) as busy:
        move_booking(lab.witten_manager, booking, unit=lab.desk_b, now=NOW)
    assert busy.value.conflicts == [(berlin(2027, 3, 16, 11), berlin(2027, 3, 16, 12))]
    assert counts() == before
    assert fresh(Booking, booking.id).unit_id == lab.desk_a.id


def test_only_the_labs_managers_move_live_bookings(lab, make, booking, counts):
    before = counts()
    for outsider in (lab.herne_manager, lab.member):
        with pytest.raises(NotAllowed):
            move_booking(outsider, booking, unit=lab.desk_b, now=NOW)
    cancelled = make.booking(lab.desk_a, user=lab.member, status="cancelled",
                             starts_at=berlin(2027, 3, 17, 10), ends_at=berlin(2027, 3, 17, 11))
    with pytest.raises(InvalidTransition):
        move_booking(lab.witten_manager, cancelled, unit=lab.desk_b, now=NOW)
    assert counts()["audit_entries"] == before["audit_entries"]
