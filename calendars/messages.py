"""Messages of the calendars domain."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "ical_too_large": _l("The calendar file is too large (at most %(limit_mb)s MB)."),
        "ical_invalid": _l("This is not a valid iCalendar file (%(reason)s). Nothing was imported."),
        "ical_too_many": _l(
            "The calendar has too many events or repeats too often (at most %(limit)s "
            "occurrences in the next 18 months). Nothing was imported."
        ),
        "ical_fetch_failed": _l("The calendar at %(url)s could not be loaded (%(reason)s)."),
        "ical_bad_url": _l("Please give a web address starting with https://, http:// or webcal://."),
        "ical_no_file": _l("Please choose an .ics file or give a web address."),
    }
)
