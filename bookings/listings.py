"""Public listings: the lab's public events and its pop-ups "now and next".

The booker of a confirmed event-space booking may publish it as a public event; the booker
of a confirmed pop-up shelf or shop window as a pop-up (the description names the
products). Only confirmed bookings are shown: a cancelled booking drops out of the pages and
feeds at once, its listing kept but hidden.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from accounts import policy
from bookings.listing_models import DESCRIPTION_MAX, LINK_MAX, TITLE_MAX, PublicListing
from bookings.models import Booking, BookingStatus
from bookings.writing import lock_booking
from core.audit import record
from core.db import run_in_transaction
from core.errors import InvalidTransition, NotAllowed, ValidationError
from core.messages import register
from core.time import local_date, local_midnight
from extensions import db
from spaces.models import Unit

EVENT_KINDS = ("event_space",)
POPUP_KINDS = ("popup_shelf", "shop_window")
NEXT_POPUPS_DAYS = 30

register({
    "listing_invalid": _l("Please check the title, description and link of the listing."),
    "listing_not_listable": _l("Only event-space bookings (as events) and pop-up shelf or "
                               "shop-window bookings (as pop-ups) can be published."),
    "listing_not_confirmed": _l("Only confirmed bookings can be published."),
})


def listing_of(booking_id):
    """The listing of a booking (published or not), or None."""
    return db.session.scalar(sa.select(PublicListing).where(PublicListing.booking_id == booking_id))


def is_listable(booking):
    return booking.unit.kind in EVENT_KINDS + POPUP_KINDS


def _cleaned(title, description, link):
    title = (title or "").strip()
    description = (description or "").strip()
    link = (link or "").strip() or None
    errors = {}
    if not title:
        errors["title"] = "required"
    elif len(title) > TITLE_MAX:
        errors["title"] = "too_long"
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = "too_long"
    if link is not None:
        parts = urlsplit(link)
        if len(link) > LINK_MAX:
            errors["link"] = "too_long"
        elif parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            errors["link"] = "invalid_url"
    if errors:
        raise ValidationError(errors, message_key="listing_invalid")
    return title, description, link


def publish_listing(actor, booking, *, title, description, link, now):
    """Publish (or update and republish) the public listing of ``booking``; return it.

    Allowed to the booker and to admins of the billed organisation. Raises NotAllowed;
    ValidationError ``listing_not_listable`` (not an event space, pop-up shelf or shop
    window) and ``listing_invalid`` with per-field codes (title required / at most 120
    characters, description at most 1000, link an absolute http(s) URL); InvalidTransition
    ``listing_not_confirmed``; NotFound.
    """
    booking_id = booking.id

    def work():
        locked = lock_booking(booking_id)
        if not policy.can_publish_listing(actor, locked):
            raise NotAllowed()
        if not is_listable(locked):
            raise ValidationError({"booking": "not_listable"},
                                  message_key="listing_not_listable")
        if locked.status != BookingStatus.CONFIRMED:
            raise InvalidTransition("listing_not_confirmed", status=locked.status)
        clean_title, clean_description, clean_link = _cleaned(title, description, link)
        listing = listing_of(booking_id)
        if listing is None:
            listing = PublicListing(booking_id=booking_id, created_at=now)
            db.session.add(listing)
        listing.title = clean_title
        listing.description = clean_description
        listing.link = clean_link
        listing.published = True
        listing.updated_at = now
        db.session.flush()
        record("listing.published", listing, actor=actor, site_id=locked.unit.site_id,
               after={"booking_id": booking_id, "title": clean_title}, now=now)
        return listing

    return run_in_transaction(work)


def unpublish_listing(actor, booking, *, now):
    """Hide the listing of ``booking`` from the public pages and feeds (kept for
    republishing). Allowed as for publishing; no listing is nothing to do. Raises
    NotAllowed, NotFound."""
    booking_id = booking.id

    def work():
        locked = lock_booking(booking_id)
        if not policy.can_publish_listing(actor, locked):
            raise NotAllowed()
        listing = listing_of(booking_id)
        if listing is None or not listing.published:
            return listing
        listing.published = False
        listing.updated_at = now
        db.session.flush()
        record("listing.unpublished", listing, actor=actor, site_id=locked.unit.site_id,
               after={"booking_id": booking_id}, now=now)
        return listing

    return run_in_transaction(work)


def _visible(kinds, site=None):
    statement = (
        sa.select(PublicListing)
        .join(Booking, Booking.id == PublicListing.booking_id)
        .join(Unit, Unit.id == Booking.unit_id)
        .where(PublicListing.published.is_(True),
               Booking.status == BookingStatus.CONFIRMED.value,
               Unit.kind.in_(kinds))
        .options(joinedload(PublicListing.booking).joinedload(Booking.unit)
                 .joinedload(Unit.site))
        .order_by(Booking.starts_at, PublicListing.id)
    )
    if site is not None:
        statement = statement.where(Unit.site_id == site.id)
    return statement


def upcoming_events(now, site=None):
    """Published events of confirmed bookings that have not ended, soonest first."""
    return list(db.session.scalars(_visible(EVENT_KINDS, site).where(Booking.ends_at > now)))


def popups_now_and_next(now, site=None):
    """(now, next): published pop-ups running on today's local date, and those starting
    after today within the next 30 days."""
    today = local_date(now)
    today_starts = local_midnight(today)
    tomorrow_starts = local_midnight(today + timedelta(days=1))
    horizon = now + timedelta(days=NEXT_POPUPS_DAYS)
    running = db.session.scalars(_visible(POPUP_KINDS, site).where(
        Booking.starts_at < tomorrow_starts, Booking.ends_at > today_starts))
    upcoming = db.session.scalars(_visible(POPUP_KINDS, site).where(
        Booking.starts_at >= tomorrow_starts, Booking.starts_at < horizon))
    return list(running), list(upcoming)
