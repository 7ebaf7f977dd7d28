"""Public pages: the four labs, a lab with its units, a unit."""
from flask import Blueprint, render_template

from core import hooks
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
    return render_template("spaces/site.html", site=site, units=units, prices=prices)


@bp.get("/units/<int:unit_id>")
def unit(unit_id):
    unit = unit_by_id(unit_id)
    prices = hooks.ask("unit_prices", [unit], default={})
    return render_template("spaces/unit.html", unit=unit, site=unit.site, price=prices.get(unit.id))
