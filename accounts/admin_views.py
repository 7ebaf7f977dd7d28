"""Chamber admin pages: users, chamber admins and lab managers (blueprint ``accounts``)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import administration as service
from accounts import policy
from accounts.forms import ChamberAdminForm, SiteRoleForm
from accounts.views import INVALID, bp
from core.errors import ValidationError
from core.messages import message_for
from core.time import utcnow


@bp.before_request
def _only_chamber_admins():
    # Every /admin/ page of this blueprint is for chamber admins only.
    if request.path.startswith("/admin/"):
        if not current_user.is_authenticated:
            from extensions import login_manager

            return login_manager.unauthorized()
        if not policy.can_manage_users(current_user):
            abort(403)
    return None


def _site_role_form(sites):
    form = SiteRoleForm(formdata=None)
    form.site_id.choices = list(sites.items())
    return form


def _user_page(user, status=200):
    sites = service.site_names()
    return render_template(
        "admin/user.html", user=user, sites=sites,
        admin_form=ChamberAdminForm(formdata=None), site_role_form=_site_role_form(sites),
    ), status


@bp.get("/admin/users")
@login_required
def admin_users():
    query = request.args.get("q", "")[:120]
    return render_template("admin/users.html", users=service.search_users(query), query=query,
                           sites=service.site_names(), limit=service.SEARCH_LIMIT)


@bp.get("/admin/users/<int:user_id>")
@login_required
def admin_user(user_id):
    return _user_page(service.user_by_id(user_id))


@bp.post("/admin/users/<int:user_id>/chamber-admin")
@login_required
def admin_set_chamber_admin(user_id):
    user = service.user_by_id(user_id)
    form = ChamberAdminForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.set_chamber_admin(current_user, user, form.make_admin.data == "1", now=utcnow())
    except ValidationError as error:
        flash(message_for(error), "error")
        return _user_page(user, status=INVALID)
    flash(_("The roles of %(email)s have been saved.", email=user.email), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/site-roles")
@login_required
def admin_site_role(user_id):
    user = service.user_by_id(user_id)
    form = SiteRoleForm()
    form.site_id.choices = list(service.site_names().items())
    if not form.validate_on_submit():
        flash(_("Please choose a site."), "error")
        return _user_page(user, status=INVALID)
    if form.action.data == "grant":
        service.grant_lab_manager(current_user, user, form.site_id.data, now=utcnow())
    else:
        service.revoke_lab_manager(current_user, user, form.site_id.data, now=utcnow())
    flash(_("The roles of %(email)s have been saved.", email=user.email), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))
