"""Feeds over HTTP: content type, ETag / Last-Modified, 304, and the cache of the
serialised feed that any booking change invalidates at once."""
from datetime import timedelta
from email.utils import format_datetime

from bookings.models import Booking
from bookings.services import cancel_booking
from calendars import feeds
from core.time import utcnow
from extensions import db
from tests.calendars.conftest import add_booking, read_feed
from tests.calendars.test_access import soon


def test_content_type_etag_and_last_modified(client, make):
    unit = make.unit()
    booking = add_booking(unit, soon(), soon(hour=10))
    response = client.get(f"/ical/units/{unit.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.last_modified == booking.updated_at.replace(microsecond=0)


def test_304_for_if_none_match_and_if_modified_since(client, make):
    unit = make.unit()
    add_booking(unit, soon(), soon(hour=10))
    url = f"/ical/units/{unit.id}.ics"
    first = client.get(url)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(first.last_modified - timedelta(seconds=5), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match decides when both are sent.
    assert client.get(url, headers={"If-None-Match": '"stale"',
                                    "If-Modified-Since": last_modified}).status_code == 200


def test_a_booking_change_invalidates_the_cached_feed_at_once(app, client, make, monkeypatch):
    unit = make.unit()
    booker = make.user()
    booking = add_booking(unit, soon(), soon(hour=10), user=booker)
    builds = []
    real_build = feeds.build_feed
    monkeypatch.setattr(feeds, "build_feed",
                        lambda feed, now: builds.append(feed.key) or real_build(feed, now))
    url = f"/ical/units/{unit.id}.ics"
    first = client.get(url)
    assert client.get(url).data == first.data
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert builds == [("unit", unit.id)]  # built once: cached, and 304 never builds

    cancel_booking(booker, db.session.get(Booking, booking.id), now=utcnow())
    after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    (event,) = read_feed(after.data).values()
    assert event[2] == "CANCELLED"
    assert len(builds) == 2

    add_booking(unit, soon(hour=12), soon(hour=13))
    assert len(read_feed(client.get(url).data)) == 2


def test_lapsing_hold_changes_the_feed_without_a_write(app, client, make):
    unit = make.unit()
    add_booking(unit, soon(), soon(hour=10), status="held",
                hold_expires_at=utcnow() + timedelta(seconds=1))
    url = f"/ical/units/{unit.id}.ics"
    first = client.get(url)
    (event,) = read_feed(first.data).values()
    assert event[2] == "TENTATIVE"
    import time

    time.sleep(1.1)
    later = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    (event,) = read_feed(later.data).values()
    assert event[2] == "CANCELLED"


def test_unknown_feeds_are_404(client):
    assert client.get("/ical/units/999.ics").status_code == 404
    assert client.get("/ical/sites/nowhere.ics").status_code == 404
    assert client.get("/ical/organisations/1-nope.ics").status_code == 404
