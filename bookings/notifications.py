"""E-mails about bookings, written to the outbox in the transaction of the change.

Receivers of ``bookings.signals`` (connected by ``connect()`` at app start) and the daily
reminder job. Each mail is in the recipient's language (``User.locale``), has a plain-text
and an HTML part, and mails about one booking carry its .ics: ``METHOD:REQUEST`` while the
booking stands (requested, confirmed), ``METHOD:CANCEL`` with the same UID and a higher
SEQUENCE once it is cancelled.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar, vCalAddress, vText
from sqlalchemy.exc import IntegrityError

from accounts.models import SiteRole, User
from bookings import signals
from bookings.models import Booking, BookingStatus
from core.db import run_in_transaction
from core.outbox import already_enqueued, attachment, enqueue_mail
from core.time import local_date, local_midnight
from core.urls import absolute_url
from extensions import db

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


# --- the .ics attachment ---------------------------------------------------------------

def _sender_address():
    sender = current_app.config["MAIL_FROM"]
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def booking_calendar(bookings, method, recipient=None):
    """One iCalendar object (bytes) with the events of ``bookings`` as their booker sees
    them in the private feed, sent with ``method`` (iTIP). The UID is the feed's, so a
    calendar client matches a CANCEL with the event it got before."""
    from calendars.feeds import booking_ics  # the calendar format lives in calendars/

    calendar = None
    for booking in bookings:
        single = Calendar.from_ical(booking_ics(booking, now=booking.updated_at))
        events = list(single.walk("VEVENT"))
        if calendar is None:  # its header and time zone, events added below
            calendar = single
            for event in events:
                calendar.subcomponents.remove(event)
        for event in events:
            organizer = vCalAddress(f"mailto:{_sender_address()}")
            organizer.params["CN"] = vText("Stadtlabor")
            event["ORGANIZER"] = organizer
            if recipient:
                attendee = vCalAddress(f"mailto:{recipient}")
                attendee.params["PARTSTAT"] = vText(
                    "NEEDS-ACTION" if method == CANCEL else "ACCEPTED")
                attendee.params["RSVP"] = vText("FALSE")
                event["ATTENDEE"] = attendee
            calendar.add_component(event)
    calendar["METHOD"] = vText(method)
    return calendar.to_ical()


def ics_attachment(bookings, method, recipient=None):
    content = booking_calendar(bookings, method, recipient)
    name = f"booking-{bookings[0].id}.ics" if len(bookings) == 1 else "bookings.ics"
    return attachment(name, content, f"text/calendar; method={method}; charset=UTF-8")


# --- the mails -------------------------------------------------------------------------

def _context(booking, user):
    return dict(booking=booking, unit=booking.unit, site=booking.unit.site, user=user,
                booking_url=absolute_url("bookings.detail", booking_id=booking.id))


def _mail_booker(booking, kind, template, *, now, method=REQUEST, **context):
    user = booking.booked_by
    if user is None:  # the account is gone
        return None
    return enqueue_mail(
        user.email, kind, template, locale=user.locale, now=now,
        attachments=[ics_attachment([booking], method, user.email)],
        **_context(booking, user), **context,
    )


def site_managers(site_id):
    """The lab managers of a site, who receive its new requests."""
    return db.session.scalars(
        sa.select(User).join(SiteRole, SiteRole.user_id == User.id)
        .where(SiteRole.site_id == site_id, SiteRole.role == "manager")
        .order_by(User.id)
    ).all()


def notify_booking_confirmed(booking, *, now):
    """'Your booking is confirmed' to the booker, with the event to add to the calendar."""
    return _mail_booker(booking, "booking_confirmed", "booking_confirmed", now=now)


def notify_booking_requested(booking, *, now):
    """'Your request was received' to the booker and 'new request' to the site's managers."""
    mails = [_mail_booker(booking, "booking_requested", "booking_requested", now=now)]
    queue_url = absolute_url("bookings.detail", booking_id=booking.id)
    for manager in site_managers(booking.unit.site_id):
        if manager.id == booking.booked_by_id:
            continue
        mails.append(enqueue_mail(
            manager.email, "booking_request_new", "booking_request_new",
            locale=manager.locale, now=now, booker=booking.booked_by, queue_url=queue_url,
            **_context(booking, manager),
        ))
    return mails


