"""Booking mails: written with the change, in the booker's language, with the event."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from bookings import notifications, services
from core import outbox
from core.errors import BookingConflict
from core.models import OutboxMessage
from extensions import db
from tests.notifications.conftest import NOW, berlin, parts


@pytest.fixture
def site(make):
    return make.site("witten", name="Stadtlabor Witten")


@pytest.fixture
def desk(make, site):
    return make.unit(site, "desk", name="Desk 1", min_length=1, max_length=12)


def book(user, unit, start, hours=2, **values):
    return services.create_booking(user, unit=unit, starts_at=start,
                                   ends_at=start + timedelta(hours=hours), now=NOW,
                                   terms_accepted=True, **values)


def deliver():
    assert outbox.send_pending(now=NOW + timedelta(days=2)) >= 0


def received(smtp, to):
    return [message for message in smtp.messages if message["To"] == to]


def calendar_of(message):
    (ics,) = [content for name, kind, content in parts(message)[2] if kind == "text/calendar"]
    return Calendar.from_ical(ics)


def test_confirmed_booking_mail_in_english_with_request_event(app, make, desk, smtp):
    ada = make.user("ada@example.org", locale="en", name="Ada")
    booking = book(ada, desk, berlin(2027, 3, 16, 10))
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind ==
                                                           "booking_confirmed"))
    deliver()
    (message,) = received(smtp, "ada@example.org")
    assert message["Message-ID"] == row.message_id
    assert "Booking confirmed" in message["Subject"] and "Desk 1" in message["Subject"]
    text, html, _ = parts(message)
    assert "Tuesday, March 16, 2027" in text and "10:00" in text
    assert 'lang="en"' in html and "Stadtlabor Witten" in html
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"booking-{booking.id}@")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "ada@example.org" in str(event["ATTENDEE"])


def test_mail_follows_the_recipients_language(app, make, desk, smtp):
    grete = make.user("grete@example.org", locale="de")
    book(grete, desk, berlin(2027, 3, 16, 10))
    deliver()
    (message,) = received(smtp, "grete@example.org")
    text, html, _ = parts(message)
    assert "Dienstag, 16. März 2027" in text
    assert 'lang="de"' in html


def test_request_mails_booker_and_the_sites_managers_only(app, make, site, smtp):
    hall = make.unit(site, "event_space", name="Hall", needs_approval=True, min_length=1,
                     max_length=12, capacity=50)
    manager = make.user("mgr.witten@example.org", role="manager", sites=[site], locale="en")
    other_site = make.site("herne")
    make.user("mgr.herne@example.org", role="manager", sites=[other_site])
    booker = make.user("bob@example.org", locale="en", name="Bob")
    booking = book(booker, hall, berlin(2027, 3, 16, 10))
    assert booking.status == "requested"
    deliver()
    (to_booker,) = received(smtp, "bob@example.org")
    assert "request received" in to_booker["Subject"].lower()
    calendar = calendar_of(to_booker)
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"
    (to_manager,) = received(smtp, manager.email)
    assert "New booking request" in to_manager["Subject"]
    assert "Bob" in parts(to_manager)[0]
    assert received(smtp, "mgr.herne@example.org") == []


def test_cancellation_sends_cancel_with_same_uid_and_higher_sequence(app, make, desk, smtp):
    ada = make.user("ada@example.org", locale="en")
    booking = book(ada, desk, berlin(2027, 3, 16, 10))
    services.cancel_booking(ada, booking, now=NOW + timedelta(hours=1))
    deliver()
    confirmed, cancelled = received(smtp, "ada@example.org")
    assert "cancelled" in cancelled["Subject"].lower()
    first = calendar_of(confirmed).walk("VEVENT")[0]
    second_calendar = calendar_of(cancelled)
    second = second_calendar.walk("VEVENT")[0]
    assert second_calendar["METHOD"] == "CANCEL"
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["STATUS"]) == "CANCELLED"


def test_a_manager_cancellation_says_so_and_gives_the_reason(app, make, site, desk, smtp):
    ada = make.user("ada@example.org", locale="en")
    manager = make.user(role="manager", sites=[site])
    booking = book(ada, desk, berlin(2027, 3, 16, 10))
    services.cancel_booking(manager, booking, now=NOW, reason="Water damage")
    deliver()
    cancelled = received(smtp, "ada@example.org")[-1]
    text = parts(cancelled)[0]
    assert "cancelled by the lab team" in text and "Water damage" in text


def test_a_failed_booking_request_writes_no_mail(app, make, desk, counts):
    ada, late = make.user(), make.user()
    book(ada, desk, berlin(2027, 3, 16, 10))
    before = counts()
    assert before["outbox_messages"] == 1
    with pytest.raises(BookingConflict):
        book(late, desk, berlin(2027, 3, 16, 11))
    assert counts() == before


def test_a_failed_booking_over_http_writes_no_mail(app, make, desk, client, auth, counts):
    book(make.user(), desk, berlin(2027, 3, 16, 10))
    make.user("late@example.org")
    auth.login("late@example.org")
    before = counts()
    response = client.post("/api/v1/bookings", json={
        "unit_id": desk.id, "start": "2027-03-16T11:00:00", "end": "2027-03-16T12:00:00",
        "terms_accepted": True})
    assert response.status_code == 409
    assert counts() == before


def test_series_sends_one_mail_with_every_date(app, make, desk, smtp):
    ada = make.user("ada@example.org", locale="en")
    result = services.create_series(
        ada, unit=desk, starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12),
        recurrence={"freq": "weekly", "byday": ["TU"], "interval": 1, "count": 3},
        now=NOW, terms_accepted=True)
    deliver()
    (message,) = received(smtp, "ada@example.org")
    assert "3" in message["Subject"]
    events = calendar_of(message).walk("VEVENT")
    assert sorted(str(event["UID"]).split("@")[0] for event in events) == sorted(
        f"booking-{booking.id}" for booking in result.bookings)


def test_reminder_the_day_before_once_per_booking(app, make, desk, runner, smtp):
    ada = make.user("ada@example.org", locale="en")
    tomorrow = book(ada, desk, berlin(2027, 3, 16, 10))
    book(ada, desk, berlin(2027, 3, 17, 10))  # the day after tomorrow: not yet
    gone = book(ada, desk, berlin(2027, 3, 16, 14))
    services.cancel_booking(ada, gone, now=NOW)
    evening = berlin(2027, 3, 15, 18)
    assert notifications.send_reminders(evening) == 1
    assert notifications.send_reminders(evening + timedelta(hours=1)) == 0
    outbox.send_pending(now=evening + timedelta(hours=2))
    reminders = [m for m in received(smtp, "ada@example.org") if "Reminder" in m["Subject"]]
    assert len(reminders) == 1
    (event,) = calendar_of(reminders[0]).walk("VEVENT")
    assert str(event["UID"]).startswith(f"booking-{tomorrow.id}@")


def test_send_reminders_cli_prints_the_count(app, make, desk, runner):
    ada = make.user()
    # The CLI uses the real clock: a booking tomorrow afternoon, local time.
    from core.time import local_date, local_midnight, utcnow
    start = local_midnight(local_date(utcnow()) + timedelta(days=1)) + timedelta(hours=14)
    make.booking(desk, user=ada, starts_at=start, ends_at=start + timedelta(hours=1))
    result = runner.invoke(args=["bookings", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 reminders queued"
    again = runner.invoke(args=["bookings", "send-reminders"])
    assert again.output.strip().splitlines()[-1] == "0 reminders queued"
