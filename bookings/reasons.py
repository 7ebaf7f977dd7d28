"""Reasons the system itself writes into ``Booking.status_reason``.

The column holds free text: what a manager or booker typed is stored and shown verbatim.
When the system changes a booking on its own account it stores one of the stable codes
below instead, and ``reason_text`` shows it in the reader's language (pages, mails). Each
code is the English text that earlier versions stored, so old rows read translated too.
"""
from flask_babel import lazy_gettext as _l

TENANCY_ENDED = "tenancy ended"
WAITLIST_OFFER_DECLINED = "waitlist offer declined"

REASONS = {
    TENANCY_ENDED: _l("The tenancy was ended early."),
    WAITLIST_OFFER_DECLINED: _l("The waitlist offer was declined."),
}


def reason_text(stored):
    """A stored reason as the reader should see it: a system code in the current language,
    anything else verbatim ("" when there is none)."""
    if not stored:
        return ""
    text = REASONS.get(stored)
    return str(text) if text is not None else stored
