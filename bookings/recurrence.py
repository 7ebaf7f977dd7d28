"""Weekly recurrence: the RFC 5545 RRULE subset that series use.

``{"freq": "weekly", "byday": ["TU", "TH"], "interval": 1, "until": "2027-04-13"}`` (or
``"count": N`` instead of ``until``). Occurrences keep their local wall-clock time: a
series every Tuesday 9:00-17:00 stays at 9:00 Berlin time across a daylight-saving change.
"""
from datetime import date, datetime, time, timedelta

import bookings.messages  # noqa: F401 - registers the message keys raised here
from core.errors import ValidationError
from core.time import UTC, at_local, localize, to_local

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_OCCURRENCES = 260
MAX_INTERVAL = 52
_KEYS = {"freq", "byday", "interval", "until", "count"}


def _invalid(problem, **params):
    return ValidationError({"recurrence": problem}, message_key="invalid_recurrence",
                           problem=problem, **params)


class Recurrence:
    """A weekly rule: on ``byday`` weekdays of every ``interval``-th week (weeks start on
    Monday), until a local date (inclusive) or for ``count`` occurrences in all."""

    def __init__(self, byday, interval=1, until=None, count=None):
        self.byday = tuple(byday)
        self.interval = interval
        self.until = until
        self.count = count

    @classmethod
    def from_dict(cls, data):
        """Validate a rule given as JSON-like data; ValidationError (field ``recurrence``)
        for anything outside the supported subset."""
        if not isinstance(data, dict):
            raise _invalid("not_an_object")
        unknown = set(data) - _KEYS
        if unknown:
            raise _invalid("unknown_key", key=sorted(unknown)[0])
        freq = data.get("freq")
        if not isinstance(freq, str) or freq.lower() != "weekly":
            raise _invalid("unsupported_freq")
        byday = data.get("byday")
        if isinstance(byday, str):
            byday = [part for part in byday.split(",") if part]
        if not isinstance(byday, list) or not byday:
            raise _invalid("byday_required")
        days = []
        for day in byday:
            if not isinstance(day, str) or day.upper() not in WEEKDAYS:
                raise _invalid("bad_day")
            if day.upper() not in days:
                days.append(day.upper())
        days.sort(key=WEEKDAYS.index)
        interval = data.get("interval", 1)
        if isinstance(interval, bool) or not isinstance(interval, int) or not (
            1 <= interval <= MAX_INTERVAL
        ):
            raise _invalid("bad_interval")
        has_until = data.get("until") is not None
        has_count = data.get("count") is not None
        if has_until == has_count:
            raise _invalid("until_or_count")
        until = count = None
        if has_until:
            raw = data["until"]
            try:
                until = raw if isinstance(raw, date) and not isinstance(raw, datetime) else (
                    date.fromisoformat(raw)
                )
            except (TypeError, ValueError):
                raise _invalid("bad_until") from None
        else:
            count = data["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise _invalid("bad_count")
            if count > MAX_OCCURRENCES:
                raise ValidationError({"recurrence": "series_too_long"},
                                      message_key="series_too_long", limit=MAX_OCCURRENCES)
        return cls(days, interval, until, count)

    def to_dict(self):
        data = {"freq": "weekly", "byday": list(self.byday), "interval": self.interval}
        if self.until is not None:
            data["until"] = self.until.isoformat()
        else:
            data["count"] = self.count
        return data

    def to_rrule(self):
        """The rule as an RFC 5545 RRULE value (UNTIL: the end of the local day, in UTC)."""
        parts = ["FREQ=WEEKLY", f"INTERVAL={self.interval}", "BYDAY=" + ",".join(self.byday)]
        if self.until is not None:
            last_second = at_local(self.until + timedelta(days=1), time(0)) - timedelta(seconds=1)
            parts.append("UNTIL=" + last_second.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
        else:
            parts.append(f"COUNT={self.count}")
        return ";".join(parts)

    def occurrences(self, starts_at, ends_at):
        """All (start, end) occurrences; the first is the one given. Each keeps the local
        wall-clock start and end of the first. ValidationError when there would be more
        than 260, or when a local time does not exist / is ambiguous on some date."""
        local_start = to_local(starts_at).replace(tzinfo=None)
        local_end = to_local(ends_at).replace(tzinfo=None)
        length = local_end - local_start
        first_day = local_start.date()
        wanted = {WEEKDAYS.index(day) for day in self.byday}
        result = [(starts_at, ends_at)]
        week = first_day - timedelta(days=first_day.weekday())
        while True:
            for weekday in sorted(wanted):
                day = week + timedelta(days=weekday)
                if day <= first_day:
                    continue
                if self.until is not None and day > self.until:
                    return result
                if self.count is not None and len(result) >= self.count:
                    return result
                if len(result) >= MAX_OCCURRENCES:
                    raise ValidationError({"recurrence": "series_too_long"},
                                          message_key="series_too_long", limit=MAX_OCCURRENCES)
                naive_start = datetime.combine(day, local_start.time())
                result.append((localize(naive_start, "start"),
                               localize(naive_start + length, "end")))
            week += timedelta(weeks=self.interval)
            if self.until is not None and week > self.until:
                return result

    def __repr__(self):
        return f"<Recurrence {self.to_rrule()}>"
