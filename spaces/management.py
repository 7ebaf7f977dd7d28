"""Lab manager pages of a site (``/manage/<slug>/...``): units, opening hours, closures,
public holidays and the site's audit log. The booking pages of the same area (overview,
approval queue, check-in) are in ``bookings.management_views``.

Lab managers see their own sites, chamber admins all; everyone else gets 403. The audit
log is read-only: no route changes it.
"""
from datetime import time

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import SiteRole, User
from core.errors import ValidationError
from core.messages import message_for
from core.models import AuditEntry
from core.time import local_date, utcnow
from extensions import db
from spaces import editing, photos
from spaces.manage_forms import ClosureForm, HolidaysForm, UnitForm
from spaces.messages import WEEKDAY_LABELS
from spaces.models import Closure, Unit
from spaces.services import all_sites, site_by_slug

bp = Blueprint("manage", __name__, url_prefix="/manage")

AUDIT_PAGE_SIZE = 50


def managers_of(site):
    return db.session.scalars(
        db.select(User).join(SiteRole)
        .where(SiteRole.site_id == site.id, SiteRole.role == "manager")
        .order_by(User.display_name)
    ).all()


def managed_site(slug):
    """The site named by ``slug`` if the current user manages it; else 404/403."""
    site = site_by_slug(slug)
    if not policy.can_manage_site(current_user, site.id):
        abort(403)
    return site


def confirmed_ids():
    """Booking ids the manager confirmed on a confirmation page."""
    return {int(value) for value in request.form.getlist("confirmed") if value.isdigit()}


def render_confirmation(site, change, *, title, action, fields,
                        template="manage/confirm_cancellations.html"):
    """The page listing the bookings a change would cancel, with a form that repeats the
    change (``fields``) together with the confirmed booking ids and a notice."""
    status = 200
    if change.notice_missing:
        flash(_("Please write a short notice to the bookers whose bookings will be "
                "cancelled."), "error")
        status = 422
    elif request.form.get("confirmed"):
        # Bookings were added since the manager looked: they must see them first.
        flash(_("More bookings are affected now; please check the list again."), "error")
        status = 409
    return render_template(
        template, site=site, affected=change.affected, title=title,
        action=action, fields=fields, notice=request.form.get("notice", ""),
    ), status


@bp.get("/")
@login_required
def index():
    sites = [site for site in all_sites() if policy.can_manage_site(current_user, site.id)]
    if not sites:
        abort(403)
    return render_template("manage/index.html", sites=sites)


# --- units ----------------------------------------------------------------------------------

