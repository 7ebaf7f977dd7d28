"""Messages of the privacy package."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "privacy_last_admin": _l(
            "You are the only admin of %(organisation)s, which has other members. Make "
            "another member admin first, then delete your account."
        ),
        "privacy_upcoming_bookings": _l(
            "You still have %(count)d upcoming booking(s). Cancel them or wait until they are "
            "over, then delete your account."
        ),
        "privacy_wrong_password": _l("The password is not correct."),
    }
)
