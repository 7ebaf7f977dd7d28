"""Messages of the JSON API."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "invalid_fields": _l("Some values are not valid: %(names)s."),
        "csrf_header_missing": _l(
            "Requests with the session cookie must send the X-CSRFToken header; "
            "or use an API token."
        ),
    }
)
