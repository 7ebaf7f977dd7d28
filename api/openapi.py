"""The OpenAPI 3.1 document of the API, served at ``/api/v1/openapi.json``.

Small reusable schemas, parameters and error responses sit in ``components``; each path
below names the ones it uses. ``tests/api/test_openapi.py`` checks that every route of the
blueprint is described and that real responses match their schemas.
"""
from flask import jsonify

from api import bp
from bookings.models import BookingStatus
from spaces.models import Granularity, UnitKind


def ref(name, kind="schemas"):
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties, *, optional=(), description=None, closed=False):
    """An object schema; every property is required unless named in ``optional``."""
    schema = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        schema["description"] = description
    if closed:
        schema["additionalProperties"] = False
    return schema


def string(description=None, **extra):
    schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def integer(description=None, **extra):
    schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


def page_of(item):
    return obj({
        "items": {"type": "array", "items": ref(item)},
        "next": nullable(string("Absolute URL of the next page.", format="uri")),
    })


def json_content(schema):
    return {"content": {"application/json": {"schema": schema}}}


def error_schema(codes, details):
    return obj({"error": obj({
        "code": string(enum=list(codes)),
        "message": string("Readable text in the language of Accept-Language (German "
                          "by default)."),
        "details": details,
    })})


# --- components ---------------------------------------------------------------------------

