"""Public availability search: which units are free when."""
from flask import jsonify, request

from api import bp
from api.lookups import find_site, find_unit
from api.parsing import Fields
from api.representations import availability_json
from bookings.availability import search_availability
from core.time import utcnow


@bp.get("/availability")
def search_free_units():
    query = Fields(request.args, from_query=True)
    site = query.lookup("site", query.string("site"), find_site)
    kind = query.string("kind")
    unit = query.lookup("unit", query.integer("unit", minimum=1), find_unit)
    start = query.instant("start", required=True)
    end = query.instant("end", required=True)
    given = {name for name in ("site", "kind", "unit") if request.args.get(name)}
    if "unit" not in given and "site" not in given:
        query.fail("site", "required")
    if "unit" in given and given & {"site", "kind"}:
        query.fail("unit", "unit_or_site_and_kind")
    query.check()
    results = search_availability(now=utcnow(), start=start, end=end, site=site, kind=kind,
                                  unit=unit)
    return jsonify(availability_json(results))
