"""Public events and pop-ups: who may publish, what the pages and feeds show."""
from datetime import time, timedelta

import icalendar

from bookings.listing_models import PublicListing
from bookings.models import Booking
from core.time import UTC, at_local, local_date, local_midnight, utcnow
from extensions import db


def local_day(days_ahead, hour=0):
    """``hour`` o'clock Berlin time ``days_ahead`` days from today."""
    day = local_date(utcnow()) + timedelta(days=days_ahead)
    return at_local(day, time(hour)) if hour else local_midnight(day)


def event_booking(make, *, user=None, site=None, days=5, kind="event_space"):
    site = site or make.site()
    unit = make.unit(site, kind=kind)
    starts_at = local_day(days, hour=17)
    return make.booking(unit, user=user or make.user(), starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=3))


def publish(client, booking_id, **form):
    values = {"title": "Gründerabend", "description": "Talks and pretzels.",
              "link": "https://example.org/abend"} | form
    return client.post(f"/bookings/{booking_id}/listing", data=values)


def read_events(body):
    calendar = icalendar.Calendar.from_ical(body)
    return calendar, list(calendar.walk("VEVENT"))


def test_the_booker_publishes_an_event_shown_on_the_pages_and_in_the_feed(client, auth, make):
    site = make.site("witten", name="Stadtlabor Witten")
    booker = make.user("booker@example.org")
    booking = event_booking(make, user=booker, site=site)
    auth.login("booker@example.org")

    detail = client.get(f"/bookings/{booking.id}")
    assert b'name="title"' in detail.data  # the form is on the booking page

    response = publish(client, booking.id)
    assert response.status_code == 302
    listing = db.session.scalar(db.select(PublicListing).where(
        PublicListing.booking_id == booking.id))
    assert listing.published and listing.title == "Gründerabend"

    for path in ("/events", "/events/witten"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Gründerabend" in page.get_data(as_text=True)
        assert "Talks and pretzels." in page.get_data(as_text=True)
    assert "Gründerabend" not in client.get(f"/events/{make.site().slug}").get_data(as_text=True)
    assert client.get("/events/no-such-lab").status_code == 404

    for path in ("/events.ics", "/events/witten.ics"):
        feed = client.get(path)
        assert feed.status_code == 200
        assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
        calendar, events = read_events(feed.data)
        assert calendar["METHOD"] == "PUBLISH"
        assert len(events) == 1
        event = events[0]
        assert str(event["UID"]) == f"listing-{listing.id}@localhost"
        assert str(event["SUMMARY"]) == "Gründerabend"
        assert str(event["DESCRIPTION"]) == "Talks and pretzels."
        assert str(event["URL"]) == "https://example.org/abend"
        assert "Teststraße 1" in str(event["LOCATION"])
        assert event.decoded("DTSTART") == booking.starts_at.astimezone(UTC)
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DTEND") == booking.ends_at.astimezone(UTC)


def test_the_page_shows_berlin_time(client, make):
    site = make.site()
    unit = make.unit(site, kind="event_space")
    # Shown in Berlin wall-clock time, not UTC.
    booking = make.booking(unit, starts_at=local_day(3, 17), ends_at=local_day(3, 19))
    db.session.add(PublicListing(booking_id=booking.id, title="Abend", description="",
                                 published=True))
    db.session.commit()
    page = client.get("/events").get_data(as_text=True)
    assert "17:00" in page and "19:00" in page


def test_a_stranger_may_not_publish(client, auth, make, counts):
    booking = event_booking(make)
    make.user("stranger@example.org")
    auth.login("stranger@example.org")
    before = counts()
    assert publish(client, booking.id).status_code == 403
    assert counts() == before


def test_a_desk_booking_cannot_be_published(client, auth, make, counts):
    booker = make.user("desk@example.org")
    booking = event_booking(make, user=booker, kind="desk")
    auth.login("desk@example.org")
    before = counts()
    assert publish(client, booking.id).status_code == 422
    assert counts() == before
    assert b'name="title"' not in client.get(f"/bookings/{booking.id}").data


def test_a_javascript_link_and_an_overlong_title_are_refused(client, auth, make, counts):
    booker = make.user("js@example.org")
    booking = event_booking(make, user=booker)
    auth.login("js@example.org")
    before = counts()
    assert publish(client, booking.id, link="javascript:alert(1)").status_code == 422
    assert publish(client, booking.id, link="JavaScript://example.org/%0aalert(1)"
                   ).status_code == 422
    assert publish(client, booking.id, title="x" * 121).status_code == 422
    assert publish(client, booking.id, title="  ").status_code == 422
    assert counts() == before
    assert publish(client, booking.id, link="").status_code == 302


def test_html_in_the_title_is_escaped(client, auth, make):
    booker = make.user("html@example.org")
    booking = event_booking(make, user=booker)
    auth.login("html@example.org")
    assert publish(client, booking.id, title="<script>alert(1)</script>").status_code == 302
    page = client.get("/events").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_cancelled_booking_disappears_from_pages_and_feeds(client, auth, make):
    booker = make.user("cancel@example.org")
    booking = event_booking(make, user=booker)
    auth.login("cancel@example.org")
    assert publish(client, booking.id).status_code == 302
    assert "Gründerabend" in client.get("/events").get_data(as_text=True)

    assert client.post(f"/bookings/{booking.id}/cancel", data={}).status_code == 302
    assert db.session.get(Booking, booking.id, populate_existing=True).status == "cancelled"
    assert "Gründerabend" not in client.get("/events").get_data(as_text=True)
    assert read_events(client.get("/events.ics").data)[1] == []


def test_unpublishing_hides_the_listing(client, auth, make):
    booker = make.user("hide@example.org")
    booking = event_booking(make, user=booker)
    auth.login("hide@example.org")
    publish(client, booking.id)
    assert client.post(f"/bookings/{booking.id}/listing/unpublish").status_code == 302
    assert "Gründerabend" not in client.get("/events").get_data(as_text=True)


def test_popups_now_and_next(client, auth, make):
    site = make.site("hattingen")
    retailer = make.user("shop@example.org")
    shelf = make.unit(site, kind="popup_shelf", granularity="day")
    window = make.unit(site, kind="shop_window", granularity="day")
    running = make.booking(shelf, user=retailer, starts_at=local_day(-1), ends_at=local_day(2))
    starting = make.booking(window, user=retailer, starts_at=local_day(10), ends_at=local_day(12))
    too_far = make.booking(shelf, user=retailer, starts_at=local_day(40), ends_at=local_day(41))
    auth.login("shop@example.org")
    assert publish(client, running.id, title="Keramik aus Hattingen").status_code == 302
    assert publish(client, starting.id, title="Honig vom Ruhrufer").status_code == 302
    assert publish(client, too_far.id, title="Weihnachtsmarkt").status_code == 302

    for path in ("/popups", "/popups/hattingen"):
        page = client.get(path).get_data(as_text=True)
        now_part, next_part = page.split('class="cards popups-next"')
        assert "Keramik aus Hattingen" in now_part and "Honig vom Ruhrufer" not in now_part
        assert "Honig vom Ruhrufer" in next_part
        assert "Weihnachtsmarkt" not in page

    _, events = read_events(client.get("/popups.ics").data)
    assert sorted(str(event["SUMMARY"]) for event in events) == [
        "Honig vom Ruhrufer", "Keramik aus Hattingen"]
    # No pop-up is an event.
    assert "Keramik" not in client.get("/events").get_data(as_text=True)


def test_the_home_page_links_the_public_pages(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/events"' in page and 'href="/popups"' in page
