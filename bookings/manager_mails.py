"""Mails to a booker about what a lab manager did to their booking (outbox, their language).

Each mail is added to the outbox in the caller's transaction, so it exists exactly when the
change it reports was committed.
"""
from core.outbox import enqueue_mail
from core.urls import absolute_url


def mail_booker(booking, kind, template, *, now, **context):
    """Queue ``templates/mail/<template>.txt`` to the booker (none if the account is gone)."""
    booker = booking.booked_by
    if booker is None:
        return None
    return enqueue_mail(
        booker.email, kind, template, locale=booker.locale, now=now,
        booking=booking, unit=booking.unit, site=booking.unit.site, user=booker,
        booking_url=absolute_url("bookings.detail", booking_id=booking.id), **context,
    )
