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
        "address": string("Street and number."),
        "postcode": string(),
        "city": string(),
        "opening_hours": {"type": "array", "items": ref("OpeningHours")},
        "closures": {"type": "array", "items": ref("Closure"),
                     "description": "Closures that have not ended yet."},
    }),
    "Unit": obj({
        "id": integer(),
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
    "Price": obj({
        "net_cents": integer(), "vat_cents": integer(), "gross_cents": integer(),
        "subsidy_cents": integer(), "vat_rate": {"type": ["string", "number"]},
        "currency": string(enum=["EUR"]),
    }, optional=("subsidy_cents", "vat_rate"), description="Price snapshot in integer cents."),
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
