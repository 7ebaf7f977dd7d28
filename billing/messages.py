"""User-facing messages of billing errors and notices."""
from flask_babel import lazy_gettext as _l

from core.messages import register

MESSAGES = {
    "funding_exhausted": _l("The funding programme's budget is used up; please try again."),
    "invalid_programme": _l("Please check the funding programme's values."),
    "budget_below_committed": _l(
        "The budget cannot be lower than what is already committed (%(committed).2f EUR)."),
    "invalid_declaration": _l("Please check the declared aid."),
    "payment_provider_unavailable": _l(
        "The payment service cannot be reached right now. Nothing was changed; please try "
        "again in a moment."),
}

# Notices a quote may carry (``price["notices"]``).
NOTICES = {
    "deminimis_ceiling": _l(
        "No funding: this subsidy would take the organisation past the de-minimis ceiling "
        "for any three years (Regulation (EU) 2023/2831). The full price applies."),
    "funding_budget_short": _l(
        "The funding programme's remaining budget covers only part of the usual subsidy."),
}

register(MESSAGES)

register({"no_price_list": _l("This unit has no price list yet; the lab quotes it on request.")})
