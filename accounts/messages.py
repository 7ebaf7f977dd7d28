"""Messages of the accounts domain."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "email_taken": _l("An account with the e-mail address %(email)s already exists."),
        "manager_needs_site": _l("A manager needs at least one --site."),
        "unknown_user": _l("There is no user with the e-mail address %(email)s."),
        "invalid_link": _l(
            "This link is not valid (any more). Links in our e-mails work once and only for "
            "a limited time; please request a new one."
        ),
        "wrong_password": _l("The current password is not correct."),
        "already_member": _l("%(email)s is already a member of this organisation."),
        "invitation_used": _l("This invitation has already been accepted."),
        "invitation_other_email": _l(
            "This invitation was sent to %(email)s. Please log in with that address to accept it."
        ),
        "last_admin": _l(
            "An organisation needs at least one admin. Make another member admin first."
        ),
        "last_chamber_admin": _l("There must always be at least one chamber admin."),
        "unknown_organisation": _l("There is no organisation with the number %(organisation_id)s."),
        "unknown_membership": _l("This membership does not exist."),
        "invalid_email": _l("“%(email)s” is not a valid e-mail address."),
        "password_length": _l("The password must have %(min)d to %(max)d characters."),
        "unknown_site_id": _l("There is no site with the number %(site_id)s."),
    }
)
