"""Mails to a booker about a manager's decision on their request (outbox, their language).

Each mail is added to the outbox in the caller's transaction, so it exists exactly when the
decision it reports was committed. It carries the booking as a calendar event, like the
other booking mails: a rejection removes the event the request mail had added.
"""
from bookings.notifications import ics_attachment
from core.outbox import enqueue_mail
from core.urls import absolute_url


def mail_booker(booking, kind, template, *, now, method, **context):
    """Queue ``templates/mail/<template>.txt`` to the booker (none if the account is gone),
    with a ``method`` (REQUEST or CANCEL) calendar attachment."""
    booker = booking.booked_by
    if booker is None:
        return None
    return enqueue_mail(
        booker.email, kind, template, locale=booker.locale, now=now,
        attachments=[ics_attachment([booking], method, booker.email)],
        booking=booking, unit=booking.unit, site=booking.unit.site, user=booker,
        booking_url=absolute_url("bookings.detail", booking_id=booking.id), **context,
    )
