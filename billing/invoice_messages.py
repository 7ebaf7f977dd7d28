"""Message keys of invoices and credit notes (English source text, translated by Babel)."""
from flask_babel import lazy_gettext as _l

from core.messages import register

register({
    "invoice_empty": _l("There is nothing to invoice."),
    "invoice_negative": _l("An invoice cannot have a negative total; issue a credit note."),
    "credit_reason_required": _l("Please give the reason for the credit note."),
    "credit_note_of_credit_note": _l("A credit note cannot be credited again."),
    "already_credited": _l("These invoice lines have already been credited."),
    "unknown_invoice": _l("This invoice does not exist."),
    "invoice_not_open": _l("Invoice %(number)s is not open."),
    "invalid_month": _l("“%(value)s” is not a month (YYYY-MM)."),
})
