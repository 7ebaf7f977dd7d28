"""Bookings over the API: book (once or as a series), list, show, cancel."""
from flask import jsonify, request

from accounts import policy
from api import bp
from api.access import require_caller
from api.lookups import find_organisation, find_site, find_unit
from api.parsing import Fields, json_object
from api.representations import booking_json, series_json
from core.urls import absolute_url
from bookings import services
from bookings.models import BookingStatus
from bookings.recurrence import Recurrence
from core.errors import NotAllowed, ValidationError
from core.time import utcnow

BOOKING_FIELDS = {
    "unit_id", "site", "kind", "start", "end", "organisation_id", "purpose", "attendees",
    "terms_accepted", "recurrence", "partial",
}
STATUSES = tuple(status.value for status in BookingStatus)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def read_booking_request(body):
    """The arguments of ``create_booking`` / ``create_series`` from a request body, and the
    recurrence (or None). Raises one ValidationError for everything that is wrong."""
    fields = Fields(body, allowed=BOOKING_FIELDS)
    unit = fields.lookup("unit_id", fields.integer("unit_id", minimum=1), find_unit)
    by_unit = body.get("unit_id") is not None
    site = fields.lookup("site", fields.string("site", required=not by_unit), find_site)
    kind = fields.string("kind", required=not by_unit)
    if by_unit and (body.get("site") is not None or body.get("kind") is not None):
        fields.fail("unit_id", "unit_or_site_and_kind")
    arguments = {
        "unit": unit,
        "site": site,
        "kind": kind,
        "starts_at": fields.instant("start", required=True),
        "ends_at": fields.instant("end", required=True),
        "organisation": fields.lookup(
            "organisation_id", fields.integer("organisation_id", minimum=1), find_organisation),
        "purpose": fields.string("purpose", max_length=500) or "",
        "attendees": fields.integer("attendees", minimum=1) or 1,
        # The caller accepts the terms explicitly; the service refuses anything but true.
        "terms_accepted": fields.boolean("terms_accepted", required=True),
    }
    recurrence = _recurrence(fields)
    partial = fields.boolean("partial")
    fields.check()
    if recurrence is not None:
        arguments["partial"] = bool(partial)
    return arguments, recurrence


def _recurrence(fields):
    data = fields.mapping("recurrence")
    if data is None:
        return None
    try:
        return Recurrence.from_dict(data)
    except ValidationError as error:
        fields.absorb(error)  # field "recurrence" with the reason, e.g. "bad_day"
        return None


@bp.post("/bookings")
def create_booking():
    actor = require_caller()
    arguments, recurrence = read_booking_request(json_object())
    now = utcnow()
    if recurrence is not None:
        result = services.create_series(actor, recurrence=recurrence, now=now, **arguments)
        return jsonify(series_json(result)), 201
    booking = services.create_booking(actor, now=now, **arguments)
    location = absolute_url("api.get_booking", booking_id=booking.id)
    return jsonify(booking_json(booking)), 201, {"Location": location}


@bp.get("/bookings")
def list_bookings():
    actor = require_caller()
    query = Fields(request.args, from_query=True)
    filters = {
        "site": query.string("site"),
        "status": query.choice("status", STATUSES),
        "from": query.string("from"),
        "to": query.string("to"),
    }
    site = query.lookup("site", filters["site"], find_site)
    starts_from = query.instant("from")
    starts_before = query.instant("to")
    after_id = query.integer("cursor", minimum=0)
    limit = query.integer("limit", minimum=1, maximum=MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    query.check()
    # One more than asked tells whether another page exists.
    page = services.list_bookings(
        actor, site=site, status=filters["status"], starts_from=starts_from,
        starts_before=starts_before, after_id=after_id, limit=limit + 1,
    )
    items, more = page[:limit], len(page) > limit
    next_url = None
    if more:
        given = {name: value for name, value in filters.items() if value is not None}
        next_url = absolute_url("api.list_bookings", cursor=items[-1].id, limit=limit, **given)
    return jsonify({"items": [booking_json(booking) for booking in items], "next": next_url})


def _visible_booking(actor, booking_id):
    booking = services.get_booking(booking_id)
    if not policy.can_view_booking(actor, booking):
        raise NotAllowed()
    return booking


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id):
    actor = require_caller()
    return jsonify(booking_json(_visible_booking(actor, booking_id)))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id):
    actor = require_caller()
    booking = _visible_booking(actor, booking_id)
    body = Fields(json_object(optional=True), allowed={"reason"})
    reason = body.string("reason", max_length=500)
    body.check()
    booking = services.cancel_booking(actor, booking, now=utcnow(), reason=reason or None)
    return jsonify(booking_json(booking))
