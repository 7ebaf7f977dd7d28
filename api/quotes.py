"""``POST /api/v1/quotes``: the price of a booking request, without booking."""
from flask import jsonify

from api import bp
from api.access import caller
from api.bookings import read_booking_request
from api.parsing import json_object
from billing.quoting import quote_request
from core.time import utcnow


@bp.post("/quotes")
def create_quote():
    body = json_object()
    # Same body as a booking; accepting the terms is for booking, not for asking a price.
    body = {**body, "terms_accepted": True}
    arguments, recurrence = read_booking_request(body)
    arguments.pop("terms_accepted", None)
    arguments.pop("partial", None)
    actor = caller()
    if actor is None and arguments.get("organisation") is not None:
        from flask import abort

        abort(401)
    quote = quote_request(actor, now=utcnow(), recurrence=recurrence, **arguments)
    return jsonify(quote)
