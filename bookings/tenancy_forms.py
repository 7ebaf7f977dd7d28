"""Forms of the tenancy pages: the application, and the manager's decisions."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FormValidationError

from bookings.forms import WEEKDAY_CODES, MultiCheckboxField
from bookings.tenancies import PURPOSE_MAX, REASON_MAX

_EUROS = re.compile(r"^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*(?:€|EUR)?\s*$")


def euros_to_cents(text):
    """``"450"``, ``"450,5"`` or ``"450.50"`` as integer cents; None when not an amount."""
    match = _EUROS.match(text or "")
    if match is None:
        return None
    whole, fraction = match.groups()
    return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))


class EurosField(StringField):
    """An amount in euros, read into ``cents`` (None when empty)."""

    cents = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.cents = None
        if self.data and self.data.strip():
            self.cents = euros_to_cents(self.data)
            if self.cents is None:
                raise ValueError(_l("Please give an amount in euros, e.g. 450 or 450,50."))


class TenancyForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), choices=[],
                               validators=[DataRequired(_l("Please choose the organisation."))])
    units = MultiCheckboxField(_l("Units"), choices=[], coerce=int,
                               validators=[DataRequired(_l("Please choose at least one unit."))])
    weekdays = MultiCheckboxField(_l("Weekdays"), choices=[],
                                  validators=[DataRequired(_l("Please choose the weekdays."))])
    whole_days = BooleanField(_l("Whole days"))
    start_time = TimeField(_l("From (local time)"), validators=[Optional()])
    end_time = TimeField(_l("To (local time)"), validators=[Optional()])
    starts_on = DateField(_l("First day"), validators=[DataRequired(_l("Please give the first "
                                                                         "day."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(_l("Please give the last "
                                                                      "day."))])
    purpose = TextAreaField(_l("Purpose"), validators=[
        DataRequired(_l("Please describe the purpose.")), Length(max=PURPOSE_MAX)])
    proposed_fee = EurosField(_l("Proposed monthly fee in euros (net)"),
                              validators=[DataRequired(_l("Please propose a monthly fee."))])

    def validate_end_time(self, field):
        if self.whole_days.data:
            return
        if self.start_time.data is None or field.data is None:
            raise FormValidationError(_l("Please give the times, or choose whole days."))
        if field.data <= self.start_time.data:
            raise FormValidationError(_l("The end must come after the start."))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise FormValidationError(_l("The last day must not lie before the first day."))


def weekday_choices(labels):
    return list(zip(WEEKDAY_CODES, [str(label) for label in labels]))


class ApproveForm(FlaskForm):
    monthly_fee = EurosField(_l("Final monthly fee in euros (net)"),
                             validators=[DataRequired(_l("Please give the final monthly fee."))])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[
        DataRequired(_l("Please give a reason for the rejection.")), Length(max=REASON_MAX)])


class EndForm(FlaskForm):
    ends_on = DateField(_l("New last day"), validators=[DataRequired(_l("Please give the new "
                                                                          "last day."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class MoveForm(FlaskForm):
    unit_id = SelectField(_l("Move to"), choices=[], coerce=int)


class CancelClashForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[
        DataRequired(_l("Please tell the booker why.")), Length(max=REASON_MAX)])
