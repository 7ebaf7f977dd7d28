"""Public events and pop-ups: pages and iCal feeds per site and for all labs, and the form
on a booking's page with which its booker publishes or hides it."""
import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import (
    Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from icalendar import Calendar, Event, vText

from accounts import policy
from bookings import listings, services
from bookings import views as booking_views
from bookings.listing_models import DESCRIPTION_MAX, LINK_MAX, TITLE_MAX
from core.errors import ValidationError
from core.messages import message_for
from core.time import UTC, utcnow
from core.urls import absolute_url, base_url
from spaces.services import all_sites, site_by_slug

bp = Blueprint("listings", __name__)

PRODID = "-//IHK Stadtlabor//Public listings//EN"


FORM_FIELDS = ("title", "description", "link")
MAX_LENGTHS = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "link": LINK_MAX}


@dataclass(frozen=True)
class ListingForm:
    """What the form on the booking page shows: whether it may publish, the listing (or
    None), the text in each field and the problem with each field (after a refused post)."""

    may_publish: bool
    listing: object = None
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _RefusedPost:
    booking_id: int
    values: dict
    errors: dict


@bp.app_template_global()
def public_listing_form(booking):
    if not (listings.is_listable(booking) and policy.can_publish_listing(current_user, booking)):
        return ListingForm(may_publish=False)
    listing = listings.listing_of(booking.id)
    refused = g.get("refused_listing_post")
    if refused is not None and refused.booking_id == booking.id:
        values, errors = refused.values, refused.errors
    else:
        values, errors = _stored_values(listing), {}
    return ListingForm(booking.status == "confirmed", listing, values, errors)


def _stored_values(listing):
    if listing is None:
        return {name: "" for name in FORM_FIELDS}
    return {"title": listing.title, "description": listing.description or "",
            "link": listing.link or ""}


def _field_problem(name, code):
    """The reader's text for a field code of ``listings.publish_listing``."""
    if code == "too_long":
        return _("Please use at most %(max)d characters.", max=MAX_LENGTHS[name])
    if code == "invalid_url":
        return _("Please give a web address starting with https:// or http://.")
    if code == "required":
        return _("Please give the listing a title.")
    return message_for(ValidationError())


# --- publishing ------------------------------------------------------------------------------

@bp.post("/bookings/<int:booking_id>/listing")
@login_required
def publish(booking_id):
    booking = services.get_booking(booking_id)
    if not policy.can_publish_listing(current_user, booking):
        abort(403)
    submitted = {name: request.form.get(name, "") for name in FORM_FIELDS}
    try:
        listings.publish_listing(current_user, booking, **submitted, now=utcnow())
    except ValidationError as error:
        return _refused(booking_id, submitted, error)
    flash(_("Your listing is public."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


def _refused(booking_id, submitted, error):
    """The booking page again (422, as the other forms answer) with the user's input and
    each problem beside its field. Not a field problem (not an event or pop-up booking)
    shows as the page's error message only; refusals for the booking's state or the
    user's rights go to the error handler (409/403) before this."""
    g.refused_listing_post = _RefusedPost(
        booking_id, submitted,
        {name: _field_problem(name, code) for name, code in error.fields.items()
         if name in FORM_FIELDS})
    flash(message_for(error), "error")
    return booking_views.detail(booking_id), 422


@bp.post("/bookings/<int:booking_id>/listing/unpublish")
@login_required
def unpublish(booking_id):
    booking = services.get_booking(booking_id)
    if not policy.can_publish_listing(current_user, booking):
        abort(403)
    listings.unpublish_listing(current_user, booking, now=utcnow())
    flash(_("Your listing is no longer public."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


# --- public pages ------------------------------------------------------------------------------

def _site_or_all(slug):
    return site_by_slug(slug) if slug is not None else None


@bp.get("/events", defaults={"slug": None})
@bp.get("/events/<slug>")
def events(slug):
    site = _site_or_all(slug)
    return render_template("listings/events.html", site=site, sites=all_sites(),
                           events=listings.upcoming_events(utcnow(), site))


@bp.get("/popups", defaults={"slug": None})
@bp.get("/popups/<slug>")
def popups(slug):
    site = _site_or_all(slug)
    running, upcoming = listings.popups_now_and_next(utcnow(), site)
    return render_template("listings/popups.html", site=site, sites=all_sites(),
                           running=running, upcoming=upcoming)


# --- feeds -------------------------------------------------------------------------------------

def _feed(name, entries, page_endpoint):
    host = _host()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for listing in entries:
        booking = listing.booking
        site = booking.unit.site
        event = Event()
        event.add("uid", f"listing-{listing.id}@{host}")
        event.add("dtstamp", listing.updated_at.astimezone(UTC))
        event.add("last-modified", listing.updated_at.astimezone(UTC))
        event.add("dtstart", booking.starts_at.astimezone(UTC))
        event.add("dtend", booking.ends_at.astimezone(UTC))
        event.add("summary", listing.title)
        if listing.description:
            event.add("description", listing.description)
        event.add("url", listing.link or absolute_url(page_endpoint, slug=site.slug))
        event.add("location", vText(f"{site.name}, {site.address}"))
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    body = calendar.to_ical()
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest())
    return response.make_conditional(request)


def _host():
    return urlsplit(base_url()).hostname or "localhost"


def _feed_name(kind_label, site):
    return f"{kind_label} – {site.name}" if site is not None else kind_label


@bp.get("/events.ics", defaults={"slug": None})
@bp.get("/events/<slug>.ics")
def events_feed(slug):
    site = _site_or_all(slug)
    return _feed(_feed_name(_("Events at the city labs"), site),
                 listings.upcoming_events(utcnow(), site), "listings.events")


@bp.get("/popups.ics", defaults={"slug": None})
@bp.get("/popups/<slug>.ics")
def popups_feed(slug):
    site = _site_or_all(slug)
    running, upcoming = listings.popups_now_and_next(utcnow(), site)
    return _feed(_feed_name(_("Pop-ups at the city labs"), site), running + upcoming,
                 "listings.popups")
