"""The account deletion form: the password again, and a tick that the person means it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Please enter your password to confirm.")),
        Length(max=128, message=_l("Please use at most %(max)d characters.")),
    ])
    understood = BooleanField(
        _l("I understand that my account is deleted for good and cannot be restored."),
        validators=[DataRequired(_l("Please confirm that you want to delete your account."))],
    )
