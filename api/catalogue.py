"""Public catalogue: sites and units; and the caller (``/me``)."""
from flask import jsonify, request

from api import bp
from api.access import require_caller
from api.parsing import Fields
from api.representations import me_json, site_json, unit_json
from calendars.tokens import private_feed_url, regenerate_ical_token
from spaces.models import UnitKind
from spaces.services import active_units, all_sites, site_by_slug, unit_by_id

UNIT_KINDS = tuple(kind.value for kind in UnitKind)


@bp.get("/sites")
def list_sites():
    return jsonify({"items": [site_json(site) for site in all_sites()], "next": None})


@bp.get("/sites/<slug>")
def get_site(slug):
    return jsonify(site_json(site_by_slug(slug)))


@bp.get("/sites/<slug>/units")
def list_site_units(slug):
    site = site_by_slug(slug)
    query = Fields(request.args, from_query=True)
    kind = query.choice("kind", UNIT_KINDS)
    query.check()
    return jsonify({"items": [unit_json(unit) for unit in active_units(site, kind)], "next": None})


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id):
    return jsonify(unit_json(unit_by_id(unit_id)))


@bp.get("/me")
def get_me():
    return jsonify(me_json(require_caller(), all_sites()))


@bp.post("/me/ical-token")
def renew_ical_token():
    """A new private feed URL; the old one answers 404 from now on."""
    caller = require_caller()
    regenerate_ical_token(caller, actor=caller)
    return jsonify({"ical_url": private_feed_url(caller)})
