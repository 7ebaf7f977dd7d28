"""Tenancy pages: organisation admins apply and follow their tenancies; lab managers see
each request with its clashes, move or cancel the clashing bookings, approve, reject or
end a tenancy early. Every change is a POST form with a CSRF token; after it, the page
is shown again (a failed change explains itself in a flash message).
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import MembershipRole
from bookings import moves, tenancies
from bookings.messages import STATUS_LABELS
from bookings.services import cancel_booking, get_booking
from bookings.tenancy_forms import (
    ApproveForm, EndForm, RejectForm, TenancyForm, weekday_choices,
)
from bookings.tenancy_messages import TENANCY_STATUS_LABELS
from bookings.tenancy_models import TenancyStatus
from core.errors import DomainError
from core.time import local_date, utcnow
from core.web import flash_error
from extensions import db
from spaces.messages import KIND_LABELS, WEEKDAY_LABELS
from spaces.models import Unit
from spaces.services import all_sites, site_by_slug

bp = Blueprint("tenancies", __name__)


def tenancy_schedule(tenancy):
    """"Thursday 09:00–16:00" or "whole days: Monday, Tuesday" in the current language."""
    days = ", ".join(str(WEEKDAY_LABELS[index]) for index in
                     sorted("MO TU WE TH FR SA SU".split().index(c) for c in tenancy.weekday_codes))
    if tenancy.whole_days:
        return _("whole days: %(days)s", days=days)
    return _("%(days)s, %(start)s–%(end)s", days=days, start=tenancy.start_time.strftime("%H:%M"),
             end=tenancy.end_time.strftime("%H:%M"))


def tenancy_money(cents):
    return format_currency(cents / 100, "EUR")


for _helper in (tenancy_schedule, tenancy_money):
    bp.add_app_template_global(_helper)
bp.add_app_template_global(TENANCY_STATUS_LABELS, "tenancy_status_labels")
bp.add_app_template_global(STATUS_LABELS, "tenancy_booking_status_labels")


def _administered_organisations():
    return sorted((m.organisation for m in current_user.memberships
                   if m.role == MembershipRole.ADMIN), key=lambda o: o.name)


# --- organisation admins -------------------------------------------------------------------

@bp.get("/tenancies")
@login_required
def mine():
    organisations = _administered_organisations()
    organisation_ids = {organisation.id for organisation in organisations}
    own = [tenancy for tenancy in tenancies.list_tenancies(current_user)
           if tenancy.organisation_id in organisation_ids]
    managed = [site for site in all_sites() if policy.can_manage_site(current_user, site.id)]
    if not organisations and not managed:
        abort(403)
    return render_template("tenancies/mine.html", tenancies=own, organisations=organisations,
                           managed_sites=managed)


def _unit_choices():
    choices = []
    for site in all_sites():
        for unit in site.units:
            if unit.active:
                choices.append((unit.id, f"{site.name} – {unit.name} ({KIND_LABELS[unit.kind]})"))
    return choices


@bp.route("/tenancies/apply", methods=["GET", "POST"])
@login_required
def apply():
    organisations = _administered_organisations()
    if not organisations:
        abort(403)
    form = TenancyForm()
    form.organisation.choices = [(str(o.id), o.name) for o in organisations]
    form.units.choices = _unit_choices()
    form.weekdays.choices = weekday_choices(WEEKDAY_LABELS)
    status = 200
    if request.method == "POST":
        if form.validate():
            organisation = next(o for o in organisations if str(o.id) == form.organisation.data)
            units = db.session.scalars(db.select(Unit).where(Unit.id.in_(form.units.data))).all()
            try:
                tenancy = tenancies.request_tenancy(
                    current_user, organisation=organisation, units=units,
                    weekdays=form.weekdays.data, whole_days=form.whole_days.data,
                    start_time=None if form.whole_days.data else form.start_time.data,
                    end_time=None if form.whole_days.data else form.end_time.data,
                    starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                    purpose=form.purpose.data, proposed_monthly_fee_cents=form.proposed_fee.cents,
                    now=utcnow())
            except DomainError as error:
                flash_error(error)
                status = error.status
            else:
                flash(_("Your application no. %(id)s has been sent to the lab team.",
                        id=tenancy.id), "success")
                return redirect(url_for("tenancies.mine"))
        else:
            flash(_("Please check the marked fields."), "error")
            status = 422
    return render_template("tenancies/apply.html", form=form), status


# --- lab managers ---------------------------------------------------------------------------

def _managed_site(slug):
    site = site_by_slug(slug)
    if not policy.can_manage_site(current_user, site.id):
        abort(403)
    return site


@bp.get("/manage/<slug>/tenancies")
@login_required
def site_requests(slug):
    site = _managed_site(slug)
    now = utcnow()
    all_of_site = tenancies.list_tenancies(current_user, site=site)
    requested = [(tenancy, tenancies.clash_alternatives(tenancy, now))
                 for tenancy in all_of_site if tenancy.status == TenancyStatus.REQUESTED]
    requested.reverse()  # oldest first: the queue is worked from the top
    running = [t for t in all_of_site if t.status == TenancyStatus.APPROVED
               and t.ends_on >= local_date(now)]
    decided = [t for t in all_of_site if t.status != TenancyStatus.REQUESTED and t not in running]
    return render_template("tenancies/site.html", site=site, requested=requested,
                           running=running, decided=decided, approve_form=ApproveForm(),
                           reject_form=RejectForm(), end_form=EndForm(),
                           today=local_date(now))


def _back_to(tenancy):
    return redirect(url_for("tenancies.site_requests", slug=tenancy.site.slug)
                    + f"#tenancy-{tenancy.id}")


def _decided_tenancy(tenancy_id):
    tenancy = tenancies.get_tenancy(tenancy_id)
    if not policy.can_decide_tenancy(current_user, tenancy):
        abort(403)
    return tenancy


def _form_problem(form):
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
            return


@bp.post("/manage/tenancies/<int:tenancy_id>/approve")
@login_required
def approve(tenancy_id):
    tenancy = _decided_tenancy(tenancy_id)
    form = ApproveForm()
    if not form.validate():
        _form_problem(form)
        return _back_to(tenancy)
    try:
        tenancies.approve_tenancy(current_user, tenancy, now=utcnow(),
                                  monthly_fee_cents=form.monthly_fee.cents,
                                  ends_on=form.ends_on.data)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("The tenancy is approved; its dates are booked."), "success")
    return _back_to(tenancy)


@bp.post("/manage/tenancies/<int:tenancy_id>/reject")
@login_required
def reject(tenancy_id):
    tenancy = _decided_tenancy(tenancy_id)
    form = RejectForm()
    if not form.validate():
        _form_problem(form)
        return _back_to(tenancy)
    try:
        tenancies.reject_tenancy(current_user, tenancy, now=utcnow(), reason=form.reason.data)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("The tenancy request is rejected."), "success")
    return _back_to(tenancy)


@bp.post("/manage/tenancies/<int:tenancy_id>/end")
@login_required
def end(tenancy_id):
    tenancy = _decided_tenancy(tenancy_id)
    form = EndForm()
    if not form.validate():
        _form_problem(form)
        return _back_to(tenancy)
    try:
        tenancies.end_tenancy(current_user, tenancy, ends_on=form.ends_on.data, now=utcnow(),
                              reason=form.reason.data)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("The tenancy ends early; the later dates are free again."), "success")
    return _back_to(tenancy)


def _clash_booking(booking_id):
    """The booking and the tenancy page to return to (``tenancy_id`` in the form)."""
    booking = get_booking(booking_id)
    if not policy.can_move_booking(current_user, booking):
        abort(403)
    tenancy = tenancies.get_tenancy(request.form.get("tenancy_id", type=int))
    if tenancy.site_id != booking.unit.site_id:
        abort(404)
    return booking, tenancy


@bp.post("/manage/bookings/<int:booking_id>/move")
@login_required
def move(booking_id):
    booking, tenancy = _clash_booking(booking_id)
    unit = db.session.get(Unit, request.form.get("unit_id", type=int) or 0)
    if unit is None:
        abort(404)
    try:
        moves.move_booking(current_user, booking, unit=unit, now=utcnow())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("Booking no. %(id)s moved to %(unit)s; the booker is told by mail.",
                id=booking_id, unit=unit.name), "success")
    return _back_to(tenancy)


@bp.post("/manage/bookings/<int:booking_id>/cancel-clash")
@login_required
def cancel_clash(booking_id):
    booking, tenancy = _clash_booking(booking_id)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Please tell the booker why the booking is cancelled."), "error")
        return _back_to(tenancy)
    try:
        cancel_booking(current_user, booking, now=utcnow(), reason=reason[:500])
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("Booking no. %(id)s is cancelled.", id=booking_id), "success")
    return _back_to(tenancy)
