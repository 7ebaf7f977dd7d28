"""Messages and labels of the spaces domain."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "unknown_unit": _l("There is no unit with the number %(unit_id)s."),
        "unknown_site": _l("There is no site “%(slug)s”."),
    }
)

KIND_LABELS = {
    "desk": _l("Desk"),
    "popup_shelf": _l("Pop-up shelf"),
    "shop_window": _l("Shop window"),
    "cafe_corner": _l("Café corner"),
    "event_space": _l("Event space"),
    "meeting_room": _l("Meeting room"),
}

# The step itself, as a noun ("booked by the hour", "at least 2 steps (day)").
STEP_LABELS = {
    "hour": _l("hour"),
    "day": _l("day"),
    "week": _l("week"),
    "month": _l("month"),
}

GRANULARITY_LABELS = {
    "hour": _l("per hour"),
    "day": _l("per day"),
    "week": _l("per week"),
    "month": _l("per month"),
}

WEEKDAY_LABELS = [
    _l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"),
    _l("Friday"), _l("Saturday"), _l("Sunday"),
]
