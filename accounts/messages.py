"""Messages of the accounts domain."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "email_taken": _l("An account with the e-mail address %(email)s already exists."),
        "manager_needs_site": _l("A manager needs at least one --site."),
        "unknown_user": _l("There is no user with the e-mail address %(email)s."),
    }
)
