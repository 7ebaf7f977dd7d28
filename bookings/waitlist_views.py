"""Pages of the waitlist: join a taken slot, see one's entries, take or turn down an offer."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bookings import waitlist
from bookings.waitlist_models import WaitlistStatus
from core.errors import DomainError
from core.messages import message_for
from core.time import parse_instant, utcnow
from core.web import flash_error
from spaces.models import Unit
from extensions import db

bp = Blueprint("waitlist", __name__)


@bp.post("/waitlist")
@login_required
def join():
    unit = db.session.get(Unit, request.form.get("unit_id", type=int) or 0)
    if unit is None:
        abort(404)
    back = request.form.get("next") or url_for("waitlist.mine")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("waitlist.mine")
    try:
        waitlist.join_waitlist(
            current_user, unit=unit,
            starts_at=parse_instant(request.form.get("start", ""), "start"),
            ends_at=parse_instant(request.form.get("end", ""), "end"),
            purpose=(request.form.get("purpose") or "").strip(),
            terms_accepted=bool(request.form.get("accept_terms")), now=utcnow(),
        )
    except DomainError as error:
        flash_error(error)
        return redirect(back)
    flash(_("You are on the waitlist. If the time becomes free, we offer it to you by "
            "e-mail."), "success")
    return redirect(url_for("waitlist.mine"))


@bp.get("/waitlist")
@login_required
def mine():
    return render_template("bookings/waitlist.html",
                           entries=waitlist.entries_of(current_user), now=utcnow())


def _own_entry(entry_id):
    entry = waitlist.get_entry(entry_id)
    if entry.user_id != current_user.id:
        abort(403)
    return entry


@bp.get("/waitlist/<int:entry_id>")
@login_required
def offer(entry_id):
    entry = _own_entry(entry_id)
    now = utcnow()
    open_offer = (entry.status == WaitlistStatus.OFFERED and entry.offer_expires_at > now)
    return render_template("bookings/waitlist_offer.html", entry=entry, now=now,
                           open_offer=open_offer)


@bp.post("/waitlist/<int:entry_id>/accept")
@login_required
def accept(entry_id):
    entry = _own_entry(entry_id)
    try:
        booking = waitlist.accept_offer(current_user, entry, now=utcnow())
    except DomainError as error:
        flash(message_for(error), "error")
        return redirect(url_for("waitlist.offer", entry_id=entry_id))
    flash(_("The time is yours."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave(entry_id):
    entry = _own_entry(entry_id)
    try:
        waitlist.leave_waitlist(current_user, entry, now=utcnow())
    except DomainError as error:
        flash(message_for(error), "error")
    else:
        flash(_("You have left the waitlist."), "success")
    return redirect(url_for("waitlist.mine"))
