"""Lab manager pages of a site (``/manage/<slug>``): read-only overview for now.

Lab managers see their own sites, chamber admins all; everyone else gets 403.
"""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import SiteRole, User
from core.time import local_date, utcnow
from extensions import db
from spaces.services import all_sites, site_by_slug

bp = Blueprint("manage", __name__, url_prefix="/manage")


def managers_of(site):
    return db.session.scalars(
        db.select(User).join(SiteRole)
        .where(SiteRole.site_id == site.id, SiteRole.role == "manager")
        .order_by(User.display_name)
    ).all()


@bp.get("/")
@login_required
def index():
    sites = [site for site in all_sites() if policy.can_manage_site(current_user, site.id)]
    if not sites:
        abort(403)
    return render_template("manage/index.html", sites=sites)


@bp.get("/<slug>")
@login_required
def site(slug):
    site = site_by_slug(slug)
    if not policy.can_manage_site(current_user, site.id):
        abort(403)
    today = local_date(utcnow())
    closures = [closure for closure in site.closures if closure.ends_on >= today]
    return render_template("manage/site.html", site=site, units=site.units, closures=closures,
                           managers=managers_of(site))
