"""Messages of the reports domain (English source text; German in translations/)."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "invalid_report_date": _l("“%(value)s” is not a date (use YYYY-MM-DD)."),
        "report_period_reversed": _l("The period must end on or after its first day."),
        "report_period_too_long": _l("Please choose a period of at most %(days)s days."),
        "unknown_report": _l("There is no report called “%(name)s”."),
    }
)
