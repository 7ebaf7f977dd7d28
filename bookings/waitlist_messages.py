"""Messages of the waitlist (English source text; German in translations/)."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "waitlist_slot_free": _l("This time is free: you can book it right away."),
        "waitlist_already_waiting": _l("You are already on the waitlist for this time."),
        "unknown_waitlist_entry": _l("There is no waitlist entry with the number "
                                     "%(entry_id)s."),
        "waitlist_not_active": _l("You are no longer on this waitlist."),
        "waitlist_no_offer": _l("There is no open offer for this waitlist entry."),
        "waitlist_offer_lapsed": _l("Sorry, the offer has run out; the time went to the next "
                                    "person in line."),
    }
)