SCHEMAS = {
    "Instant": string(
        "Europe/Berlin local time with its offset, to the second. Input also accepts `Z`, "
        "any offset, or a naive local time (taken as Europe/Berlin; a time that does not "
        "exist or exists twice on a daylight-saving change is a 422).",
        format="date-time", examples=["2027-03-16T14:00:00+01:00"],
    ),
    "Interval": obj({"start": ref("Instant"), "end": ref("Instant")},
                    description="Half-open: the end is exclusive."),
    "OpeningHours": obj({
        "weekday": integer("0 = Monday ... 6 = Sunday.", minimum=0, maximum=6),
        "opens": string("Local time, HH:MM.", pattern=r"^\d\d:\d\d$"),
        "closes": string("Local time, HH:MM.", pattern=r"^\d\d:\d\d$"),
    }),
    "Closure": obj({
        "starts_on": string(format="date"),
        "ends_on": string("Inclusive.", format="date"),
        "reason": string(),
    }, description="Whole local days on which the lab is closed (blocks hourly units only)."),
    "Site": obj({
        "slug": string(),
        "name": string(),
        "ical_url": string("Public iCal feed of the lab's busy times.", format="uri"),
        "address": string("Street and number."),
        "postcode": string(),
        "city": string(),
        "opening_hours": {"type": "array", "items": ref("OpeningHours")},
        "closures": {"type": "array", "items": ref("Closure"),
                     "description": "Closures that have not ended yet."},
    }),
    "Unit": obj({
        "id": integer(),
        "ical_url": string("Public iCal feed of the unit's busy times.", format="uri"),
        "site": string("Slug of the site."),
        "kind": string(enum=[kind.value for kind in UnitKind]),
        "name": string(),
        "group": nullable(string("Interchangeable units (e.g. a desk area).")),
        "granularity": string("The unit's step.", enum=[g.value for g in Granularity]),
        "needs_approval": {"type": "boolean"},
        "min_length": integer("In steps.", minimum=1),
        "max_length": integer("In steps.", minimum=1),
        "lead_time_minutes": integer("How soon a booking may start.", minimum=0),
        "horizon_days": integer("How far ahead a booking may end.", minimum=1),
        "capacity": integer("Persons.", minimum=1),
        "description": string(),
    }),
    "Me": obj({
        "id": integer(),
        "email": string(format="email"),
        "name": string(),
        "ical_url": string("Private iCal feed of the caller's bookings (a capability URL).",
                           format="uri"),
        "roles": obj({
            "chamber_admin": {"type": "boolean"},
            "manager_of": {"type": "array", "items": string("Site slug."),
                           "description": "Sites the caller manages (all for chamber admins)."},
        }),
        "organisations": {"type": "array", "items": obj({
            "id": integer(), "name": string(), "role": string(enum=["member", "admin"]),
        })},
    }),
    "UnitAvailability": obj({
        "unit_id": integer(),
        "name": string(),
        "kind": string(enum=[kind.value for kind in UnitKind]),
        "granularity": string(enum=[g.value for g in Granularity]),
        "free": {"type": "array", "items": ref("Interval"),
                 "description": "Maximal bookable intervals inside the window, aligned to "
                                "steps, within opening hours for hourly units."},
    }),
    "Availability": obj({"units": {"type": "array", "items": ref("UnitAvailability")}}),
    "PriceLine": obj({
        "description": string(), "unit_id": integer(),
        "starts_at": string(format="date-time"), "ends_at": string(format="date-time"),
        "steps": integer("Steps of the unit's granularity (a DST day is one day)."),
        "step": string(enum=[g.value for g in Granularity]),
        "rate": string("`base`, `member` or `from_<n>` (cheaper from n steps on)."),
        "unit_net_cents": integer("Net price per step applied."),
        "list_net_cents": integer("Net before any funding."),
        "reduction_cents": integer("The lab's own price reduction (lowers the taxable net)."),
        "net_cents": integer("Taxable net."),
        "vat_rate_bp": integer("VAT rate in basis points (1900 = 19 %)."),
        "vat_cents": integer("Rounded once per line, half up."),
        "gross_cents": integer(),
        "subsidy_cents": integer(),
        "third_party_cents": integer("Paid by a funding programme (VAT on the full net)."),
        "payable_cents": integer("What the booker pays for this line."),
    }, description="One booking (one occurrence of a series)."),
    "Price": obj({
        "net_cents": integer(), "vat_cents": integer(), "gross_cents": integer(),
        "subsidy_cents": integer(), "vat_rate": nullable({"type": ["string", "number"]}),
        "currency": string(enum=["EUR"]),
        "payable_cents": integer("What the booker pays (gross less a third party's share)."),
        "lines": {"type": "array", "items": ref("PriceLine")},
        "subsidy": nullable(obj({
            "programme_id": integer(), "programme": string(),
            "kind": string(enum=["price_reduction", "third_party"]),
            "share_bp": integer("Share of the net in basis points."),
        })),
        "notices": {"type": "array", "items": string(enum=["deminimis_ceiling",
                                                            "funding_budget_short"])},
        "cancellation": obj({
            "free_until_hours_before": nullable(integer()),
            "fee_bp": integer("Fee in basis points of the net after that."),
        }),
        "settlement": string(enum=["checkout", "invoice", "none"],
                             description="`checkout`: paid through Stripe before the booking "
                                         "is confirmed; `invoice`: billed on account / pay on "
                                         "site; `none`: free."),
        "unit_id": integer("Quotes only: the unit that was priced."),
    }, optional=("subsidy_cents", "vat_rate", "payable_cents", "lines", "subsidy", "notices",
                 "cancellation", "settlement", "unit_id"),
        description="Price snapshot in integer cents (EUR)."),
    "Booking": obj({
        "id": integer(),
        "unit_id": integer(),
        "site": string("Slug of the site."),
        "status": string(enum=[status.value for status in BookingStatus],
                         description="`requested`, `held` and `confirmed` block the unit."),
        "start": ref("Instant"),
        "end": ref("Instant"),
        "series_id": nullable(integer()),
        "hold_expires_at": nullable(ref("Instant")),
        "price": nullable(ref("Price")),
        "checkout_url": nullable(string("Where to pay, when payment is due.", format="uri")),
        "purpose": string(),
        "attendees": integer(minimum=1),
        "created_at": ref("Instant"),
    }),
    "SeriesResult": obj({
        "series_id": integer(),
        "bookings": {"type": "array", "items": ref("Booking")},
        "skipped": {"type": "array", "items": ref("Interval"),
                    "description": "Occurrences not booked (taken), with `partial: true`."},
    }),
    "Recurrence": obj({
        "freq": string(enum=["weekly"]),
        "byday": {"type": "array", "items": string(enum=["MO", "TU", "WE", "TH", "FR", "SA",
                                                          "SU"])},
        "interval": integer("Every n-th week.", minimum=1, default=1),
        "until": string("Last date, inclusive, local.", format="date"),
        "count": integer("Number of occurrences (instead of `until`).", minimum=1),
    }, optional=("byday", "interval", "until", "count"), closed=True,
        description="RFC 5545 RRULE subset. Occurrences keep the local wall-clock time of "
                    "the first one across daylight-saving changes."),
    "BookingRequest": obj({
        "unit_id": integer("The unit; or give `site` and `kind` for any free unit."),
        "site": string("Site slug (with `kind`): the lowest free unit is assigned."),
        "kind": string(enum=[kind.value for kind in UnitKind]),
        "start": ref("Instant"),
        "end": ref("Instant"),
        "organisation_id": nullable(integer("Bill to this organisation (the caller must "
                                            "belong to it).")),
        "purpose": string(maxLength=500),
        "attendees": integer(minimum=1, default=1),
        "terms_accepted": {
            "type": "boolean",
            "description": "Required: by sending `true` the caller accepts the lab's terms "
                           "and house rules in their current version, which is stored with "
                           "the booking. Missing or `false` is a 422.",
        },
        "recurrence": nullable(ref("Recurrence")),
        "partial": {"type": "boolean", "default": False,
                    "description": "Series only: book the free occurrences and skip the "
                                   "taken ones instead of all or nothing."},
    }, optional=("unit_id", "site", "kind", "organisation_id", "purpose", "attendees",
                 "recurrence", "partial"), closed=True,
        description="Unknown fields are a 422 (a misspelt `recurrence` would otherwise "
                    "book once)."),
    "CancelRequest": obj({"reason": string(maxLength=500, description=(
        "Required when a manager cancels a booking that has already started."))},
        optional=("reason",), closed=True),
    "Error": error_schema(
        ["invalid_json", "unauthenticated", "forbidden", "not_found", "method_not_allowed",
         "conflict", "invalid_transition", "validation", "rate_limited", "internal"],
        {"type": "object"},
    ),
    "ValidationError": error_schema(["validation"], obj({
        "fields": {"type": "object", "additionalProperties": string(),
                   "description": "Each bad field with a reason code such as `required`, "
                                  "`unknown`, `unknown_field`, `must_be_integer`, "
                                  "`not_on_step`, `too_soon`, `window_too_long`."},
    })),
    "ConflictError": error_schema(["conflict"], obj({
        "conflicts": {"type": "array", "items": ref("Interval"),
                      "description": "The taken time ranges, never who holds them."},
    })),
}


