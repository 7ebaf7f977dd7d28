"""Public pages: the four labs, a lab with its units, a unit."""
from flask import Blueprint, abort, current_app, render_template, request

from core import hooks
from spaces import photos
from spaces.messages import GRANULARITY_LABELS, KIND_LABELS, WEEKDAY_LABELS
from spaces.services import active_units, all_sites, site_by_slug, unit_by_id

bp = Blueprint("spaces", __name__)


@bp.app_context_processor
def labels():
    return {
        "kind_labels": KIND_LABELS,
        "granularity_labels": GRANULARITY_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
    }


@bp.get("/")
def home():
    return render_template("spaces/home.html", sites=all_sites())


@bp.get("/sites/<slug>")
def site(slug):
    site = site_by_slug(slug)
    units = active_units(site)
    prices = hooks.ask("unit_prices", units, default={})
    return render_template("spaces/site.html", site=site, units=units, prices=prices,
                           photo_versions=photos.photo_versions([u.id for u in units]))


@bp.get("/units/<int:unit_id>")
def unit(unit_id):
    unit = unit_by_id(unit_id)
    prices = hooks.ask("unit_prices", [unit], default={})
    return render_template("spaces/unit.html", unit=unit, site=unit.site,
                           price=prices.get(unit.id),
                           photo_version=photos.photo_versions([unit.id]).get(unit.id))


@bp.get("/units/<int:unit_id>/photo")
def unit_photo(unit_id):
    photo = photos.photo_of(unit_id)
    if photo is None:
        abort(404)
    response = current_app.response_class(photo.content, mimetype=photo.content_type)
    response.set_etag(photos.photo_etag(photo))
    response.last_modified = photo.updated_at
    # Revalidate after an hour; a new photo gets a new URL (``v``) on the pages anyway.
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
