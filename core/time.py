"""Time at the edges: store UTC, show Europe/Berlin, step by local calendar units.

Instants inside the app are timezone-aware ``datetime`` objects in UTC. Conversion to
local time happens only when parsing input and formatting output. Day, week and month
steps follow local midnight, so a day can last 23 or 25 hours.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from core.errors import ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc

GRANULARITIES = ("hour", "day", "week", "month")


def utcnow():
    return datetime.now(UTC)


def localize(naive, field="time"):
    """Attach Europe/Berlin to a naive local time, refusing times that do not exist
    (spring forward) or exist twice (fall back)."""
    early = naive.replace(tzinfo=BERLIN, fold=0)
    late = naive.replace(tzinfo=BERLIN, fold=1)
    # A time in the spring-forward gap does not survive the round trip through UTC;
    # check this first, since zoneinfo also gives gap times two different offsets.
    round_trip = early.astimezone(UTC).astimezone(BERLIN).replace(tzinfo=None)
    if round_trip != naive:
        raise ValidationError(
            {field: "nonexistent_local_time"},
            message_key="nonexistent_local_time",
            value=naive.isoformat(),
        )
    if early.utcoffset() != late.utcoffset():
        raise ValidationError(
            {field: "ambiguous_local_time"},
            message_key="ambiguous_local_time",
            value=naive.isoformat(),
        )
    return early.astimezone(UTC)


def parse_instant(text, field="time"):
    """Parse ISO 8601: with an offset or ``Z`` as given, without one as Berlin local time."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({field: "required"}, message_key="invalid_time", value=str(text))
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            {field: "invalid_time"}, message_key="invalid_time", value=text
        ) from None
    if parsed.year < 1900 or parsed.year > 2999:
        raise ValidationError({field: "out_of_range"}, message_key="invalid_time", value=text)
    if parsed.tzinfo is None:
        return localize(parsed, field)
    return parsed.astimezone(UTC)


def to_local(instant):
    return instant.astimezone(BERLIN)


def format_instant(instant):
    """Europe/Berlin local time with its offset, to the second."""
    if instant is None:
        return None
    return to_local(instant).replace(microsecond=0).isoformat()


def local_midnight(day):
    """The instant (UTC) at which the local calendar day ``day`` starts."""
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


def local_date(instant):
    return to_local(instant).date()


def at_local(day, clock):
    """The instant of local wall-clock time ``clock`` on ``day`` (a gap moves forward)."""
    return datetime.combine(day, clock, tzinfo=BERLIN).astimezone(UTC)


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def step_start(instant, granularity):
    """The start of the step of ``granularity`` that contains ``instant``."""
    if granularity == "hour":
        return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    day = local_date(instant)
    if granularity == "week":
        day -= timedelta(days=day.weekday())
    elif granularity == "month":
        day = day.replace(day=1)
    return local_midnight(day)


def is_step_boundary(instant, granularity):
    return step_start(instant, granularity) == instant


def add_steps(instant, granularity, count):
    """Move a step boundary by ``count`` steps (local calendar arithmetic for days and up)."""
    if granularity == "hour":
        return instant + timedelta(hours=count)
    day = local_date(instant)
    if granularity == "day":
        return local_midnight(day + timedelta(days=count))
    if granularity == "week":
        return local_midnight(day + timedelta(weeks=count))
    return local_midnight(add_months(day, count))


def next_step(instant, granularity):
    """The first step boundary at or after ``instant``."""
    start = step_start(instant, granularity)
    return start if start == instant else add_steps(start, granularity, 1)


def count_steps(starts_at, ends_at, granularity):
    """How many whole steps lie between two step boundaries."""
    if granularity == "hour":
        return int((ends_at - starts_at).total_seconds() // 3600)
    first, last = local_date(starts_at), local_date(ends_at)
    if granularity == "day":
        return (last - first).days
    if granularity == "week":
        return (last - first).days // 7
    return (last.year - first.year) * 12 + last.month - first.month