def error_response(description, schema="Error"):
    return {"description": description, **json_content(ref(schema))}


RESPONSES = {
    "InvalidJson": error_response("`invalid_json`: the body is not a JSON object."),
    "Unauthenticated": error_response(
        "`unauthenticated`: no credential, or a bad Bearer token (also on public endpoints)."),
    "Forbidden": error_response(
        "`forbidden`: not allowed for this caller; also a cookie request without "
        "`X-CSRFToken`."),
    "NotFound": error_response("`not_found`: unknown resource in the URL."),
    "Validation": error_response("`validation`: wrong types, unknown ids or fields in the "
                                 "body or query, or a rule broken.", "ValidationError"),
    "Conflict": error_response("`conflict`: the time is taken.", "ConflictError"),
    "InvalidTransition": error_response(
        "`invalid_transition`: not possible in the booking's current state (cancelled "
        "twice, say)."),
}


def path_parameter(name, schema, description):
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def query_parameter(name, schema, description, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


PARAMETERS = {
    "SiteSlug": path_parameter("slug", string(), "Slug of the site."),
    "UnitId": path_parameter("unit_id", integer(), "Id of the unit."),
    "BookingId": path_parameter("booking_id", integer(), "Id of the booking."),
    "CsrfToken": {
        "name": "X-CSRFToken", "in": "header", "required": False, "schema": string(),
        "description": "Required with the session cookie (the token of the web pages); "
                       "not with a Bearer token.",
    },
}

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal API token (`flask --app app users token "
                                  "EMAIL`). Exempt from CSRF."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "The web session. State-changing calls must send the "
                                  "`X-CSRFToken` header."},
}

