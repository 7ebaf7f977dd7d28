"""Booking forms: the search (GET, no CSRF: it changes nothing) and the booking form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from spaces.messages import KIND_LABELS

PURPOSE_MAX = 500
REASON_MAX = 500
# RFC 5545 weekday codes, Monday first (index = Python weekday()).
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class SearchForm(FlaskForm):
    """What to look for. Fields that do not apply to a unit's step are ignored."""

    class Meta:
        csrf = False

    site = SelectField(_l("Lab"), validators=[DataRequired(_l("Please choose a lab."))])
    kind = SelectField(
        _l("What"),
        choices=list(KIND_LABELS.items()),
        default="desk",
        validators=[DataRequired(_l("Please choose what you want to book."))],
    )
    unit = IntegerField(_l("Unit"), validators=[Optional()])
    date = DateField(_l("Date or first day"), validators=[Optional()])
    until = DateField(_l("Last day (optional)"), validators=[Optional()])
    from_time = TimeField(_l("From (optional)"), validators=[Optional()])
    to_time = TimeField(_l("To (optional)"), validators=[Optional()])
    hours = IntegerField(
        _l("Length in hours (optional)"),
        validators=[Optional(), NumberRange(min=1, max=24, message=_l("Choose 1 to 24 hours."))],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BookingForm(FlaskForm):
    """Details of one booking (and an optional weekly repetition); the slot is in the URL."""

    organisation = SelectField(_l("Bill to"), choices=[], default="")
    purpose = TextAreaField(
        _l("Purpose (optional)"), validators=[Optional(), Length(max=PURPOSE_MAX)]
    )
    attendees = IntegerField(
        _l("Number of people"),
        default=1,
        validators=[Optional(), NumberRange(min=1, message=_l("At least one person."))],
    )
    repeat_weekdays = MultiCheckboxField(
        _l("Repeat weekly on"),
        choices=[],
        validators=[Optional()],
    )
    repeat_until = DateField(_l("Repeat until (inclusive)"), validators=[Optional()])
    repeat_mode = RadioField(
        _l("If some dates are taken"),
        choices=[
            ("all", _l("All or nothing: book only if every date is free")),
            ("free", _l("Book the free dates and skip the taken ones")),
        ],
        default="all",
    )
    accept_terms = BooleanField(
        _l("I accept the terms and house rules"),
        validators=[DataRequired(_l("Please accept the terms and house rules to book."))],
    )

    def validate_repeat_until(self, field):
        if self.repeat_weekdays.data and field.data is None:
            raise FormValidationError(_l("Please say until when the booking repeats."))


class CancelForm(FlaskForm):
    """A cancel button; managers may say why (stored with the booking)."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=REASON_MAX)])
