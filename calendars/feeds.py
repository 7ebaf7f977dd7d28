"""The iCal feeds: which bookings each feed shows, its version, and its serialised body.

Feeds: public per unit and per site (busy times only, no personal data; the site feed also
shows closures), private per user and per organisation, and per site for its managers
(with booker names). Each covers a window of 90 days back and 18 months ahead; bookings that
stopped blocking (cancelled, rejected, expired, no-show) stay in it for 30 days as
STATUS:CANCELLED so that clients remove them.

Caching: ``feed_state`` runs one aggregate query over the feed's bookings (count, latest
``updated_at``, sum of sequences, latest lapsed hold) and hashes it with everything else the
body depends on (names, address, closures, language, base URL, the day) into the ETag. The
serialised body is cached under that ETag, so any change to a booking changes the ETag and
bypasses the old entry at once; nothing expires by time. Every app server checks the
version in the shared database, so several workers never serve a stale feed.
"""
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from accounts.models import Organisation, User
from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from calendars import render
from core.urls import base_url
from core.time import UTC, add_months, local_date, local_midnight
from extensions import db
from spaces.models import Closure, Site, Unit

# Bump when the output format changes, so cached bodies and client ETags are renewed.
FORMAT_VERSION = 1
DAYS_BACK = 90
MONTHS_AHEAD = 18
CANCELLED_KEPT_DAYS = 30


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    cancelled_since: datetime
    today_starts_at: datetime


def feed_window(now):
    """From local midnight 90 days ago to the end of the month 18 months ahead. It moves
    once a day, so the feed's content depends on the day, not the second."""
    today = local_date(now)
    return Window(
        starts_at=local_midnight(today - timedelta(days=DAYS_BACK)),
        ends_at=local_midnight(add_months(today.replace(day=1), MONTHS_AHEAD + 1)),
        cancelled_since=local_midnight(today - timedelta(days=CANCELLED_KEPT_DAYS)),
        today_starts_at=local_midnight(today),
    )


@dataclass
class Feed:
    """What one feed shows: ``condition`` selects its bookings (Booking, joined to Unit)."""

    key: tuple
    audience: str
    name: str
    lang: str
    condition: object
    single_unit: bool = False
    closures_site: Site | None = None
    # Everything besides bookings that the body shows (names, addresses).
    descriptor: tuple = field(default_factory=tuple)


def _site_descriptor(site):
    return (site.id, site.name, site.address)


def unit_feed(unit, lang):
    site = unit.site
    return Feed(
        key=("unit", unit.id), audience=render.PUBLIC, lang=lang,
        name=f"{unit.name} – {site.name}", condition=Booking.unit_id == unit.id,
        single_unit=True,
        descriptor=(unit.name, unit.granularity, _site_descriptor(site)),
    )


def _site_units(site):
    return db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.granularity).where(Unit.site_id == site.id)
        .order_by(Unit.id)
    ).all()


def site_feed(site, lang):
    return Feed(
        key=("site", site.id), audience=render.PUBLIC, lang=lang, name=site.name,
        condition=Unit.site_id == site.id, closures_site=site,
        descriptor=(_site_descriptor(site), tuple(map(tuple, _site_units(site)))),
    )


def manager_feed(site, lang):
    return Feed(
        key=("manager", site.id), audience=render.MANAGER, lang=lang, name=site.name,
        condition=Unit.site_id == site.id, closures_site=site,
        descriptor=(_site_descriptor(site), tuple(map(tuple, _site_units(site)))),
    )


def user_feed(user, lang=None):
    return Feed(
        key=("user", user.id), audience=render.PRIVATE, lang=lang or user.locale,
        name=user.display_name, condition=Booking.booked_by_id == user.id,
    )


def organisation_feed(organisation, lang):
    return Feed(
        key=("organisation", organisation.id), audience=render.PRIVATE, lang=lang,
        name=organisation.name, condition=Booking.billed_organisation_id == organisation.id,
        descriptor=(organisation.name,),
    )


# --- which bookings, and their version ---------------------------------------------------

def _visible(window):
    """Bookings in the window that block, or stopped blocking less than 30 days ago."""
    return sa.and_(
        Booking.ends_at > window.starts_at,
        Booking.starts_at < window.ends_at,
        sa.or_(
            Booking.status.in_([str(status) for status in BLOCKING_STATUSES]),
            sa.func.coalesce(Booking.cancelled_at, Booking.updated_at) >= window.cancelled_since,
        ),
    )


def _scoped(statement, feed, window):
    return statement.select_from(Booking).join(Unit, Unit.id == Booking.unit_id).where(
        feed.condition, _visible(window)
    )


@dataclass(frozen=True)
class FeedState:
    etag: str
    last_modified: datetime


def feed_state(feed, now):
    """ETag and Last-Modified of ``feed`` without building it (one aggregate query)."""
    window = feed_window(now)
    lapsed = sa.and_(Booking.status == BookingStatus.HELD.value, Booking.hold_expires_at <= now)
    count, last_update, sequences, last_lapse = db.session.execute(
        _scoped(
            sa.select(
                sa.func.count(Booking.id),
                sa.func.max(Booking.updated_at),
                sa.func.coalesce(sa.func.sum(Booking.sequence), 0),
                # A hold changes the feed when it lapses: that instant is its change time.
                sa.func.max(sa.case((lapsed, Booking.hold_expires_at))),
            ),
            feed, window,
        )
    ).one()
    closures = _closures(feed, window)
    fingerprint = repr((
        FORMAT_VERSION, feed.key, feed.audience, feed.lang, feed.name, feed.descriptor,
        base_url(), window.today_starts_at, count, last_update, int(sequences), last_lapse,
        tuple((c.id, c.starts_on, c.ends_on, c.reason) for c in closures),
    ))
    etag = '"' + hashlib.sha256(fingerprint.encode()).hexdigest()[:40] + '"'
    changes = [moment for moment in (last_update, last_lapse) if moment is not None]
    # SQLite hands back aggregates of timestamps as text.
    changes = [_as_instant(moment) for moment in changes]
    return FeedState(etag=etag, last_modified=max(changes, default=window.today_starts_at))