def notify_booking_cancelled(booking, *, actor, now, reason=None):
    """'Your booking was cancelled' to the booker, with a METHOD:CANCEL event."""
    by_booker = actor is not None and actor.id == booking.booked_by_id
    return _mail_booker(booking, "booking_cancelled", "booking_cancelled", now=now,
                        method=CANCEL, by_booker=by_booker, reason=reason)


def _series_mail(bookings, kind, template, method, *, now, **context):
    first = bookings[0]
    user = first.booked_by
    if user is None:
        return None
    return enqueue_mail(
        user.email, kind, template, locale=user.locale, now=now,
        attachments=[ics_attachment(bookings, method, user.email)],
        bookings=bookings, **_context(first, user), **context,
    )


# --- signal receivers ------------------------------------------------------------------

def on_booking_created(booking, *, now, **_):
    if booking.status == BookingStatus.CONFIRMED:
        notify_booking_confirmed(booking, now=now)
    elif booking.status == BookingStatus.REQUESTED:
        notify_booking_requested(booking, now=now)
    # A held booking waits for payment: the mail follows its confirmation.


def on_booking_confirmed(booking, *, now, **_):
    notify_booking_confirmed(booking, now=now)


def on_booking_cancelled(booking, *, actor, now, reason=None, **_):
    notify_booking_cancelled(booking, actor=actor, now=now, reason=reason)


def on_series_created(result, *, now, **_):
    """One mail for the whole series (not one per date), its dates in one calendar file
    (METHOD:PUBLISH: several events); the managers hear of requested dates once."""
    bookings = result.bookings
    if not bookings:
        return
    _series_mail(bookings, "booking_series_created", "booking_series_created", PUBLISH,
                 now=now, skipped=result.skipped,
                 requested=any(b.status == BookingStatus.REQUESTED for b in bookings))
    requested = [b for b in bookings if b.status == BookingStatus.REQUESTED]
    if requested:
        first = requested[0]
        for manager in site_managers(first.unit.site_id):
            if manager.id == first.booked_by_id:
                continue
            enqueue_mail(
                manager.email, "booking_request_new", "booking_request_new",
                locale=manager.locale, now=now, booker=first.booked_by, bookings=requested,
                queue_url=absolute_url("bookings.detail", booking_id=first.id),
                **_context(first, manager),
            )


def on_series_cancelled(bookings, *, actor, now, reason=None, **_):
    first = bookings[0]
    by_booker = actor is not None and actor.id == first.booked_by_id
    _series_mail(bookings, "booking_series_cancelled", "booking_series_cancelled", CANCEL,
                 now=now, by_booker=by_booker, reason=reason)


_RECEIVERS = (
    (signals.booking_created, on_booking_created),
    (signals.booking_confirmed, on_booking_confirmed),
    (signals.booking_cancelled, on_booking_cancelled),
    (signals.series_created, on_series_created),
    (signals.series_cancelled, on_series_cancelled),
)


def connect():
    """Subscribe the mails to the booking signals (idempotent; called by create_app)."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False)


# --- reminders -------------------------------------------------------------------------

def reminder_key(booking):
    return f"booking-reminder:{booking.id}"


def send_reminders(now):
    """Queue a reminder for every confirmed booking that starts tomorrow (local date),
    once per booking however often this runs (the outbox row's unique key remembers it).
    Returns how many reminders were queued."""

    def work():
        tomorrow = local_date(now) + timedelta(days=1)
        starting = db.session.scalars(
            sa.select(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED,
                   Booking.starts_at >= local_midnight(tomorrow),
                   Booking.starts_at < local_midnight(tomorrow + timedelta(days=1)),
                   Booking.booked_by_id.is_not(None))
            .order_by(Booking.starts_at, Booking.id)
        ).all()
        queued = 0
        for booking in starting:
            key = reminder_key(booking)
            if already_enqueued(key):
                continue
            user = booking.booked_by
            enqueue_mail(user.email, "booking_reminder", "booking_reminder",
                         locale=user.locale, now=now, dedupe_key=key,
                         attachments=[ics_attachment([booking], REQUEST, user.email)],
                         **_context(booking, user))
            queued += 1
        return queued

    for attempt in range(3):
        try:
            return run_in_transaction(work)
        except IntegrityError:
            # A concurrent run queued some of them first; the next round skips those.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


__all__ = [
    "connect", "notify_booking_confirmed", "notify_booking_requested",
    "notify_booking_cancelled", "send_reminders", "booking_calendar", "site_managers",
]
