"""Messages of partner tenancies and booking moves (English source; German in translations/)."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register(
    {
        "tenancy_invalid": _l("Some details of the tenancy are not valid: %(names)s."),
        "tenancy_clashes": _l("The tenancy clashes with %(count)s existing booking(s). Move or "
                              "cancel them first."),
        "tenancy_reason_required": _l("Please give a reason for the rejection."),
        "tenancy_not_approved": _l("Only an approved tenancy can be ended early."),
        "tenancy_end_invalid": _l("The new end date must lie between today (and the tenancy's "
                                  "first day) and its current end date."),
        "tenancy_fee_required": _l("Please give the final monthly fee."),
        "tenancy_ends_on_invalid": _l("The end date must not lie before the first day, nor "
                                      "more than %(days)s days after it."),
        "unknown_tenancy": _l("There is no tenancy with the number %(tenancy_id)s."),
        "move_not_possible": _l("Only requested, held or confirmed bookings can be moved."),
        "move_same_unit": _l("The booking is already on this unit."),
        "move_other_site": _l("A booking can only be moved within its lab."),
        "move_other_kind": _l("A booking can only be moved to a unit of the same kind."),
    }
)

TENANCY_STATUS_LABELS = {
    "requested": _l("requested"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "ended": _l("ended early"),
}