AUTHENTICATED = [{"bearerAuth": []}, {"cookieAuth": []}]
# Anonymous callers are welcome; a credential, if sent, must be valid.
PUBLIC = [{}, *AUTHENTICATED]


# --- operations ---------------------------------------------------------------------------

def operation(operation_id, summary, *, tag, ok, public=False, parameters=(), body=None,
              errors=(), description=None):
    """One operation: ``ok`` is (status, description, schema); ``errors`` name RESPONSES."""
    status, ok_description, schema = ok
    item = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": PUBLIC if public else AUTHENTICATED,
        "parameters": [ref(name, "parameters") if isinstance(name, str) else name
                       for name in parameters],
        "responses": {str(status): {"description": ok_description, **json_content(schema)}},
    }
    if description:
        item["description"] = description
    if body is not None:
        schema_name, required = body
        item["requestBody"] = {"required": required, **json_content(ref(schema_name))}
    error_statuses = {"InvalidJson": "400", "Unauthenticated": "401", "Forbidden": "403",
                      "NotFound": "404", "Conflict": "409", "InvalidTransition": "409",
                      "Validation": "422"}
    for name in ("Unauthenticated", *errors):
        item["responses"].setdefault(error_statuses[name], ref(name, "responses"))
    return item


def _kind_query(description="Only units of this kind (unknown kind: 422)."):
    return query_parameter("kind", string(enum=[kind.value for kind in UnitKind]), description)


PATHS = {
    "/sites": {"get": operation(
        "listSites", "The city labs", tag="catalogue", public=True,
        ok=(200, "All sites.", page_of("Site")),
    )},
    "/sites/{slug}": {"get": operation(
        "getSite", "One city lab", tag="catalogue", public=True, parameters=["SiteSlug"],
        ok=(200, "The site.", ref("Site")), errors=["NotFound"],
    )},
    "/sites/{slug}/units": {"get": operation(
        "listSiteUnits", "The bookable units of a lab", tag="catalogue", public=True,
        parameters=["SiteSlug", _kind_query()],
        ok=(200, "Active units, in their stable order.", page_of("Unit")),
        errors=["NotFound", "Validation"],
    )},
    "/units/{unit_id}": {"get": operation(
        "getUnit", "One unit", tag="catalogue", public=True, parameters=["UnitId"],
        ok=(200, "The unit.", ref("Unit")), errors=["NotFound"],
    )},
    "/me": {"get": operation(
        "getMe", "The caller", tag="account",
        ok=(200, "The caller with roles and organisations.", ref("Me")),
    )},
    "/me/ical-token": {"post": operation(
        "renewIcalToken", "Issue a new private feed URL", tag="account",
        parameters=["CsrfToken"],
        description="The old private feed URL answers 404 from now on.",
        ok=(200, "The new private feed URL.", obj({"ical_url": string(format="uri")})),
    )},
    "/availability": {"get": operation(
        "searchAvailability", "Free units and their bookable intervals", tag="bookings",
        public=True,
        description="Give `site` (and optionally `kind`), or `unit`. The window "
                    "[`start`, `end`) may span at most 31 days.",
        parameters=[
            query_parameter("site", string(), "Site slug (unknown: 422)."),
            _kind_query(),
            query_parameter("unit", integer(), "One unit instead of a site (unknown: 422)."),
            query_parameter("start", ref("Instant"), "Window start.", required=True),
            query_parameter("end", ref("Instant"), "Window end (exclusive).", required=True),
        ],
        ok=(200, "Every matching unit, with an empty `free` list when nothing is free.",
            ref("Availability")),
        errors=["Validation"],
    )},
    "/quotes": {"post": operation(
        "createQuote", "The price of a booking request, without booking", tag="bookings",
        public=True, parameters=["CsrfToken"], body=("BookingRequest", True),
        description="The same body as `POST /bookings` (`terms_accepted` may be left out). "
                    "Checks the slot rules but not whether the time is free. With "
                    "`organisation_id` (the caller must belong to it) member prices and "
                    "funding programmes apply; with `recurrence` one line per occurrence.",
        ok=(200, "The quote.", ref("Price")),
        errors=["InvalidJson", "Validation"],
    )},
    "/bookings": {
        "post": operation(
            "createBooking", "Book a unit, once or as a weekly series", tag="bookings",
            parameters=["CsrfToken"], body=("BookingRequest", True),
            description="A single booking answers with the booking (status `requested` "
                        "when the unit needs approval, `held` while payment is due, else "
                        "`confirmed`); a request with `recurrence` answers with the series. "
                        "Nothing is written when the request fails.",
            ok=(201, "The booking (single) or the series (with `recurrence`).",
                {"oneOf": [ref("Booking"), ref("SeriesResult")]}),
            errors=["InvalidJson", "Forbidden", "Conflict", "Validation"],
        ),
        "get": operation(
            "listBookings", "Bookings the caller may see", tag="bookings",
            description="The caller's own bookings; for managers also those at their "
                        "sites. Follow `next` for more.",
            parameters=[
                query_parameter("site", string(), "Only this site (unknown: 422)."),
                query_parameter("status", string(enum=[s.value for s in BookingStatus]),
                                "Only this status."),
                query_parameter("from", ref("Instant"), "Starting at or after."),
                query_parameter("to", ref("Instant"), "Starting before."),
                query_parameter("limit", integer(minimum=1, maximum=100, default=50),
                                "Page size."),
                query_parameter("cursor", integer(minimum=0),
                                "Opaque; taken from `next`."),
            ],
            ok=(200, "One page of bookings.", page_of("Booking")),
            errors=["Forbidden", "Validation"],
        ),
    },
    "/bookings/{booking_id}": {"get": operation(
        "getBooking", "One booking", tag="bookings", parameters=["BookingId"],
        ok=(200, "The booking.", ref("Booking")), errors=["Forbidden", "NotFound"],
    )},
    "/bookings/{booking_id}/cancel": {"post": operation(
        "cancelBooking", "Cancel a booking", tag="bookings",
        description="The booker until the start; a manager of the site at any time (after "
                    "the start with a reason). Frees the slot at once.",
        parameters=["BookingId", "CsrfToken"], body=("CancelRequest", False),
        ok=(200, "The cancelled booking.", ref("Booking")),
        errors=["InvalidJson", "Forbidden", "NotFound", "InvalidTransition", "Validation"],
    )},
    "/openapi.json": {"get": operation(
        "getOpenApi", "This document", tag="meta", public=True,
        ok=(200, "The OpenAPI document.", {"type": "object"}),
    )},
}


