"""Account forms: every field has a length limit and a message a person understands."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

EMAIL_MAX = 320
NAME_MAX = 120
PASSWORD_MIN = 8
PASSWORD_MAX = 128

LANGUAGE_CHOICES = [("de", "Deutsch"), ("en", "English")]
MEMBERSHIP_ROLE_CHOICES = [("member", _l("Member")), ("admin", _l("Organisation admin"))]
ORGANISATION_KIND_CHOICES = [
    ("startup", _l("Startup")),
    ("retailer", _l("Retailer")),
    ("partner", _l("Partner")),
    ("public_body", _l("Public body")),
    ("other", _l("Other")),
]


def _compact(value):
    """IDs are often typed with spaces and in lower case: DE 123 456 789."""
    return value.replace(" ", "").upper() if isinstance(value, str) else value


def _too_long(maximum):
    return Length(max=maximum, message=_l("Please use at most %(max)d characters."))


def email_field(label=_l("E-mail address")):
    return EmailField(label, validators=[
        DataRequired(_l("Please enter your e-mail address.")),
        _too_long(EMAIL_MAX),
        Email(_l("Please enter a valid e-mail address, such as name@example.org.")),
    ])


def new_password_fields(label=_l("Password")):
    password = PasswordField(label, validators=[
        DataRequired(_l("Please choose a password.")),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=_l("The password must have %(min)d to %(max)d characters.")),
    ])
    repeat = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Please repeat the password.")),
        EqualTo("password", _l("The two passwords do not match.")),
    ])
    return password, repeat


def display_name_field():
    return StringField(_l("Name"), validators=[
        DataRequired(_l("Please enter your name.")), _too_long(NAME_MAX)
    ])


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Please enter your password.")), _too_long(PASSWORD_MAX)
    ])
    remember = BooleanField(_l("Stay logged in"))


class RegistrationForm(FlaskForm):
    email = email_field()
    display_name = display_name_field()
    password, password_repeat = new_password_fields()
    locale = SelectField(_l("Language of e-mails and pages"), choices=LANGUAGE_CHOICES,
                         validators=[InputRequired()])


class EmailOnlyForm(FlaskForm):
    """Resend the confirmation link; ask for a password reset link."""

    email = email_field()


class PasswordResetForm(FlaskForm):
    password, password_repeat = new_password_fields(_l("New password"))


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password.")), _too_long(PASSWORD_MAX)
    ])
    password, password_repeat = new_password_fields(_l("New password"))


class ProfileForm(FlaskForm):
    display_name = display_name_field()
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[InputRequired()])


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), validators=[
        DataRequired(_l("Please enter the name of the organisation.")), _too_long(200)
    ])
    kind = SelectField(_l("Kind"), choices=ORGANISATION_KIND_CHOICES, validators=[InputRequired()])
    founded_on = DateField(_l("Founding date"), validators=[Optional()],
                           render_kw={"placeholder": "2025-02-15"})
    street = StringField(_l("Street and number"), validators=[Optional(), _too_long(200)])
    postcode = StringField(_l("Postcode"), validators=[
        Optional(), _too_long(10),
        Regexp(r"^[0-9A-Za-z -]+$", message=_l("Please enter a valid postcode.")),
    ])
    municipality = StringField(_l("Municipality"), validators=[Optional(), _too_long(120)])
    vat_id = StringField(_l("VAT ID"), filters=[_compact], validators=[
        Optional(), _too_long(20),
        Regexp(r"^[A-Za-z]{2}[0-9A-Za-z+*.]{2,12}$",
               message=_l("Please enter a VAT ID such as DE123456789.")),
    ])
    chamber_member_number = StringField(_l("Chamber member number"),
                                        validators=[Optional(), _too_long(32)])
    public_routing_id = StringField(
        _l("Routing ID for e-invoices (Leitweg-ID, public bodies only)"),
        filters=[_compact],
        validators=[
            Optional(), _too_long(46),
            Regexp(r"^[0-9]{2,12}(-[0-9A-Za-z]{1,30})?-[0-9]{2}$",
                   message=_l("Please enter a Leitweg-ID such as 05916000-00001-12.")),
        ],
    )
    billing_email = EmailField(_l("E-mail address for invoices"), validators=[
        Optional(), _too_long(EMAIL_MAX),
        Email(_l("Please enter a valid e-mail address, such as name@example.org.")),
    ])


class InvitationForm(FlaskForm):
    email = email_field(_l("E-mail address of the person you invite"))
    role = SelectField(_l("Role"), choices=MEMBERSHIP_ROLE_CHOICES, validators=[InputRequired()])


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=MEMBERSHIP_ROLE_CHOICES, validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (remove a member, accept an invitation)."""


class ChamberAdminForm(FlaskForm):
    make_admin = HiddenField(validators=[InputRequired(), Regexp(r"^[01]$")])


class SiteRoleForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int, validators=[InputRequired()])
    action = HiddenField(validators=[InputRequired(), Regexp(r"^(grant|revoke)$")])
