"""Messages of the calendars domain."""
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError
from core.messages import message_for, register

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


# --- a refusal kept on a source, shown later in the reader's language ------------------

_STORABLE = (str, int, float, bool)


def stored_message(error):
    """A ValidationError as a source keeps it (JSON): its message key and parameters, in
    no language. Our own ``reason`` is left out: it travels as its ``problem`` key."""
    params = {name: value for name, value in error.params.items()
              if name != "reason" and isinstance(value, _STORABLE)}
    return {"key": error.message_key, "params": params}


def stored_message_text(stored):
    """A ``stored_message`` in the current language (``message_for`` renders it)."""
    params = dict(stored.get("params") or {})
    reason = ICAL_PROBLEMS.get(params.get("problem"))
    if reason is not None:
        params["reason"] = reason
    return message_for(ValidationError(message_key=stored.get("key"), **params))


def last_error_text(source):
    """Why the source's last sync failed, in the reader's language ("" when it did not).
    Rows of older versions hold the rendered text in ``last_error``: shown as it is."""
    if source.last_error_message:
        return stored_message_text(source.last_error_message)
    return source.last_error or ""
