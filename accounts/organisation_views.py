"""Organisation pages: details, members, invitations (blueprint ``accounts``)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import organisations as service
from accounts import policy
from accounts.forms import ConfirmForm, InvitationForm, MemberRoleForm, OrganisationForm
from accounts.organisations import ORGANISATION_FIELDS
from accounts.views import INVALID, bp
from core.errors import ValidationError
from core.messages import message_for
from core.time import utcnow


def _form_values(form):
    return {field: getattr(form, field).data for field in ORGANISATION_FIELDS}


def _organisation_page(organisation, invite_form=None, status=200):
    manages = policy.can_manage_organisation(current_user, organisation.id)
    return render_template(
        "accounts/organisation.html",
        organisation=organisation,
        members=service.members_of(organisation),
        invitations=service.pending_invitations(organisation) if manages else [],
        manages=manages,
        invite_form=invite_form or InvitationForm(formdata=None),
        role_form=MemberRoleForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    ), status


def _viewable(organisation_id):
    organisation = service.organisation_by_id(organisation_id)
    if not policy.can_view_organisation(current_user, organisation.id):
        abort(403)
    return organisation


def _manageable(organisation_id):
    organisation = service.organisation_by_id(organisation_id)
    if not policy.can_manage_organisation(current_user, organisation.id):
        abort(403)
    return organisation


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation():
    form = OrganisationForm()
    if not form.validate_on_submit():
        status = INVALID if request.method == "POST" else 200
        return render_template("accounts/organisation_form.html", form=form,
                               organisation=None), status
    organisation = service.create_organisation_for(current_user, _form_values(form), now=utcnow())
    flash(_("The organisation has been created. You are its admin."), "success")
    return redirect(url_for("accounts.organisation", organisation_id=organisation.id))


@bp.get("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id):
    return _organisation_page(_viewable(organisation_id))


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id):
    organisation = _manageable(organisation_id)
    form = OrganisationForm(obj=organisation)
    if not form.validate_on_submit():
        status = INVALID if request.method == "POST" else 200
        return render_template("accounts/organisation_form.html", form=form,
                               organisation=organisation), status
    service.update_organisation(current_user, organisation, _form_values(form), now=utcnow())
    flash(_("The details have been saved."), "success")
    return redirect(url_for("accounts.organisation", organisation_id=organisation.id))


@bp.post("/organisations/<int:organisation_id>/invitations")
@login_required
def invite_member(organisation_id):
    organisation = _manageable(organisation_id)
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            service.invite_member(current_user, organisation, form.email.data, form.role.data,
                                  now=utcnow())
        except ValidationError as error:
            form.email.errors.append(message_for(error))
        else:
            flash(_("The invitation has been sent to %(email)s.", email=form.email.data),
                  "success")
            return redirect(url_for("accounts.organisation", organisation_id=organisation.id))
    return _organisation_page(organisation, invite_form=form, status=INVALID)


@bp.post("/organisations/<int:organisation_id>/members/<int:membership_id>/role")
@login_required
def change_member_role(organisation_id, membership_id):
    organisation = _manageable(organisation_id)
    membership = service.membership_in(organisation, membership_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Please choose a role."), "error")
        return _organisation_page(organisation, status=INVALID)
    try:
        service.change_member_role(current_user, membership, form.role.data, now=utcnow())
    except ValidationError as error:
        flash(message_for(error), "error")
        return _organisation_page(organisation, status=INVALID)
    flash(_("The role has been changed."), "success")
    return redirect(url_for("accounts.organisation", organisation_id=organisation.id))


@bp.post("/organisations/<int:organisation_id>/members/<int:membership_id>/remove")
@login_required
def remove_member(organisation_id, membership_id):
    organisation = _viewable(organisation_id)
    membership = service.membership_in(organisation, membership_id)
    leaving = membership.user_id == current_user.id
    try:
        service.remove_member(current_user, membership, now=utcnow())
    except ValidationError as error:
        flash(message_for(error), "error")
        return _organisation_page(organisation, status=INVALID)
    if leaving and not policy.is_chamber_admin(current_user):
        flash(_("You have left the organisation."), "success")
        return redirect(url_for("accounts.profile"))
    flash(_("The member has been removed."), "success")
    return redirect(url_for("accounts.organisation", organisation_id=organisation.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    invitation = service.invitation_for_token(token)
    form = ConfirmForm()
    if request.method == "POST" and current_user.is_authenticated and form.validate_on_submit():
        membership = service.accept_invitation(current_user, token, now=utcnow())
        flash(_("Welcome to %(name)s.", name=membership.organisation.name), "success")
        return redirect(url_for("accounts.organisation",
                                organisation_id=membership.organisation_id))
    return render_template("accounts/invitation.html", invitation=invitation, form=form,
                           token=token)
