"""Moving a booking to another unit of the same kind at its lab (managers)."""
from flask import jsonify

from accounts import policy
from api import bp
from api.access import require_caller
from api.lookups import find_unit
from api.parsing import Fields, json_object
from api.representations import booking_json
from bookings.moves import move_booking as move
from bookings.services import get_booking
from core.errors import NotAllowed
from core.time import utcnow


@bp.post("/bookings/<int:booking_id>/move")
def move_booking(booking_id):
    actor = require_caller()
    booking = get_booking(booking_id)
    if not policy.can_move_booking(actor, booking):
        raise NotAllowed()
    body = Fields(json_object(), allowed={"unit_id"})
    unit = body.lookup("unit_id", body.integer("unit_id", required=True, minimum=1), find_unit)
    body.check()
    booking = move(actor, booking, unit=unit, now=utcnow())
    return jsonify(booking_json(booking))