def _unit_of(site, unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.site_id != site.id:
        abort(404)
    return unit


@bp.get("/<slug>/units")
@login_required
def units(slug):
    site = managed_site(slug)
    return render_template("manage/units.html", site=site, units=site.units)


def _save_unit(site, form, unit):
    """Create or update from a validated form; returns a redirect or None (error shown)."""
    try:
        if unit is None:
            unit = editing.create_unit(current_user, site, form.values(), now=utcnow())
            flash(_("The unit %(name)s was added.", name=unit.name), "success")
        else:
            editing.update_unit(current_user, unit, form.values(), now=utcnow())
            flash(_("The unit %(name)s was saved.", name=unit.name), "success")
    except ValidationError as error:
        for name, code in error.fields.items():
            if name in form:
                form[name].errors = list(form[name].errors) + [code]
        flash(message_for(error), "error")
        return None
    return redirect(url_for("manage.units", slug=site.slug))


@bp.route("/<slug>/units/new", methods=["GET", "POST"])
@login_required
def new_unit(slug):
    site = managed_site(slug)
    form = UnitForm()
    if form.validate_on_submit():
        done = _save_unit(site, form, None)
        if done is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("manage/unit_form.html", site=site, form=form, unit=None), status


@bp.route("/<slug>/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_unit(slug, unit_id):
    site = managed_site(slug)
    unit = _unit_of(site, unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        done = _save_unit(site, form, unit)
        if done is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return _unit_page(site, form, unit, status)


def _unit_page(site, form, unit, status, photo_error=None):
    return render_template(
        "manage/unit_form.html", site=site, form=form, unit=unit, photo_error=photo_error,
        photo_version=photos.photo_versions([unit.id]).get(unit.id)), status


@bp.post("/<slug>/units/<int:unit_id>/photo")
@login_required
def upload_unit_photo(slug, unit_id):
    site = managed_site(slug)
    unit = _unit_of(site, unit_id)
    upload = request.files.get("photo")
    try:
        photos.set_unit_photo(current_user, unit, upload.read() if upload else b"",
                              now=utcnow())
    except ValidationError as error:
        flash(message_for(error), "error")
        return _unit_page(site, UnitForm(formdata=None, obj=unit), unit, 422,
                          photo_error=message_for(error))
    flash(_("The photo of %(name)s was saved.", name=unit.name), "success")
    return redirect(url_for("manage.edit_unit", slug=site.slug, unit_id=unit.id))


@bp.post("/<slug>/units/<int:unit_id>/deactivate")
@login_required
def deactivate_unit(slug, unit_id):
    site = managed_site(slug)
    unit = _unit_of(site, unit_id)
    change = editing.deactivate_unit(current_user, unit, now=utcnow(),
                                     confirmed_ids=confirmed_ids(),
                                     notice=request.form.get("notice"))
    if not change.done:
        return render_confirmation(
            site, change, title=_("Deactivate %(name)s", name=unit.name),
            action=url_for("manage.deactivate_unit", slug=site.slug, unit_id=unit.id),
            fields={})
    flash(_("%(name)s is deactivated; %(count)s booking(s) were cancelled.", name=unit.name,
            count=len(change.cancelled)), "success")
    return redirect(url_for("manage.units", slug=site.slug))


@bp.post("/<slug>/units/<int:unit_id>/reactivate")
@login_required
def reactivate_unit(slug, unit_id):
    site = managed_site(slug)
    unit = _unit_of(site, unit_id)
    editing.reactivate_unit(current_user, unit, now=utcnow())
    flash(_("%(name)s can be booked again.", name=unit.name), "success")
    return redirect(url_for("manage.units", slug=site.slug))


# --- opening hours --------------------------------------------------------------------------

def _read_hours(form):
    """{weekday: (opens, closes) or None} from fields ``opens-<d>``/``closes-<d>``, and
    the weekdays whose times cannot be read."""
    hours, bad = {}, set()
    for day in range(7):
        opens, closes = form.get(f"opens-{day}", "").strip(), form.get(f"closes-{day}", "").strip()
        if not opens and not closes:
            hours[day] = None
            continue
        try:
            hours[day] = (time.fromisoformat(opens), time.fromisoformat(closes))
        except ValueError:
            bad.add(day)
    return hours, bad


def _hours_fields(hours):
    """The form fields that submit ``hours`` again (on the confirmation page)."""
    fields = {}
    for day, times in sorted(hours.items()):
        opens, closes = times or (None, None)
        fields[f"opens-{day}"] = opens.strftime("%H:%M") if opens else ""
        fields[f"closes-{day}"] = closes.strftime("%H:%M") if closes else ""
    return fields


def _save_hours(site, hours):
    """Apply ``hours`` with the manager's decision on the bookings outside them; the
    confirmation page while a decision is needed, else a redirect."""
    change = editing.set_opening_hours(
        current_user, site, hours, now=utcnow(), confirmed_ids=confirmed_ids(),
        notice=request.form.get("notice"),
        keep_bookings=request.form.get("decision") == "keep")
    if not change.done:
        return render_confirmation(
            site, change, title=_("Opening hours of %(name)s", name=site.name),
            action=url_for("manage.opening_hours", slug=site.slug),
            fields=_hours_fields(hours), template="manage/confirm_hours.html")
    if change.cancelled:
        flash(_("The opening hours were saved; %(count)s booking(s) were cancelled.",
                count=len(change.cancelled)), "success")
    elif change.kept:
        flash(_("The opening hours were saved; %(count)s booking(s) outside them were kept.",
                count=len(change.kept)), "success")
    else:
        flash(_("The opening hours were saved."), "success")
    return redirect(url_for("manage.opening_hours", slug=site.slug))


@bp.route("/<slug>/hours", methods=["GET", "POST"])
@login_required
def opening_hours(slug):
    site = managed_site(slug)
    problems, status = set(), 200
    if request.method == "POST":
        hours, problems = _read_hours(request.form)
        if not problems:
            try:
                return _save_hours(site, hours)
            except ValidationError as error:
                problems = {int(name.rsplit("-", 1)[1]) for name in error.fields}
        flash(_("Each day needs an opening time before its closing time, or none at all."),
              "error")
        status = 422
    current = {row.weekday: row for row in site.opening_hours}
    return render_template("manage/hours.html", site=site, current=current, problems=problems,
                           weekday_labels=WEEKDAY_LABELS,
                           submitted=request.form if request.method == "POST" else None), status


# --- closures and public holidays -----------------------------------------------------------

def _closures_page(site, form=None, holidays_form=None, status=200):
    today = local_date(utcnow())
    closures = db.session.scalars(
        sa.select(Closure).where(Closure.site_id == site.id).order_by(Closure.starts_on)
    ).all()
    return render_template(
        "manage/closures.html", site=site, form=form or ClosureForm(formdata=None),
        holidays_form=holidays_form or HolidaysForm(formdata=None, year=today.year + 1),
        upcoming=[c for c in closures if c.ends_on >= today],
        past=[c for c in closures if c.ends_on < today][-20:],
    ), status


@bp.get("/<slug>/closures")
@login_required
def closures(slug):
    return _closures_page(managed_site(slug))


@bp.post("/<slug>/closures")
@login_required
def add_closure(slug):
    site = managed_site(slug)
    form = ClosureForm()
    if not form.validate():
        return _closures_page(site, form=form, status=422)
    starts_on = form.starts_on.data
    ends_on = form.ends_on.data or starts_on
    try:
        change = editing.add_closure(current_user, site, starts_on, ends_on, form.reason.data,
                                     now=utcnow(), confirmed_ids=confirmed_ids(),
                                     notice=request.form.get("notice"))
    except ValidationError as error:
        flash(message_for(error), "error")
        return _closures_page(site, form=form, status=422)
    if not change.done:
        return render_confirmation(
            site, change, title=_("Close the lab"),
            action=url_for("manage.add_closure", slug=site.slug),
            fields={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                    "reason": form.reason.data or ""})
    flash(_("The closure was added; %(count)s booking(s) were cancelled.",
            count=len(change.cancelled)), "success")
    return redirect(url_for("manage.closures", slug=site.slug))


@bp.post("/<slug>/closures/<int:closure_id>/remove")
@login_required
def remove_closure(slug, closure_id):
    site = managed_site(slug)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.site_id != site.id:
        abort(404)
    editing.remove_closure(current_user, closure, now=utcnow())
    flash(_("The closure was removed."), "success")
    return redirect(url_for("manage.closures", slug=site.slug))


@bp.post("/<slug>/closures/holidays")
@login_required
def add_holidays(slug):
    site = managed_site(slug)
    form = HolidaysForm()
    if not form.validate():
        return _closures_page(site, holidays_form=form, status=422)
    year = form.year.data
    change = editing.add_public_holidays(current_user, site, year, now=utcnow(),
                                         confirmed_ids=confirmed_ids(),
                                         notice=request.form.get("notice"))
    if not change.done:
        return render_confirmation(
            site, change, title=_("Public holidays %(year)s", year=year),
            action=url_for("manage.add_holidays", slug=site.slug), fields={"year": year})
    flash(_("%(count)s public holiday(s) of %(year)s were added as closures.",
            count=len(change.result), year=year), "success")
    return redirect(url_for("manage.closures", slug=site.slug))


# --- audit log (read-only) ------------------------------------------------------------------

@bp.get("/<slug>/audit")
@login_required
def audit_log(slug):
    site = managed_site(slug)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.session.execute(
        sa.select(AuditEntry, User)
        .outerjoin(User, AuditEntry.actor_id == User.id)
        .where(AuditEntry.site_id == site.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    ).all()
    return render_template("manage/audit.html", site=site, entries=rows[:AUDIT_PAGE_SIZE],
                           page=page, has_next=len(rows) > AUDIT_PAGE_SIZE)
