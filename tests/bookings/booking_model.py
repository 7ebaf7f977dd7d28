"""A plain in-memory model of booking units, for the property test. It imports no app code:
only the standard library, and the rules as the product description states them.

Time is UTC; local days are Europe/Berlin. Hourly units are open every day from 00:00 to
23:00 local time; day units are booked from local midnight to local midnight.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
BLOCKING = ("requested", "held", "confirmed")


def midnight(day):
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(timezone.utc)


def opening(day):
    """Hourly units: open 00:00-23:00 local time (22, 23 or 24 real hours)."""
    return midnight(day), datetime.combine(day, time(23), tzinfo=BERLIN).astimezone(timezone.utc)


@dataclass
class ModelBooking:
    id: int
    unit: str
    start: datetime
    end: datetime
    status: str
    hold_expires_at: datetime = None

    def blocks(self, now):
        if self.status == "held":
            return self.hold_expires_at > now
        return self.status in BLOCKING


class Model:
    def __init__(self, units, now, hold_minutes):
        """``units``: {name: (granularity "hour"|"day", needs_approval)}."""
        self.units = units
        self.now = now
        self.hold = timedelta(minutes=hold_minutes)
        self.bookings = []

    def hourly_slot(self, day, offset, length):
        start = opening(day)[0] + offset * HOUR
        end = start + length * HOUR
        # Valid when it lies within the opening hours of the local day it starts on.
        opens, closes = opening(start.astimezone(BERLIN).date())
        return start, end, start >= opens and end <= closes

    @staticmethod
    def daily_slot(day, length):
        return midnight(day), midnight(day + timedelta(days=length)), True

    def clashes(self, unit, start, end):
        return [b for b in self.bookings
                if b.unit == unit and b.blocks(self.now) and b.start < end and b.end > start]

    def book(self, unit, start, end, pay):
        """The expected outcome: "conflict", or the new booking's status and hold."""
        if self.clashes(unit, start, end):
            return "conflict", None
        if self.units[unit][1]:
            return "requested", None
        if pay:
            return "held", self.now + self.hold
        return "confirmed", None

    def add(self, booking_id, unit, start, end, status, hold_expires_at):
        # The new booking marks the lapsed holds it overlaps as expired.
        for other in self.bookings:
            if (other.unit == unit and other.status == "held"
                    and other.hold_expires_at <= self.now
                    and other.start < end and other.end > start):
                other.status = "expired"
        self.bookings.append(ModelBooking(booking_id, unit, start, end, status, hold_expires_at))

    def cancel(self, booking):
        if booking.status not in BLOCKING:
            return "invalid"
        booking.status = "cancelled"
        return "cancelled"

    def expire_holds(self):
        lapsed = [b for b in self.bookings
                  if b.status == "held" and b.hold_expires_at <= self.now]
        for booking in lapsed:
            booking.status = "expired"
        return len(lapsed)

    def free(self, unit, days):
        """Maximal free intervals of ``unit`` over the consecutive local ``days``."""
        granularity = self.units[unit][0]
        if granularity == "hour":
            steps = []
            for day in days:
                opens, closes = opening(day)
                hour = opens
                while hour < closes:
                    steps.append((hour, hour + HOUR))
                    hour += HOUR
        else:
            steps = [(midnight(day), midnight(day + timedelta(days=1))) for day in days]
        free = [step for step in steps if not self.clashes(unit, *step)]
        intervals = []
        for start, end in free:
            if intervals and intervals[-1][1] == start:
                intervals[-1] = (intervals[-1][0], end)
            else:
                intervals.append((start, end))
        return intervals

    def rows(self):
        return [(b.id, b.unit, b.start, b.end, b.status) for b in self.bookings]
