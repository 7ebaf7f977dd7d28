"""The booking pages of the lab manager's area (``/manage/<slug>``): the site overview
with the queue counts, the approval queue and today's bookings with check-in.

They join the ``manage`` blueprint of ``spaces.management`` (bookings may import spaces;
spaces never imports bookings). Only the site's managers and chamber admins get in.
"""
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bookings import approvals, checkin, services
from bookings.messages import STATUS_LABELS
from core.errors import DomainError, ValidationError
from core.messages import message_for
from core.time import local_date, utcnow
from spaces.management import bp, managed_site, managers_of
from spaces.messages import GRANULARITY_LABELS


def _site_booking(site, booking_id):
    booking = services.get_booking(booking_id)
    if booking.unit.site_id != site.id:
        abort(404)
    return booking


@bp.get("/<slug>")
@login_required
def site(slug):
    site = managed_site(slug)
    now = utcnow()
    today = local_date(now)
    waiting, overdue = approvals.queue_counts(site, now)
    closures = [closure for closure in site.closures if closure.ends_on >= today]
    return render_template("manage/site.html", site=site, units=site.units, closures=closures,
                           managers=managers_of(site), waiting=waiting, overdue=overdue,
                           granularity_labels=GRANULARITY_LABELS)


# --- approval queue -------------------------------------------------------------------------

@bp.get("/<slug>/requests")
@login_required
def requests_queue(slug):
    site = managed_site(slug)
    return _queue_page(site)


def _queue_page(site, status=200):
    return render_template("manage/requests.html", site=site,
                           items=approvals.approval_queue(site, utcnow())), status


def _single_decision(value):
    """``"<id>:approve"`` or ``"<id>:reject"`` from a row's button, else None."""
    booking_id, _, decision = (value or "").partition(":")
    if booking_id.isdigit() and decision in (approvals.APPROVE, approvals.REJECT):
        return int(booking_id), decision
    return None


@bp.post("/<slug>/requests")
@login_required
def decide_requests(slug):
    """One row's button (``single``, with that row's reason) or the selected rows
    (``bulk`` with the common reason)."""
    site = managed_site(slug)
    single = _single_decision(request.form.get("single"))
    if single is not None:
        ids, decision = [single[0]], single[1]
        reason = request.form.get(f"reason-{single[0]}")
    else:
        decision = request.form.get("bulk")
        ids = [int(value) for value in request.form.getlist("ids") if value.isdigit()]
        reason = request.form.get("reason")
    for booking_id in ids:
        _site_booking(site, booking_id)  # ids of another site are not this page's business
    try:
        outcomes = approvals.decide_bookings(current_user, ids, decision, now=utcnow(),
                                             reason=reason)
    except ValidationError as error:
        flash(message_for(error), "error")
        return _queue_page(site, status=422)
    done = [outcome for outcome in outcomes if outcome.ok]
    if done:
        text = (_("%(count)s request(s) approved.", count=len(done))
                if decision == approvals.APPROVE
                else _("%(count)s request(s) rejected.", count=len(done)))
        flash(text, "success")
    for outcome in outcomes:
        if not outcome.ok:
            flash(_("Request %(id)s: %(message)s", id=outcome.booking_id,
                    message=message_for(outcome.error)), "error")
    if not done and any(outcome.error.status == 403 for outcome in outcomes):
        abort(403)
    if not done:
        return _queue_page(site, status=outcomes[0].error.status)
    return redirect(url_for("manage.requests_queue", slug=site.slug))


# --- today's bookings and check-in ----------------------------------------------------------

@bp.get("/<slug>/day")
@login_required
def day(slug):
    site = managed_site(slug)
    now = utcnow()
    try:
        shown = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        shown = local_date(now)
    return render_template(
        "manage/day.html", site=site, day=shown, now=now,
        bookings=checkin.bookings_of_day(site, shown), status_labels=STATUS_LABELS,
        previous_day=shown - timedelta(days=1), next_day=shown + timedelta(days=1),
    )


@bp.post("/<slug>/bookings/<int:booking_id>/check-in")
@login_required
def check_in(slug, booking_id):
    site = managed_site(slug)
    booking = _site_booking(site, booking_id)
    try:
        checkin.check_in(current_user, booking, now=utcnow())
    except DomainError as error:
        if error.status == 403:
            abort(403)
        flash(message_for(error), "error")
    else:
        flash(_("Checked in."), "success")
    day_shown = local_date(booking.starts_at).isoformat()
    return redirect(url_for("manage.day", slug=site.slug, date=day_shown))
