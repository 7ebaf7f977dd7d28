"""Deciding requests and checking in over the API:
``POST /api/v1/bookings/<id>/approve``, ``/reject`` (``{"reason"}``) and ``/check-in``."""
from flask import jsonify

from accounts import policy
from api import bp
from api.access import require_caller
from api.parsing import Fields, json_object
from api.representations import booking_json
from bookings import approvals, checkin, services
from core.errors import NotAllowed
from core.time import utcnow


@bp.post("/bookings/<int:booking_id>/approve")
def approve_booking(booking_id):
    actor = require_caller()
    booking = services.get_booking(booking_id)
    Fields(json_object(optional=True), allowed=set()).check()
    booking = approvals.approve_booking(actor, booking, now=utcnow())
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/reject")
def reject_booking(booking_id):
    actor = require_caller()
    booking = services.get_booking(booking_id)
    # Refuse outsiders before judging the body (403, not a 422 about the reason).
    if not policy.can_decide_booking(actor, booking):
        raise NotAllowed()
    body = Fields(json_object(optional=True), allowed={"reason"})
    reason = body.string("reason", max_length=500)
    body.check()
    booking = approvals.reject_booking(actor, booking, now=utcnow(), reason=reason)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/check-in")
def check_in_booking(booking_id):
    actor = require_caller()
    booking = services.get_booking(booking_id)
    Fields(json_object(optional=True), allowed=set()).check()
    booking = checkin.check_in(actor, booking, now=utcnow())
    return jsonify(booking_json(booking))
