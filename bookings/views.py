"""Booking pages: search, book in two clicks, confirmation, my bookings, series.

Every page works without JavaScript: the search is a GET form, every change a POST form
with a CSRF token. Views parse, ask accounts.policy, call one service and render.
"""
from datetime import timedelta

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts.policy import (can_book, can_cancel_booking, can_check_in, can_view_booking,
                             can_view_series)
from accounts.views import safe_next_url
from bookings import checkin, display, services
from bookings.forms import WEEKDAY_CODES, BookingForm, CancelForm, SearchForm
from bookings.models import Booking
from bookings.reasons import reason_text
from bookings.recurrence import Recurrence
from bookings.slot_offers import MAX_SPAN_STEPS, SearchProblem, offer_groups
from core import hooks
from core.errors import BookingConflict, DomainError, NotAllowed, ValidationError
from core.messages import message_for
from core.time import count_steps, format_instant, local_date, parse_instant, utcnow
from core.web import flash_error
from extensions import db
from spaces.messages import GRANULARITY_LABELS, WEEKDAY_LABELS
from spaces.services import active_units, all_sites, site_by_slug, unit_by_id

bp = Blueprint("bookings", __name__)

# Units where the number of people matters (the booking form asks for it).
KINDS_WITH_ATTENDEES = ("event_space", "meeting_room")
# Steps for which a weekly repetition makes sense.
REPEATABLE_GRANULARITIES = ("hour", "day")
UPCOMING_LIMIT = 200
PAST_LIMIT = 50


# Globals rather than a context processor: imported macros see them too.
for _helper in (display.describe_period, display.slot_label, display.status_text, format_instant,
                reason_text):
    bp.add_app_template_global(_helper)


# --- search (click 0) -----------------------------------------------------------------------

def _search_problem_text(problem):
    if problem.code == "in_past":
        return _("Please choose today or a later day.")
    if problem.code == "end_before_start":
        return _("The end must come after the start.")
    count = MAX_SPAN_STEPS[problem.granularity]
    texts = {
        "hour": _("Please choose at most %(count)s hours.", count=count),
        "day": _("Please choose at most %(count)s days.", count=count),
        "week": _("Please choose at most %(count)s weeks.", count=count),
        "month": _("Please choose at most %(count)s months.", count=count),
    }
    return texts[problem.granularity]


@bp.get("/book")
def search():
    sites = all_sites()
    submitted = "site" in request.args
    form = SearchForm(formdata=request.args if submitted else None)
    form.site.choices = [(site.slug, site.name) for site in sites]
    today = local_date(utcnow())
    if not submitted:
        form.site.data = sites[0].slug if sites else None
        form.date.data = today
    results, problem, status = None, None, 200
    if submitted:
        if form.validate():
            try:
                results = _search(form, today)
            except ValidationError as error:
                problem = message_for(error)
            except SearchProblem as error:
                problem = _search_problem_text(error)
        else:
            problem = _("Please check the search fields.")
        if problem:
            status = 422
    return render_template(
        "bookings/search.html", form=form, results=results, problem=problem,
        neighbours=_neighbour_days(results) if results else None,
    ), status


def _neighbour_days(results):
    """Links to the same search a day earlier and later (hourly searches only)."""
    if [group["granularity"] for group in results["groups"]] != ["hour"]:
        return None
    arguments = request.args.to_dict()

    def on(day):
        return url_for("bookings.search", **{**arguments, "date": day.isoformat()})

    first_day = results["first_day"]
    return {"previous": on(first_day - timedelta(days=1)),
            "next": on(first_day + timedelta(days=1))}


def _search(form, today):
    """The lab, kind, first day and offer groups (see ``offer_groups``) the form asks for."""
    site = site_by_slug(form.site.data)
    units = active_units(site, form.kind.data)
    only = [unit for unit in units if unit.id == form.unit.data] if form.unit.data else []
    # A unit chosen on its page narrows the search while the lab and kind still match it.
    units = only or units
    first_day = form.date.data or today
    if first_day < today:
        raise SearchProblem("in_past")
    last_day = form.until.data
    if last_day is not None and last_day < first_day:
        raise SearchProblem("end_before_start")
    groups = offer_groups(
        now=utcnow(), site=site, kind=form.kind.data, units=units, narrowed=bool(only),
        first_day=first_day, last_day=last_day, from_time=form.from_time.data,
        to_time=form.to_time.data, hours=form.hours.data,
    )
    return {"site": site, "kind": form.kind.data, "first_day": first_day, "groups": groups,
            "only_unit": only[0] if only else None}


