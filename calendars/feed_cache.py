"""Answers of the feed endpoints kept in memory until the data changes.

Calendar clients poll every few minutes. An entry remembers a feed's ETag, Last-Modified
and body together with the data version (core.changes) it was computed at; it is used only
while that version is still current, so any committed write invalidates every entry at
once, and until the feed's content would change by itself (the next local midnight moves
the window; the next hold expiry turns a tentative event into a cancelled one). With no
trustworthy data version (several workers without Redis) nothing is cached.
"""
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

import sqlalchemy as sa

from bookings.models import Booking, BookingStatus
from core.changes import data_version
from core.time import local_date, local_midnight
from extensions import db

MAX_ENTRIES = 4096


@dataclass
class Entry:
    etag: str
    last_modified: datetime
    version: int
    valid_until: datetime
    filename: str
    headers: dict
    body: bytes | None = None


_entries: OrderedDict = OrderedDict()
_lock = Lock()


def current_version():
    return data_version()


def lookup(key, now):
    version = data_version()
    if version is None:
        return None
    with _lock:
        entry = _entries.get(key)
        if entry is None or entry.version != version or now >= entry.valid_until:
            return None
        _entries.move_to_end(key)
        return entry


def valid_until(now):
    """When feeds change without a write: the next local midnight or hold expiry."""
    midnight = local_midnight(local_date(now) + timedelta(days=1))
    next_lapse = db.session.scalar(
        sa.select(sa.func.min(Booking.hold_expires_at)).where(
            Booking.status == BookingStatus.HELD.value, Booking.hold_expires_at > now
        )
    )
    if isinstance(next_lapse, str):  # SQLite hands back aggregates of timestamps as text
        next_lapse = datetime.fromisoformat(next_lapse).replace(tzinfo=midnight.tzinfo)
    return min(filter(None, [midnight, next_lapse]))


def remember(key, *, version, state, now, filename, headers, body=None):
    if version is None:
        return
    entry = Entry(etag=state.etag, last_modified=state.last_modified, version=version,
                  valid_until=valid_until(now), filename=filename, headers=headers, body=body)
    with _lock:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def clear():
    with _lock:
        _entries.clear()