def _as_instant(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _closures(feed, window):
    if feed.closures_site is None:
        return []
    return db.session.scalars(
        sa.select(Closure).where(
            Closure.site_id == feed.closures_site.id,
            Closure.ends_on >= local_date(window.starts_at),
            Closure.starts_on < local_date(window.ends_at),
        ).order_by(Closure.starts_on, Closure.id)
    ).all()


# --- building -----------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitInfo:
    name: str
    granularity: str
    site_name: str
    location: str


def booking_rows(feed_or_ids, window=None, with_people=False):
    """Rows with the columns the events need, ordered by start."""
    columns = [
        Booking.id, Booking.unit_id, Booking.starts_at, Booking.ends_at, Booking.status,
        Booking.hold_expires_at, Booking.sequence, Booking.created_at, Booking.updated_at,
        Booking.purpose,
    ]
    if with_people:
        columns += [User.display_name.label("booker_name"),
                    Organisation.name.label("organisation_name")]
    else:
        columns += [sa.null().label("booker_name"), sa.null().label("organisation_name")]
    statement = sa.select(*columns)
    if isinstance(feed_or_ids, Feed):
        statement = _scoped(statement, feed_or_ids, window)
    else:
        statement = statement.select_from(Booking).where(Booking.id.in_(feed_or_ids))
    if with_people:
        statement = statement.outerjoin(User, User.id == Booking.booked_by_id).outerjoin(
            Organisation, Organisation.id == Booking.billed_organisation_id
        )
    return db.session.execute(statement.order_by(Booking.starts_at, Booking.id)).all()


def unit_infos(unit_ids):
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.granularity, Site.name, Site.street, Site.postcode,
                  Site.city)
        .join(Site, Site.id == Unit.site_id).where(Unit.id.in_(set(unit_ids)))
    ).all()
    return {
        row[0]: UnitInfo(name=row[1], granularity=row[2], site_name=row[3],
                         location=f"{row[3]}, {row[4]}, {row[5]} {row[6]}")
        for row in rows
    }


def uid_domain():
    """The host part of every UID: stable as long as the public base URL is."""
    return urlsplit(base_url()).hostname or "localhost"


def build_feed(feed, now):
    """The serialised calendar of ``feed`` (bytes), built from the database."""
    window = feed_window(now)
    rows = booking_rows(feed, window, with_people=feed.audience != render.PUBLIC)
    closures = _closures(feed, window)
    with force_locale(feed.lang):
        context = render.EventContext(
            feed.audience, uid_domain(), base_url(), unit_infos({row.unit_id for row in rows}),
            now, single_unit=feed.single_unit,
        )
        first = min([window.starts_at] + [row.starts_at for row in rows[:1]])
        last = max([window.ends_at] + [row.ends_at for row in rows])
        calendar = render.new_calendar(feed.name, local_date(first).year, local_date(last).year)
        events = chain(
            (render.booking_event(row, context) for row in rows),
            (render.closure_event(closure, feed.closures_site, context, window.today_starts_at)
             for closure in closures),
        )
        return render.serialise(calendar, events)


def booking_ics(booking, *, now=None, lang=None):
    """A METHOD:PUBLISH calendar with the one event of ``booking`` (the "Add to calendar"
    download and the attachment of booking mails), as the booker sees it in their feed."""
    from core.time import utcnow

    now = now or utcnow()
    lang = lang or (booking.booked_by.locale if booking.booked_by else None) or "de"
    rows = booking_rows([booking.id], with_people=True)
    with force_locale(lang):
        context = render.EventContext(
            render.PRIVATE, uid_domain(), base_url(), unit_infos([booking.unit_id]), now
        )
        year = local_date(booking.starts_at).year
        calendar = render.new_calendar(_("Stadtlabor booking"), year,
                                       local_date(booking.ends_at).year)
        return render.serialise(calendar, (render.booking_event(row, context) for row in rows))


# --- the cache of serialised feeds --------------------------------------------------------

class FeedCache:
    """Serialised feeds by ETag, least recently used first out. No time-based expiry:
    a changed feed has a new ETag, so an old entry is simply never asked for again."""

    def __init__(self, max_entries=256):
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, etag):
        with self._lock:
            body = self._entries.get(etag)
            if body is not None:
                self._entries.move_to_end(etag)
            return body

    def put(self, etag, body):
        with self._lock:
            self._entries[etag] = body
            self._entries.move_to_end(etag)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()


def feed_cache():
    return current_app.extensions.setdefault("calendars.feed_cache", FeedCache())


def feed_body(feed, state, now):
    """The body for ``state``: from the cache, or built once and cached."""
    cache = feed_cache()
    body = cache.get(state.etag)
    if body is None:
        body = build_feed(feed, now)
        cache.put(state.etag, body)
    return body
