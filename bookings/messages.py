"""Messages of the bookings domain (English source text; German in translations/)."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "end_before_start": _l("The end must come after the start."),
        "window_too_long": _l("Please choose a period of at most %(days)s days."),
        "unknown_kind": _l("There is no kind of space called “%(kind)s”."),
        "site_or_unit_required": _l("Please choose a site or a unit."),
        "unit_or_site_and_kind": _l("Please choose either one unit, or a site and a kind."),
        "inactive_unit": _l("%(unit)s cannot be booked at the moment."),
        "not_on_step": _l("This unit is booked by the %(granularity)s: start and end must lie "
                          "on whole steps (local midnight for days, Mondays for weeks, the "
                          "first of the month for months)."),
        "too_short": _l("This unit must be booked for at least %(min_length)s step(s) "
                        "(%(granularity)s)."),
        "too_long": _l("This unit can be booked for at most %(max_length)s step(s) "
                       "(%(granularity)s)."),
        "too_soon": _l("This unit must be booked at least %(minutes)s minutes ahead, from the "
                       "next full step on."),
        "too_far_ahead": _l("This unit can be booked at most %(days)s days ahead."),
        "site_closed": _l("The lab is closed on %(day)s."),
        "outside_opening_hours": _l("The requested time lies outside the opening hours."),
        "invalid_attendees": _l("Please give the number of attendees (at least 1)."),
        "over_capacity": _l("This unit holds at most %(capacity)s people."),
        "terms_not_accepted": _l("Please accept the terms and house rules."),
        "not_a_member": _l("You can only bill bookings to an organisation you belong to."),
        "email_not_confirmed": _l("Please confirm your e-mail address before booking."),
        "no_unit_free": _l("No %(kind)s is free at this time."),
        "reason_required": _l("Please give a reason: the booking has already started."),
        "not_cancellable": _l("Only requested, held or confirmed bookings can be cancelled."),
        "unknown_booking": _l("There is no booking with the number %(booking_id)s."),
        "unknown_series": _l("There is no series with the number %(series_id)s."),
        "invalid_recurrence": _l("The repetition is not valid: %(problem)s."),
        "series_too_long": _l("A series can have at most %(limit)s occurrences."),
        "series_conflict": _l("%(count)s of the dates are already taken."),
        "series_occurrence_invalid": _l("The date %(occurrence)s of the series cannot be "
                                        "booked."),
    }
)

STATUS_LABELS = {
    "requested": _l("requested"),
    "held": _l("awaiting payment"),
    "confirmed": _l("confirmed"),
    "rejected": _l("rejected"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
    "no_show": _l("no-show"),
}
