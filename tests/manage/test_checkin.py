"""Check-in by managers and bookers, and releasing desks nobody came for."""
from datetime import timedelta

import pytest

from accounts.auth import issue_api_token
from bookings.availability import free_intervals
from bookings.checkin import check_in, mark_no_shows
from core.errors import InvalidTransition, NotAllowed
from core.time import step_start, utcnow
from tests.manage.conftest import audit_entries, berlin, fresh

START = berlin(2027, 3, 16, 10)


@pytest.fixture
def desk(make, witten):
    return make.unit(witten, "desk", name="Desk 1", max_length=12)


@pytest.fixture
def member(make):
    return make.user("mia@example.org", name="Mia Member")


@pytest.fixture
def desk_booking(make, desk, member):
    return make.booking(desk, user=member, starts_at=START, ends_at=START + timedelta(hours=4))


def test_a_manager_checks_a_booking_in_from_the_start_of_its_day(
        witten_manager, desk_booking):
    with pytest.raises(InvalidTransition) as caught:
        check_in(witten_manager, desk_booking, now=berlin(2027, 3, 15, 23, 59))
    assert caught.value.message_key == "check_in_outside_window"
    check_in(witten_manager, desk_booking, now=berlin(2027, 3, 16, 8))
    stored = fresh(desk_booking.id)
    assert stored.checked_in_at == berlin(2027, 3, 16, 8)
    [entry] = audit_entries("booking.checked_in")
    assert entry.actor_id == witten_manager.id
    assert entry.before["checked_in_at"] is None and entry.after["checked_in_at"]
    with pytest.raises(InvalidTransition) as caught:
        check_in(witten_manager, stored, now=berlin(2027, 3, 16, 9))
    assert caught.value.message_key == "already_checked_in"


def test_the_booker_checks_in_only_during_the_booked_time(member, desk_booking):
    for outside in (START - timedelta(minutes=1), START + timedelta(hours=4)):
        with pytest.raises(InvalidTransition):
            check_in(member, desk_booking, now=outside)
    check_in(member, desk_booking, now=START + timedelta(minutes=5))
    assert fresh(desk_booking.id).checked_in_at == START + timedelta(minutes=5)


def test_nobody_else_checks_in_and_only_confirmed_bookings(
        make, herne_manager, desk, member, desk_booking):
    stranger = make.user()
    for outsider in (stranger, herne_manager):
        with pytest.raises(NotAllowed):
            check_in(outsider, desk_booking, now=START)
    held = make.booking(desk, user=member, status="held", starts_at=START + timedelta(hours=5),
                        ends_at=START + timedelta(hours=6),
                        hold_expires_at=START + timedelta(days=1))
    with pytest.raises(InvalidTransition) as caught:
        check_in(member, held, now=START + timedelta(hours=5))
    assert caught.value.message_key == "not_checkable"
    assert fresh(desk_booking.id).checked_in_at is None


def test_the_day_page_checks_in_with_one_button(make, witten_manager, desk, member, browser):
    now = utcnow()
    start = step_start(now, "hour")
    booking = make.booking(desk, user=member, starts_at=start,
                           ends_at=start + timedelta(hours=2))
    browser.login(witten_manager)
    page = browser.get("/manage/witten/day").get_data(as_text=True)
    assert "Mia Member" in page
    assert f"/manage/witten/bookings/{booking.id}/check-in" in page
    response = browser.post(f"/manage/witten/bookings/{booking.id}/check-in")
    assert response.status_code == 302
    assert fresh(booking.id).checked_in_at is not None


def test_a_herne_manager_cannot_check_in_at_witten(herne_manager, desk_booking, browser):
    browser.login(herne_manager)
    assert browser.get("/manage/witten/day").status_code == 403
    response = browser.post(f"/manage/witten/bookings/{desk_booking.id}/check-in")
    assert response.status_code == 403
    assert fresh(desk_booking.id).checked_in_at is None


def test_the_booker_checks_in_over_the_api(client, make, desk, member):
    now = utcnow()
    booking = make.booking(desk, user=member, starts_at=step_start(now, "hour"),
                           ends_at=step_start(now, "hour") + timedelta(hours=2))
    headers = {"Authorization": f"Bearer {issue_api_token(member)}"}
    response = client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert fresh(booking.id).checked_in_at is not None
    again = client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "invalid_transition"


def test_desks_without_check_in_become_no_shows_and_free_their_time(
        make, witten, desk, member, desk_booking):
    day_desk = make.unit(witten, "desk", granularity="day", name="Day desk")
    room = make.unit(witten, "meeting_room", name="Room")
    checked = make.booking(make.unit(witten, "desk", name="Desk 2"), user=member,
                           starts_at=START, ends_at=START + timedelta(hours=4),
                           checked_in_at=START + timedelta(minutes=10))
    whole_day = make.booking(day_desk, user=member, starts_at=berlin(2027, 3, 16),
                             ends_at=berlin(2027, 3, 17))
    meeting = make.booking(room, user=member, starts_at=START, ends_at=START + timedelta(hours=1))
    later = make.booking(desk, user=member, starts_at=START + timedelta(hours=5),
                         ends_at=START + timedelta(hours=6))

    assert mark_no_shows(START + timedelta(minutes=29)) == 0
    assert fresh(desk_booking.id).status == "confirmed"
    now = START + timedelta(minutes=30)
    assert mark_no_shows(now) == 1
    assert fresh(desk_booking.id).status == "no_show"
    for untouched in (checked, whole_day, meeting, later):
        assert fresh(untouched.id).status == "confirmed"
    [entry] = audit_entries("booking.no_show")
    assert entry.actor_id is None and entry.after["status"] == "no_show"
    # The rest of the morning is free for someone else.
    free = free_intervals([desk], now,
                          START + timedelta(hours=4), now)[desk.id]
    assert free == [(START + timedelta(hours=1), START + timedelta(hours=4))]
    assert mark_no_shows(now) == 0  # nothing twice


def test_the_cli_marks_no_shows_and_prints_the_count(runner, make, desk, member):
    start = step_start(utcnow(), "hour") - timedelta(hours=1)
    missed = make.booking(desk, user=member, starts_at=start, ends_at=start + timedelta(hours=3))
    result = runner.invoke(args=["bookings", "mark-no-shows"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("1 ")
    assert fresh(missed.id).status == "no_show"