def search_url_for(unit, starts_at):
    """The search for the unit's site and kind on the day of ``starts_at``."""
    return url_for(
        "bookings.search", site=unit.site.slug, kind=unit.kind,
        date=local_date(starts_at).isoformat(),
    )


# --- the booking form (click 1 shows it, click 2 books) ---------------------------------------

def _requested_slot():
    unit_id = request.args.get("unit", type=int)
    if unit_id is None:
        abort(404)
    unit = unit_by_id(unit_id)
    starts_at = parse_instant(request.args.get("start", ""), "start")
    ends_at = parse_instant(request.args.get("end", ""), "end")
    return unit, starts_at, ends_at


def _booking_form(unit, starts_at):
    form = BookingForm()
    form.organisation.choices = [("", _("Myself (private)"))] + [
        (str(organisation.id), organisation.name) for organisation in current_user.organisations
    ]
    form.repeat_weekdays.choices = list(zip(WEEKDAY_CODES, [str(l) for l in WEEKDAY_LABELS]))
    if request.method == "GET":
        form.repeat_weekdays.data = []
    return form


@bp.route("/book/new", methods=["GET", "POST"])
@login_required
def new():
    unit, starts_at, ends_at = _requested_slot()
    form = _booking_form(unit, starts_at)
    may_book = can_book(current_user)
    problem, conflicts, status = None, [], 200
    if request.method == "POST":
        if not may_book:
            flash(_("Please confirm your e-mail address first: follow the link in the mail we "
                    "sent you. Then you can book."), "error")
            return redirect(request.full_path)
        if form.validate():
            try:
                return _book(form, unit, starts_at, ends_at)
            except ValidationError as error:
                problem, status = message_for(error), 422
            except BookingConflict as error:
                problem, status, conflicts = message_for(error), 409, error.conflicts
            except NotAllowed as error:
                if not can_book(current_user):
                    flash_error(error)
                    return redirect(request.full_path)
                problem, status = message_for(error), 403
        else:
            problem, status = _("Please check the marked fields."), 422
    price = hooks.ask("unit_prices", [unit], default={}).get(unit.id)
    return render_template(
        "bookings/new.html", form=form, unit=unit, site=unit.site, starts_at=starts_at,
        ends_at=ends_at, may_book=may_book, problem=problem, conflicts=conflicts,
        asks_attendees=unit.kind in KINDS_WITH_ATTENDEES,
        may_repeat=unit.granularity in REPEATABLE_GRANULARITIES,
        steps=count_steps(starts_at, ends_at, unit.granularity), price=price,
        terms_version=current_app.config["TERMS_VERSION"],
        search_url=search_url_for(unit, starts_at), http_status=status,
        granularity_labels=GRANULARITY_LABELS,
    ), status


def _book(form, unit, starts_at, ends_at):
    """Create the booking (or series) the form describes and redirect to its page."""
    organisation = None
    if form.organisation.data:
        organisation = next(
            (each for each in current_user.organisations
             if str(each.id) == form.organisation.data),
            None,
        )
    values = dict(
        unit=unit, organisation=organisation, purpose=(form.purpose.data or "").strip(),
        attendees=(form.attendees.data or 1) if unit.kind in KINDS_WITH_ATTENDEES else 1,
        terms_accepted=bool(form.accept_terms.data), now=utcnow(),
    )
    if form.repeat_weekdays.data and unit.granularity in REPEATABLE_GRANULARITIES:
        recurrence = Recurrence.from_dict({
            "freq": "weekly", "byday": list(form.repeat_weekdays.data), "interval": 1,
            "until": form.repeat_until.data.isoformat(),
        })
        result = services.create_series(
            current_user, starts_at=starts_at, ends_at=ends_at, recurrence=recurrence,
            partial=form.repeat_mode.data == "free", **values,
        )
        flash(_("%(count)s dates booked.", count=len(result.bookings)), "success")
        if result.skipped:
            flash(_("Skipped because they are taken: %(dates)s",
                    dates="; ".join(display.describe_period(start, end, unit.granularity)
                                    for start, end in result.skipped)), "info")
        return redirect(url_for("bookings.series", series_id=result.series.id))
    booking = services.create_booking(
        current_user, starts_at=starts_at, ends_at=ends_at, **values
    )
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.get("/terms")
def terms():
    return render_template("bookings/terms.html", version=current_app.config["TERMS_VERSION"])


# --- a booking, cancelling ---------------------------------------------------------------------

