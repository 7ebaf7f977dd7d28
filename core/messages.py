"""User-facing messages for domain errors, translatable and shared by HTML and JSON.

Each domain package registers its own keys with ``register`` at import time; the error
handlers turn a ``DomainError`` into text with ``message_for``.
"""
from flask_babel import lazy_gettext as _l

_MESSAGES = {
    "error": _l("Something went wrong with this request."),
    "validation": _l("Some values are not valid."),
    "forbidden": _l("You are not allowed to do this."),
    "not_found": _l("This does not exist."),
    "conflict": _l("This time is already taken."),
    "invalid_transition": _l("This is not possible in the current state."),
    "already_decided": _l("This request has already been decided."),
    "invalid_json": _l("The request body is not valid JSON."),
    "unauthenticated": _l("Please log in or send a valid API token."),
    "rate_limited": _l("Too many requests. Please wait a moment and try again."),
    "invalid_time": _l("“%(value)s” is not a valid date and time."),
    "nonexistent_local_time": _l(
        "%(value)s does not exist in Berlin time (the clocks jump forward then)."
    ),
    "ambiguous_local_time": _l(
        "%(value)s occurs twice in Berlin time (the clocks go back then); give the UTC offset."
    ),
}


def register(messages):
    """Add a package's message keys; a key may be defined once only."""
    for key in messages:
        if key in _MESSAGES:
            raise KeyError(f"message key {key!r} is registered twice")
    _MESSAGES.update(messages)


def message_for(error):
    template = _MESSAGES.get(error.message_key) or _MESSAGES.get(error.code) or _MESSAGES["error"]
    text = str(template)
    if error.params:
        try:
            return text % error.params
        except (KeyError, ValueError, TypeError):
            return text
    return text
