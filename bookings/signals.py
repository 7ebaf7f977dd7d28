"""Signals of the booking lifecycle, sent inside the transaction of the change.

Receivers (notifications, the waitlist, billing) run in that same transaction: what they
write (a mail in the outbox, an offer) is committed or rolled back with the change. They
are connected at app start (``app.py``), so ``bookings`` imports none of them.

Every signal is sent with the booking (or series) as sender and ``actor`` and ``now``.
"""
from blinker import Namespace

_signals = Namespace()

# A single booking was created (any status: requested, held or confirmed).
booking_created = _signals.signal("booking-created")
# A series was created: sender is the SeriesResult (``bookings``, ``skipped``).
series_created = _signals.signal("series-created")
# A booking that was awaiting something became confirmed (payment done, offer taken).
booking_confirmed = _signals.signal("booking-confirmed")
# A booking was cancelled by ``actor``; ``reason`` may be given.
booking_cancelled = _signals.signal("booking-cancelled")
# Several occurrences of a series were cancelled at once: sender is the list of bookings.
series_cancelled = _signals.signal("series-cancelled")