def _viewable_booking(booking_id):
    booking = services.get_booking(booking_id)
    if not can_view_booking(current_user, booking):
        abort(403)
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id):
    booking = _viewable_booking(booking_id)
    now = utcnow()
    may_cancel = _may_cancel(booking, now)
    return render_template(
        "bookings/detail.html", booking=booking, unit=booking.unit, site=booking.unit.site,
        now=now, may_cancel=may_cancel, cancel_form=CancelForm(),
        # Only managers may cancel after the start, and they must say why.
        asks_reason=may_cancel and booking.starts_at <= now,
        may_check_in=_may_check_in(booking, now),
    )


def _may_check_in(booking, now):
    """Whether the page offers "Check in": the rules of ``checkin.check_in``, now."""
    if booking.status != "confirmed" or booking.checked_in_at is not None:
        return False
    if not can_check_in(current_user, booking):
        return False
    opens, closes = checkin.check_in_window(booking, current_user)
    return opens <= now < closes


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id):
    booking = _viewable_booking(booking_id)
    if not can_check_in(current_user, booking):
        abort(403)
    try:
        checkin.check_in(current_user, booking, now=utcnow())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("You are checked in. Welcome to the lab!"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id):
    booking = _viewable_booking(booking_id)
    form = CancelForm()
    target = safe_next_url(url_for("bookings.detail", booking_id=booking.id))
    if not form.validate():
        flash(_("Please check the reason."), "error")
        return redirect(target)
    try:
        services.cancel_booking(
            current_user, booking, now=utcnow(), reason=(form.reason.data or "").strip() or None
        )
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("The booking is cancelled; the time is free again."), "success")
    return redirect(target)


# --- my bookings -------------------------------------------------------------------------------

@bp.get("/my/bookings")
@login_required
def my_bookings():
    now = utcnow()
    upcoming = _own_bookings(current_user, now, upcoming=True, limit=UPCOMING_LIMIT)
    past = _own_bookings(current_user, now, upcoming=False, limit=PAST_LIMIT)
    return render_template(
        "bookings/my_bookings.html", upcoming=upcoming, past=past, now=now,
        past_limited=len(past) >= PAST_LIMIT, cancel_form=CancelForm(), may_cancel=_may_cancel,
    )


def _own_bookings(user, now, *, upcoming, limit):
    """The user's own bookings that have not ended yet (soonest first) or have ended
    (latest first). ``services.list_bookings`` also lists a manager's whole sites, ordered
    by id, so this page asks for exactly what it shows."""
    query = db.select(Booking).where(Booking.booked_by_id == user.id)
    if upcoming:
        query = query.where(Booking.ends_at > now).order_by(Booking.starts_at, Booking.id)
    else:
        query = query.where(Booking.ends_at <= now).order_by(
            Booking.starts_at.desc(), Booking.id.desc()
        )
    return db.session.scalars(query.limit(limit)).all()


def _may_cancel(booking, now):
    return booking.blocks_at(now) and can_cancel_booking(current_user, booking, now)


# --- series ------------------------------------------------------------------------------------

def _viewable_series(series_id):
    series = services.get_series(series_id)
    if not can_view_series(current_user, series):
        abort(403)
    return series


@bp.get("/series/<int:series_id>")
@login_required
def series(series_id):
    series = _viewable_series(series_id)
    now = utcnow()
    occurrences = list(series.bookings)
    payment_due = hooks.ask("series_payment_due", series, now, default=[])
    return render_template(
        "bookings/series.html", series=series, occurrences=occurrences, unit=series_unit(series),
        now=now, cancel_form=CancelForm(), may_cancel=_may_cancel,
        any_cancellable=any(_may_cancel(b, now) for b in occurrences),
        payment_due=payment_due,
        payment_due_cents=sum(b.price["payable_cents"] for b in payment_due),
    )


def series_unit(series):
    return series.bookings[0].unit if series.bookings else unit_by_id(series.unit_id)


@bp.post("/series/<int:series_id>/cancel")
@login_required
def cancel_series(series_id):
    series = _viewable_series(series_id)
    form = CancelForm()
    target = url_for("bookings.series", series_id=series.id)
    from_starts_at = None
    from_id = request.form.get("from_booking", type=int)
    if from_id is not None:
        occurrence = next((b for b in series.bookings if b.id == from_id), None)
        if occurrence is None:
            abort(404)
        from_starts_at = occurrence.starts_at
    if not form.validate():
        flash(_("Please check the reason."), "error")
        return redirect(target)
    try:
        cancelled = services.cancel_series(
            current_user, series, now=utcnow(), from_starts_at=from_starts_at,
            reason=(form.reason.data or "").strip() or None,
        )
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("%(count)s dates cancelled.", count=len(cancelled)), "success")
    return redirect(target)


__all__ = ["bp", "search_url_for"]
