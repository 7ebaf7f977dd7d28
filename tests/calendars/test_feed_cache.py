"""Polls of an unchanged feed are answered from memory; any write invalidates at once."""
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from core.time import utcnow
from extensions import db
from tests.calendars.conftest import add_booking, berlin


@contextmanager
def counted_queries():
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)


def test_an_unchanged_feed_is_answered_without_the_database(client, make):
    unit = make.unit()
    add_booking(unit, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 11))
    url = f"/ical/units/{unit.id}.ics"
    first = client.get(url)
    etag = first.headers["ETag"]

    with counted_queries() as statements:
        not_modified = client.get(url, headers={"If-None-Match": etag})
        again = client.get(url)

    assert not_modified.status_code == 304
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == etag
    assert statements == []


def test_a_write_makes_the_next_poll_see_the_change(client, make):
    unit = make.unit()
    url = f"/ical/units/{unit.id}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    add_booking(unit, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 11))

    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"BEGIN:VEVENT" in changed.data


def test_a_lapsing_hold_ends_the_cached_answer(client, make):
    unit = make.unit()
    now = utcnow()
    add_booking(unit, now + timedelta(days=2), now + timedelta(days=2, hours=1),
                status="held", hold_expires_at=now + timedelta(seconds=1))
    url = f"/ical/units/{unit.id}.ics"
    client.get(url)
    from calendars import feed_cache

    [entry] = [e for key, e in feed_cache._entries.items() if key[1] == url]
    assert entry.valid_until <= now + timedelta(seconds=1)
