"""Messages of the calendars domain."""
from flask_babel import lazy_gettext as _l

from core.messages import register

# Why a calendar was refused, in our own words: the ``reason`` of ``ical_invalid`` and
# ``ical_fetch_failed``. What a library said may follow as a technical detail (the
# ``..._detail`` variants), never in place of these.
ICAL_PROBLEMS = {
    "unreadable": _l("the file cannot be read"),
    "not_one_calendar": _l("it does not contain exactly one calendar"),
    "bad_entry": _l("an entry in it is malformed"),
    "no_start": _l("an event has no start time"),
    "bad_rule": _l("the repetition rule of an event cannot be read"),
    "bad_dates": _l("the times of an event cannot be worked out"),
    "too_slow": _l("the server took too long to answer"),
    "unreachable": _l("the server could not be reached or did not hand out the file"),
}

register(
    {
        "ical_too_large": _l("The calendar file is too large (at most %(limit_mb)s MB)."),
        "ical_invalid": _l("This is not a valid iCalendar file (%(reason)s). Nothing was imported."),
        "ical_invalid_detail": _l(
            "This is not a valid iCalendar file (%(reason)s). Nothing was imported. "
            "Technical detail: %(detail)s"
        ),
        "ical_too_many": _l(
            "The calendar has too many events or repeats too often (at most %(limit)s "
            "occurrences in the next 18 months). Nothing was imported."
        ),
        "ical_fetch_failed": _l("The calendar at %(url)s could not be loaded (%(reason)s)."),
        "ical_fetch_failed_detail": _l(
            "The calendar at %(url)s could not be loaded (%(reason)s). "
            "Technical detail: %(detail)s"
        ),
        "ical_bad_url": _l("Please give a web address starting with https://, http:// or webcal://."),
        "ical_no_file": _l("Please choose an .ics file or give a web address."),
    }
)
