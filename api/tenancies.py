"""Partner tenancies over the API: apply, list, approve, reject, end early."""
from datetime import date, time

from flask import jsonify, request

from accounts import policy
from api import bp
from api.access import require_caller
from api.lookups import find_organisation, find_site, find_unit
from api.parsing import Fields, json_object
from api.representations import absolute_url, interval_json
from bookings import tenancies
from bookings.recurrence import WEEKDAYS
from bookings.tenancy_models import TenancyStatus
from core.errors import NotAllowed
from core.time import format_instant, utcnow

TENANCY_FIELDS = {
    "organisation_id", "unit_ids", "weekdays", "start_time", "end_time", "whole_days",
    "starts_on", "ends_on", "purpose", "proposed_monthly_fee_cents",
}
STATUSES = tuple(status.value for status in TenancyStatus)


# --- reading ------------------------------------------------------------------------------

def _date(fields, name, *, required=False):
    value = fields.string(name, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fields.fail(name, "invalid_date")
        return None


def _clock(fields, name):
    value = fields.string(name)
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        fields.fail(name, "invalid_time")
        return None
    if parsed.tzinfo is not None:
        fields.fail(name, "invalid_time")  # a local wall-clock time has no offset
        return None
    return parsed


def _list(fields, name, item_ok):
    value = fields.data.get(name)
    if value is None:
        fields.fail(name, "required")
        return None
    if not isinstance(value, list) or not value or not all(item_ok(item) for item in value):
        fields.fail(name, "must_be_list" if not isinstance(value, list) or not value
                    else "unknown")
        return None
    return value


def _unit_ids_ok(item):
    return isinstance(item, int) and not isinstance(item, bool) and item >= 1


def _weekday_ok(item):
    return isinstance(item, str) and item.upper() in WEEKDAYS


def read_tenancy_request(body):
    fields = Fields(body, allowed=TENANCY_FIELDS)
    organisation = fields.lookup("organisation_id",
                                 fields.integer("organisation_id", required=True, minimum=1),
                                 find_organisation)
    unit_ids = _list(fields, "unit_ids", _unit_ids_ok)
    units = []
    for unit_id in dict.fromkeys(unit_ids or []):
        unit = fields.lookup("unit_ids", unit_id, find_unit)
        if unit is not None:
            units.append(unit)
    whole_days = bool(fields.boolean("whole_days"))
    arguments = {
        "organisation": organisation,
        "units": units,
        "weekdays": _list(fields, "weekdays", _weekday_ok),
        "whole_days": whole_days,
        "start_time": _clock(fields, "start_time"),
        "end_time": _clock(fields, "end_time"),
        "starts_on": _date(fields, "starts_on", required=True),
        "ends_on": _date(fields, "ends_on", required=True),
        "purpose": fields.string("purpose", required=True, max_length=500),
        "proposed_monthly_fee_cents": fields.integer("proposed_monthly_fee_cents",
                                                     required=True, minimum=0),
    }
    if not whole_days:
        for name in ("start_time", "end_time"):
            if body.get(name) is None:
                fields.fail(name, "required")
    fields.check()
    return arguments


# --- writing ------------------------------------------------------------------------------

def tenancy_json(tenancy, viewer, now):
    """A tenancy; its clashes name bookings and bookers only for the lab's managers."""
    manager = policy.can_decide_tenancy(viewer, tenancy)
    clashes = []
    for booking in tenancies.tenancy_clashes(tenancy, now):
        clash = {"unit_id": booking.unit_id, **interval_json(booking.starts_at,
                                                            booking.ends_at)}
        if manager:
            clash["booking_id"] = booking.id
            clash["booked_by"] = booking.booked_by.display_name if booking.booked_by else None
        clashes.append(clash)
    return {
        "id": tenancy.id,
        "organisation_id": tenancy.organisation_id,
        "site": tenancy.site.slug,
        "unit_ids": tenancy.unit_ids,
        "weekdays": tenancy.weekday_codes,
        "start_time": tenancy.start_time.strftime("%H:%M") if tenancy.start_time else None,
        "end_time": tenancy.end_time.strftime("%H:%M") if tenancy.end_time else None,
        "whole_days": tenancy.whole_days,
        "starts_on": tenancy.starts_on.isoformat(),
        "ends_on": tenancy.ends_on.isoformat(),
        "purpose": tenancy.purpose,
        "proposed_monthly_fee_cents": tenancy.proposed_monthly_fee_cents,
        "monthly_fee_cents": tenancy.monthly_fee_cents,
        "currency": "EUR",
        "status": tenancy.status,
        "reason": tenancy.reason,
        "decided_at": format_instant(tenancy.decided_at),
        "created_at": format_instant(tenancy.created_at),
        "clashes": clashes,
    }


def _visible_tenancy(actor, tenancy_id):
    tenancy = tenancies.get_tenancy(tenancy_id)
    if not policy.can_view_tenancy(actor, tenancy):
        raise NotAllowed()
    return tenancy


# --- endpoints ----------------------------------------------------------------------------

@bp.post("/tenancies")
def create_tenancy():
    actor = require_caller()
    arguments = read_tenancy_request(json_object())
    now = utcnow()
    tenancy = tenancies.request_tenancy(actor, now=now, **arguments)
    location = absolute_url("api.get_tenancy", tenancy_id=tenancy.id)
    return jsonify(tenancy_json(tenancy, actor, now)), 201, {"Location": location}


@bp.get("/tenancies")
def list_tenancies():
    actor = require_caller()
    query = Fields(request.args, from_query=True)
    status = query.choice("status", STATUSES)
    site = query.lookup("site", query.string("site"), find_site)
    query.check()
    now = utcnow()
    items = tenancies.list_tenancies(actor, site=site, status=status)
    return jsonify({"items": [tenancy_json(tenancy, actor, now) for tenancy in items],
                    "next": None})


@bp.get("/tenancies/<int:tenancy_id>")
def get_tenancy(tenancy_id):
    actor = require_caller()
    return jsonify(tenancy_json(_visible_tenancy(actor, tenancy_id), actor, utcnow()))


@bp.post("/tenancies/<int:tenancy_id>/approve")
def approve_tenancy(tenancy_id):
    actor = require_caller()
    tenancy = _visible_tenancy(actor, tenancy_id)
    _require_decider(actor, tenancy)
    body = Fields(json_object(), allowed={"monthly_fee_cents", "ends_on"})
    fee = body.integer("monthly_fee_cents", required=True, minimum=0)
    ends_on = _date(body, "ends_on")
    body.check()
    now = utcnow()
    tenancy = tenancies.approve_tenancy(actor, tenancy, now=now, monthly_fee_cents=fee,
                                        ends_on=ends_on)
    return jsonify(tenancy_json(tenancy, actor, now))


def _require_decider(actor, tenancy):
    # The applicant sees the tenancy but may not decide it: 403 before judging the body.
    if not policy.can_decide_tenancy(actor, tenancy):
        raise NotAllowed()


@bp.post("/tenancies/<int:tenancy_id>/reject")
def reject_tenancy(tenancy_id):
    actor = require_caller()
    tenancy = _visible_tenancy(actor, tenancy_id)
    _require_decider(actor, tenancy)
    body = Fields(json_object(optional=True), allowed={"reason"})
    reason = body.string("reason", max_length=500)
    body.check()
    now = utcnow()
    tenancy = tenancies.reject_tenancy(actor, tenancy, now=now, reason=reason)
    return jsonify(tenancy_json(tenancy, actor, now))


@bp.post("/tenancies/<int:tenancy_id>/end")
def end_tenancy(tenancy_id):
    actor = require_caller()
    tenancy = _visible_tenancy(actor, tenancy_id)
    _require_decider(actor, tenancy)
    body = Fields(json_object(), allowed={"ends_on", "reason"})
    ends_on = _date(body, "ends_on", required=True)
    reason = body.string("reason", max_length=500)
    body.check()
    now = utcnow()
    tenancy = tenancies.end_tenancy(actor, tenancy, ends_on=ends_on, now=now, reason=reason)
    return jsonify(tenancy_json(tenancy, actor, now))
