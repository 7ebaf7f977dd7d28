"""The booker checks in from the booking page, only during the booked time."""
from datetime import timedelta

from bookings.models import Booking
from core.models import AuditEntry
from core.time import utcnow
from extensions import db


def booking_around_now(make, user, *, starts_in):
    unit = make.unit(make.site(), "desk", name="Tisch 7")
    starts_at = utcnow() + starts_in
    return make.booking(unit, user=user, starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=2))


def reloaded(booking_id):
    db.session.rollback()
    return db.session.get(Booking, booking_id)


def test_the_booker_checks_in_during_the_booking(make, auth, client):
    booker = make.user("bea@example.org", locale="en")
    booking = booking_around_now(make, booker, starts_in=-timedelta(minutes=30))
    auth.login("bea@example.org")

    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'action="/bookings/{booking.id}/check-in"' in page and "Check in" in page

    response = client.post(f"/bookings/{booking.id}/check-in", follow_redirects=True)

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "You are checked in." in text
    assert f'action="/bookings/{booking.id}/check-in"' not in text
    assert reloaded(booking.id).checked_in_at is not None
    [entry] = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "booking.checked_in")).all()
    assert entry.actor_id == booker.id and entry.subject_id == booking.id


def test_no_button_before_the_start_and_a_forced_post_is_refused(make, auth, client):
    booker = make.user("bea@example.org", locale="en")
    booking = booking_around_now(make, booker, starts_in=timedelta(hours=2))
    auth.login("bea@example.org")

    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'action="/bookings/{booking.id}/check-in"' not in page

    response = client.post(f"/bookings/{booking.id}/check-in", follow_redirects=True)
    assert "You can check in only during the booked time." in response.get_data(as_text=True)
    assert reloaded(booking.id).checked_in_at is None


def test_a_stranger_may_not_check_in(make, auth, client, counts):
    booker = make.user("bea@example.org", locale="en")
    make.user("sam@example.org", locale="en")
    booking = booking_around_now(make, booker, starts_in=-timedelta(minutes=30))
    auth.login("sam@example.org")
    before = counts()

    assert client.post(f"/bookings/{booking.id}/check-in").status_code == 403
    assert counts() == before
    assert reloaded(booking.id).checked_in_at is None
