"""Forms of the lab manager's pages (units, closures, public holidays)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from spaces.messages import GRANULARITY_LABELS, KIND_LABELS

NOTICE_HELP = _l("Sent to each booker whose booking is cancelled.")


class UnitForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    group_name = StringField(_l("Group (interchangeable units, e.g. a desk area)"),
                             validators=[Optional(), Length(max=120)])
    position = IntegerField(_l("Position in its group"), default=0,
                            validators=[NumberRange(min=0)])
    granularity = SelectField(_l("Booked"), choices=list(GRANULARITY_LABELS.items()))
    min_length = IntegerField(_l("Minimum length (steps)"), default=1,
                              validators=[DataRequired(), NumberRange(min=1)])
    max_length = IntegerField(_l("Maximum length (steps)"), default=10,
                              validators=[DataRequired(), NumberRange(min=1)])
    lead_time_minutes = IntegerField(_l("Lead time (minutes)"), default=0,
                                     validators=[NumberRange(min=0)])
    horizon_days = IntegerField(_l("Bookable ahead (days)"), default=366,
                                validators=[DataRequired(), NumberRange(min=1)])
    needs_approval = BooleanField(_l("Bookings need approval"))
    capacity = IntegerField(_l("Capacity (persons)"), default=1,
                            validators=[DataRequired(), NumberRange(min=1)])
    description = TextAreaField(_l("Description"), validators=[Optional()])

    def values(self):
        return {name: getattr(self, name).data for name in (
            "kind", "name", "group_name", "position", "granularity", "min_length",
            "max_length", "lead_time_minutes", "horizon_days", "needs_approval", "capacity",
            "description")}


class ClosureForm(FlaskForm):
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class HolidaysForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