# --- partner tenancies and moves ----------------------------------------------------------

_WEEKDAY_CODE = string(enum=["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
_CLOCK = string("Local wall-clock time (Europe/Berlin), HH:MM.", pattern=r"^\d\d:\d\d(:\d\d)?$")

SCHEMAS.update({
    "TenancyClash": obj({
        "booking_id": integer("Managers of the lab only."),
        "booked_by": nullable(string("Name of the booker; managers of the lab only.")),
        "unit_id": integer(),
        "start": ref("Instant"),
        "end": ref("Instant"),
    }, optional=("booking_id", "booked_by"),
        description="An existing booking that an occurrence of the tenancy would overlap."),
    "Tenancy": obj({
        "id": integer(),
        "organisation_id": integer(),
        "site": string("Slug of the site of all units."),
        "unit_ids": {"type": "array", "items": integer()},
        "weekdays": {"type": "array", "items": _WEEKDAY_CODE},
        "start_time": nullable(string("Local HH:MM; null for whole days.")),
        "end_time": nullable(string("Local HH:MM; null for whole days.")),
        "whole_days": {"type": "boolean",
                       "description": "Local midnight to midnight on each weekday."},
        "starts_on": string("First day, local.", format="date"),
        "ends_on": string("Last day, inclusive, local.", format="date"),
        "purpose": string(),
        "proposed_monthly_fee_cents": integer(minimum=0),
        "monthly_fee_cents": nullable(integer("Final fee, set on approval.", minimum=0)),
        "currency": string(enum=["EUR"]),
        "status": string(enum=["requested", "approved", "rejected", "ended"]),
        "reason": nullable(string("Why it was rejected or ended early.")),
        "decided_at": nullable(ref("Instant")),
        "created_at": ref("Instant"),
        "clashes": {"type": "array", "items": ref("TenancyClash"),
                    "description": "While requested: the existing bookings its future "
                                   "occurrences would overlap. Approval is refused (409) "
                                   "until none is left."},
    }),
    "TenancyRequest": obj({
        "organisation_id": integer("The caller must be an admin of it."),
        "unit_ids": {"type": "array", "items": integer(), "minItems": 1,
                     "description": "Units of one lab."},
        "weekdays": {"type": "array", "items": _WEEKDAY_CODE, "minItems": 1},
        "start_time": _CLOCK,
        "end_time": _CLOCK,
        "whole_days": {"type": "boolean", "default": False,
                       "description": "Instead of `start_time` and `end_time`."},
        "starts_on": string("First day, local, not in the past.", format="date"),
        "ends_on": string("Last day, inclusive, local.", format="date"),
        "purpose": string(maxLength=500),
        "proposed_monthly_fee_cents": integer(minimum=0),
    }, optional=("start_time", "end_time", "whole_days"), closed=True,
        description="Occurrences keep their local wall-clock time across daylight-saving "
                    "changes."),
    "TenancyApproval": obj({
        "monthly_fee_cents": integer("The final monthly fee (net).", minimum=0),
        "ends_on": nullable(string("Another last day (inclusive).", format="date")),
    }, optional=("ends_on",), closed=True),
    "TenancyRejection": obj({"reason": string("Required.", maxLength=500)}, closed=True),
    "TenancyEnd": obj({
        "ends_on": string("The new last day: today or later, before the current one.",
                          format="date"),
        "reason": nullable(string(maxLength=500)),
    }, optional=("reason",), closed=True),
    "MoveRequest": obj({"unit_id": integer("Another active unit of the same kind at the "
                                           "same lab.")}, closed=True),
})

PARAMETERS["TenancyId"] = path_parameter("tenancy_id", integer(), "Id of the tenancy.")

_TENANCY_DECISION_ERRORS = ["InvalidJson", "Forbidden", "NotFound", "InvalidTransition",
                            "Validation"]

PATHS.update({
    "/tenancies": {
        "post": operation(
            "requestTenancy", "Apply for a partner tenancy", tag="tenancies",
            parameters=["CsrfToken"], body=("TenancyRequest", True),
            description="Organisation admins apply; the lab's managers decide. Nothing is "
                        "blocked until approval.",
            ok=(201, "The requested tenancy with its clashes.", ref("Tenancy")),
            errors=["InvalidJson", "Forbidden", "Validation"],
        ),
        "get": operation(
            "listTenancies", "Tenancies the caller may see", tag="tenancies",
            description="Of the organisations the caller administers; for managers also "
                        "those of their labs.",
            parameters=[
                query_parameter("status", string(enum=["requested", "approved", "rejected",
                                                       "ended"]), "Only this status."),
                query_parameter("site", string(), "Only this lab (unknown: 422)."),
            ],
            ok=(200, "All matching tenancies, newest first.", page_of("Tenancy")),
            errors=["Validation"],
        ),
    },
    "/tenancies/{tenancy_id}": {"get": operation(
        "getTenancy", "One tenancy", tag="tenancies", parameters=["TenancyId"],
        ok=(200, "The tenancy.", ref("Tenancy")), errors=["Forbidden", "NotFound"],
    )},
    "/tenancies/{tenancy_id}/approve": {"post": operation(
        "approveTenancy", "Approve a tenancy and book its occurrences", tag="tenancies",
        description="Managers of the lab. Refused with 409 `conflict` while an existing "
                    "booking clashes (move or cancel it first); a second decision is 409 "
                    "`invalid_transition` (already decided). All occurrences or none.",
        parameters=["TenancyId", "CsrfToken"], body=("TenancyApproval", True),
        ok=(200, "The approved tenancy.", ref("Tenancy")),
        errors=[*_TENANCY_DECISION_ERRORS, "Conflict"],
    )},
    "/tenancies/{tenancy_id}/reject": {"post": operation(
        "rejectTenancy", "Reject a tenancy request", tag="tenancies",
        description="Managers of the lab; a reason is required.",
        parameters=["TenancyId", "CsrfToken"], body=("TenancyRejection", True),
        ok=(200, "The rejected tenancy.", ref("Tenancy")), errors=_TENANCY_DECISION_ERRORS,
    )},
    "/tenancies/{tenancy_id}/end": {"post": operation(
        "endTenancy", "End an approved tenancy early", tag="tenancies",
        description="Managers of the lab. The occurrences after the new last day are "
                    "cancelled (free at once); earlier ones stay.",
        parameters=["TenancyId", "CsrfToken"], body=("TenancyEnd", True),
        ok=(200, "The ended tenancy.", ref("Tenancy")), errors=_TENANCY_DECISION_ERRORS,
    )},
    "/bookings/{booking_id}/move": {"post": operation(
        "moveBooking", "Move a booking to another unit", tag="bookings",
        description="Managers of the lab: to another active unit of the same kind that is "
                    "free for the booking's time (the rules of a new booking apply, except "
                    "the lead time). Id, status and times stay; the booker is told by mail.",
        parameters=["BookingId", "CsrfToken"], body=("MoveRequest", True),
        ok=(200, "The moved booking.", ref("Booking")),
        errors=["InvalidJson", "Forbidden", "NotFound", "Conflict", "InvalidTransition",
                "Validation"],
    )},
})


# --- decisions on requests and check-in -----------------------------------------------------

SCHEMAS.update({
    "RejectRequest": obj({"reason": string(maxLength=500, description=(
        "Required: why the request is rejected (sent to the requester)."))}, closed=True),
})

_DECISION_ERRORS = ["InvalidJson", "Forbidden", "NotFound", "InvalidTransition", "Validation"]

PATHS.update({
    "/bookings/{booking_id}/approve": {"post": operation(
        "approveBooking", "Approve a requested booking", tag="bookings",
        description="Managers of the booking's lab and chamber admins. The booking moves on "
                    "to `held` (payment due, with `hold_expires_at`) or `confirmed`; the "
                    "requester is mailed. A request decided already answers 409 "
                    "`invalid_transition` (\"already decided\"); of two managers deciding "
                    "at the same moment exactly one succeeds. No body is needed.",
        parameters=["BookingId", "CsrfToken"],
        ok=(200, "The approved booking.", ref("Booking")), errors=_DECISION_ERRORS,
    )},
    "/bookings/{booking_id}/reject": {"post": operation(
        "rejectBooking", "Reject a requested booking", tag="bookings",
        description="Managers of the booking's lab and chamber admins; a `reason` is "
                    "required (422 without). The slot is free at once and the requester is "
                    "mailed the reason. A request decided already answers 409 "
                    "`invalid_transition`.",
        parameters=["BookingId", "CsrfToken"], body=("RejectRequest", True),
        ok=(200, "The rejected booking.", ref("Booking")), errors=_DECISION_ERRORS,
    )},
    "/bookings/{booking_id}/check-in": {"post": operation(
        "checkInBooking", "Check a booking in at the lab", tag="bookings",
        description="The booker during the booked time, or a manager of the lab (from the "
                    "start of the booking's day). Only confirmed bookings; twice is a 409 "
                    "`invalid_transition`. Confirmed hourly desk bookings not checked in "
                    "within NO_SHOW_GRACE_MINUTES of their start become `no_show`, which "
                    "frees them. No body is needed.",
        parameters=["BookingId", "CsrfToken"],
        ok=(200, "The booking, checked in.", ref("Booking")), errors=_DECISION_ERRORS,
    )},
})


def document(version="1.0.0"):
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Stadtlabor booking API",
            "version": version,
            "description": "JSON API of the chamber's city labs. Instants are Europe/Berlin "
                           "local time with offset; money is integer cents; messages follow "
                           "Accept-Language (German by default, English available); errors "
                           "are `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": AUTHENTICATED,
        "tags": [{"name": "catalogue"}, {"name": "account"}, {"name": "bookings"},
                 {"name": "meta"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(document())
