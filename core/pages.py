"""Legally required pages of a German website: Impressum, privacy, accessibility."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/impressum")
def imprint():
    return render_template("pages/imprint.html", text=current_app.config["IMPRINT_TEXT"])


@bp.get("/datenschutz")
def privacy():
    return render_template("pages/privacy.html", contact=current_app.config["PRIVACY_CONTACT"])


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template(
        "pages/accessibility.html", contact=current_app.config["ACCESSIBILITY_CONTACT"]
    )
