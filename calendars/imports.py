"""Import external calendars into a unit: their events block it.

Each event occurrence (recurring events expanded with recurring-ical-events) is widened to
the unit's steps and materialised as a confirmed ``Booking`` without a booker, purpose
"Extern: <summary>", linked through ``ImportedEvent``: the no-overlap constraint, the
availability search and the feeds then treat it like any other booking. A re-sync compares
the new occurrences with the source's bookings: unchanged ones stay (stable feed UIDs,
feed caches stay valid), the rest are removed or added; local bookings are never touched.
An occurrence that overlaps a local booking is not imported but recorded as a clash for the
manager. Everything is parsed and checked before the first write, so a broken or hostile
file (bad syntax, too large, too many occurrences) imports nothing.
"""
import bisect
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import icalendar
import recurring_ical_events
import requests
import sqlalchemy as sa

from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus
from bookings.writing import expire_lapsed_holds
from calendars.messages import ICAL_PROBLEMS, stored_message
from calendars.models import CalendarSource, ImportedEvent, SourceKind
from core import audit
from core.db import is_postgresql, run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.time import BERLIN, UTC, add_months, local_date, local_midnight, next_step, step_start
from accounts import policy
from extensions import db
from spaces.models import Unit

MAX_BYTES = 2 * 1024 * 1024
MAX_OCCURRENCES = 5000
# Upper bound of rule iterations (from each rule's DTSTART to the end of the window) that
# expansion may take: a rule "every second since the year 1" is refused before it runs.
MAX_RULE_ITERATIONS = 50_000
FETCH_TIMEOUT = (5, 20)
FETCH_SECONDS = 60
MONTHS_AHEAD = 18
PURPOSE_PREFIX = "Extern: "

_FREQ_SECONDS = {
    "SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400,
}
_EXPANDING_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
                    "BYWEEKNO", "BYSETPOS")


@dataclass(frozen=True)
class Occurrence:
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class ImportResult:
    source: CalendarSource
    imported: int = 0
    added: int = 0
    removed: int = 0
    kept: int = 0
    clashes: list = field(default_factory=list)


def _invalid(message_key, **params):
    return ValidationError({"calendar": message_key}, message_key=message_key, **params)


def _refused(message_key, problem, detail=None, **params):
    """``_invalid`` with the ``reason`` in our own words (``ICAL_PROBLEMS[problem]``, in
    the reader's language); a library's own text, if any, follows as a technical detail.
    ``problem`` stays among the params so that a stored refusal can be shown again in
    another language (``calendars.messages.stored_message``)."""
    params["reason"] = ICAL_PROBLEMS[problem]
    params["problem"] = problem
    if not detail:
        return _invalid(message_key, **params)
    return ValidationError({"calendar": message_key}, message_key=f"{message_key}_detail",
                           detail=str(detail)[:200], **params)


# --- reading and expanding ------------------------------------------------------------

def parse_calendar(data):
    """Parse iCalendar bytes; raises ValidationError for anything that is not a valid,
    reasonably small calendar."""
    if len(data) > MAX_BYTES:
        raise _invalid("ical_too_large", limit_mb=MAX_BYTES // (1024 * 1024))
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as error:  # the parser raises ValueError, IndexError, KeyError ...
        raise _refused("ical_invalid", "unreadable", error) from None
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise _refused("ical_invalid", "not_one_calendar")
    calendar = calendars[0]
    for component in calendar.walk():
        if component.errors:
            name, problem = component.errors[0]
            raise _refused("ical_invalid", "bad_entry", f"{component.name} {name}: {problem}")
    return calendar


def _as_utc(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the lab's local time
            value = value.replace(tzinfo=BERLIN)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return local_midnight(value)
    raise TypeError(value)


def _estimated_iterations(event, until):
    """Rough count of the candidates dateutil walks through from DTSTART to ``until``."""
    rules = event.get("RRULE")
    if rules is None:
        return 1
    rules = rules if isinstance(rules, list) else [rules]
    start = _as_utc(event.decoded("DTSTART"))
    total = 0
    for rule in rules:
        frequency = (rule.get("FREQ") or ["DAILY"])[0]
        interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
        span = max((until - start).total_seconds(), 0)
        periods = span / (_FREQ_SECONDS.get(frequency, 1) * interval) + 1
        factor = 1
        for part in _EXPANDING_PARTS:
            factor *= max(len(rule.get(part) or []), 1)
        total += periods * factor
    return total


def expand(calendar, starts_at, ends_at):
    """The busy occurrences between two instants, sorted; raises ValidationError when the
    calendar expands to more than MAX_OCCURRENCES or its rules would take too long."""
    iterations = 0
    for event in calendar.walk("VEVENT"):
        if "DTSTART" not in event:
            raise _refused("ical_invalid", "no_start")
        try:
            iterations += _estimated_iterations(event, ends_at)
        except (ValueError, TypeError, KeyError):
            raise _refused("ical_invalid", "bad_rule") from None
        if iterations > MAX_RULE_ITERATIONS:
            raise _invalid("ical_too_many", limit=MAX_OCCURRENCES)
    try:
        # between() expands in one pass (after() is quadratic in the number of occurrences);
        # the iteration budget above bounds its work.
        expanded = recurring_ical_events.of(calendar).between(starts_at, ends_at)
    except Exception as error:  # malformed rules or dates surface only while expanding
        raise _refused("ical_invalid", "bad_dates", error) from None
    if len(expanded) > MAX_OCCURRENCES:
        raise _invalid("ical_too_many", limit=MAX_OCCURRENCES)
    occurrences = []
    for event in expanded:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue  # marked "free" in its calendar
        try:
            start, end = _as_utc(event.start), _as_utc(event.end)
        except Exception as error:
            raise _refused("ical_invalid", "bad_dates", error) from None
        if end <= start:
            continue
        occurrences.append(Occurrence(
            uid=str(event.get("UID", ""))[:255],
            summary=str(event.get("SUMMARY", "")).strip()[:255],
            starts_at=start, ends_at=end,
        ))
    occurrences.sort(key=lambda occurrence: (occurrence.starts_at, occurrence.ends_at))
    return occurrences


def import_window(now):
    """Imports block from today (local) until 18 months ahead: the past needs no blocking."""
    today = local_date(now)
    return local_midnight(today), local_midnight(add_months(today.replace(day=1), MONTHS_AHEAD + 1))


def read_occurrences(data, now):
    calendar = parse_calendar(data)
    return expand(calendar, *import_window(now))


def _fetch_detail(error):
    """The technical detail of a failed download: the HTTP status if the server answered,
    else the kind of failure (e.g. ConnectTimeout)."""
    response = getattr(error, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    return type(error).__name__


def fetch_calendar(url):
    """Download a calendar with a timeout and the size limit; raises ValidationError."""
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    started = _time.monotonic()
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True,
                          headers={"User-Agent": "Stadtlabor-booking/1 (calendar import)"}) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise _invalid("ical_too_large", limit_mb=MAX_BYTES // (1024 * 1024))
                if _time.monotonic() - started > FETCH_SECONDS:
                    raise _refused("ical_fetch_failed", "too_slow", url=url)
                chunks.append(chunk)
    except requests.RequestException as error:
        raise _refused("ical_fetch_failed", "unreachable", _fetch_detail(error),
                       url=url) from None
    return b"".join(chunks)


def check_url(url):
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://", "webcal://")) or len(url) > 2000:
        raise ValidationError({"url": "invalid"}, message_key="ical_bad_url")
    return url


# --- writing --------------------------------------------------------------------------

def _widen(occurrence, granularity):
    return (step_start(occurrence.starts_at, granularity),
            next_step(occurrence.ends_at, granularity))


def _source_bookings(source):
    booking_ids = sa.select(ImportedEvent.booking_id).where(
        ImportedEvent.source_id == source.id, ImportedEvent.booking_id.is_not(None)
    )
    return db.session.scalars(sa.select(Booking).where(Booking.id.in_(booking_ids))).all()


def _local_blocking(unit, exclude_ids, starts_at, ends_at, now):
    """Blocking bookings of ``unit`` that are not this source's, sorted by start."""
    return db.session.scalars(
        sa.select(Booking).where(
            Booking.unit_id == unit.id,
            Booking.status.in_([str(status) for status in BLOCKING_STATUSES]),
            Booking.ends_at > starts_at, Booking.starts_at < ends_at,
            Booking.id.not_in(exclude_ids) if exclude_ids else sa.true(),
        ).order_by(Booking.starts_at)
    ).all()


def replace_import(source, occurrences, *, now, actor=None):
    """Make the source's bookings match ``occurrences`` (see the module docstring); commits.
    Returns an ImportResult listing the clashes with local bookings."""

    def work():
        unit_query = sa.select(Unit).where(Unit.id == source.unit_id)
        if is_postgresql():
            unit_query = unit_query.with_for_update()
        unit = db.session.scalar(unit_query)
        old = _source_bookings(source)
        db.session.execute(sa.delete(ImportedEvent).where(ImportedEvent.source_id == source.id))
        old_by_key = {(b.starts_at, b.ends_at, b.purpose): b for b in old}
        window_start, window_end = import_window(now)
        local = _local_blocking(unit, [b.id for b in old], window_start - timedelta(days=40),
                                window_end + timedelta(days=40), now)
        local_ends = [booking.ends_at for booking in local]

        def clash_with(starts, ends):
            index = bisect.bisect_right(local_ends, starts)
            while index < len(local) and local[index].starts_at < ends:
                booking = local[index]
                if booking.blocks_at(now):
                    return booking
                index += 1
            return None

        result = ImportResult(source=source, imported=len(occurrences))
        groups = []  # [starts, ends, purpose, [occurrences]]
        clash_rows = []
        for occurrence in occurrences:
            starts, ends = _widen(occurrence, unit.granularity)
            clashing = clash_with(starts, ends)
            if clashing is not None:
                clash_rows.append((occurrence, clashing))
                continue
            if groups and starts < groups[-1][1]:
                groups[-1][1] = max(groups[-1][1], ends)
                groups[-1][3].append(occurrence)
                continue
            groups.append([starts, ends, None, [occurrence]])
        _expire_lapsed_holds(unit, local, groups, now)

        kept_ids = set()
        for group in groups:
            summaries = sorted({o.summary for o in group[3] if o.summary})
            group[2] = (PURPOSE_PREFIX + " / ".join(summaries))[:500] if summaries else (
                PURPOSE_PREFIX + source.name)[:500]
            existing = old_by_key.get((group[0], group[1], group[2]))
            if existing is not None:
                kept_ids.add(existing.id)
                group.append(existing)
        for booking in old:
            if booking.id not in kept_ids:
                db.session.delete(booking)
                result.removed += 1
        db.session.flush()
        for group in groups:
            booking = group[4] if len(group) > 4 else None
            if booking is None:
                booking = Booking(
                    unit_id=unit.id, starts_at=group[0], ends_at=group[1],
                    status=BookingStatus.CONFIRMED.value, purpose=group[2], terms_version="",
                    created_at=now, updated_at=now, sequence=0,
                )
                db.session.add(booking)
                db.session.flush()
                result.added += 1
            else:
                result.kept += 1
            for occurrence in group[3]:
                db.session.add(_imported_event(source, occurrence, booking_id=booking.id))
        for occurrence, clashing in clash_rows:
            row = _imported_event(source, occurrence, clashes_with_booking_id=clashing.id)
            db.session.add(row)
            result.clashes.append(row)
        source.synced_at = now
        source.last_error = source.last_error_message = None
        audit.record("calendar_source.synced", source, actor=actor, site_id=unit.site_id, now=now,
                     after={"added": result.added, "removed": result.removed,
                            "kept": result.kept, "clashes": len(result.clashes)})
        return result

    return run_in_transaction(work)


def _imported_event(source, occurrence, **links):
    return ImportedEvent(source_id=source.id, external_uid=occurrence.uid,
                         summary=occurrence.summary, starts_at=occurrence.starts_at,
                         ends_at=occurrence.ends_at, **links)


def _expire_lapsed_holds(unit, local, groups, now):
    """A hold whose time ran out frees its slot: mark the ones the import takes expired
    first, so that the database constraint agrees (as every writer does)."""
    for booking in local:
        if booking.status == BookingStatus.HELD and not booking.blocks_at(now):
            if any(g[0] < booking.ends_at and booking.starts_at < g[1] for g in groups):
                expire_lapsed_holds([unit.id], booking.starts_at, booking.ends_at, now)


# --- services for the views and the CLI -----------------------------------------------

def _require_manager(actor, unit):
    if not policy.can_manage_site(actor, unit.site_id):
        raise NotAllowed()


def import_upload(actor, unit, *, name, data, now, source=None):
    """Attach an uploaded .ics to ``unit`` (or replace the file of ``source``) and import
    it. Raises NotAllowed, or ValidationError for a bad file (then nothing is written)."""
    _require_manager(actor, unit)
    occurrences = read_occurrences(data, now)
    if source is None:
        name = (name or "").strip()[:120] or "Upload"

        def create():
            created = CalendarSource(unit_id=unit.id, name=name, kind=SourceKind.UPLOAD,
                                     created_by_id=actor.id, created_at=now)
            db.session.add(created)
            db.session.flush()
            return created

        # Created in the import's transaction, so a failed import leaves no source behind.
        source = create()
    return replace_import(source, occurrences, now=now, actor=actor)


def add_url_source(actor, unit, *, name, url, now, fetch=fetch_calendar):
    """Attach a calendar URL to ``unit`` and import it at once; fails (writing nothing)
    if the URL cannot be fetched or its calendar is broken."""
    _require_manager(actor, unit)
    url = check_url(url)
    occurrences = read_occurrences(fetch(url), now)
    source = CalendarSource(unit_id=unit.id, name=(name or "").strip()[:120] or url[:120],
                            kind=SourceKind.URL, url=url, created_by_id=actor.id, created_at=now)
    db.session.add(source)
    db.session.flush()
    return replace_import(source, occurrences, now=now, actor=actor)


def error_text(error):
    """The error's message; outside a request (the CLI) in the default language, since
    the app's language choice reads the request."""
    from flask import current_app, has_request_context
    from flask_babel import force_locale

    from core.messages import message_for

    if has_request_context():
        return message_for(error)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return message_for(error)


def sync_source(source, *, now, actor=None, fetch=fetch_calendar):
    """Fetch a URL source again and replace its import. On failure the error is stored on
    the source (its message key and params, shown to the manager in their language), its
    previous import stays, and the error is raised."""
    try:
        occurrences = read_occurrences(fetch(source.url), now)
    except ValidationError as error:
        failure = stored_message(error)

        def remember():
            db.session.add(source)
            source.last_error, source.last_error_message = None, failure

        run_in_transaction(remember)
        raise
    return replace_import(source, occurrences, now=now, actor=actor)


def sync_url_sources(*, now, fetch=fetch_calendar):
    """Sync every URL source; returns (results, failures[(source, message)])."""
    results, failures = [], []
    ids = db.session.scalars(
        sa.select(CalendarSource.id).where(CalendarSource.kind == SourceKind.URL)
        .order_by(CalendarSource.id)
    ).all()
    for source_id in ids:
        source = db.session.get(CalendarSource, source_id)
        try:
            results.append(sync_source(source, now=now, fetch=fetch))
        except ValidationError as error:
            failures.append((source, error_text(error)))
    return results, failures


def remove_source(actor, source, *, now):
    """Detach a source: its bookings are deleted (local bookings untouched); commits."""
    unit = db.session.get(Unit, source.unit_id)
    _require_manager(actor, unit)

    def work():
        bookings = _source_bookings(source)
        db.session.execute(sa.delete(ImportedEvent).where(ImportedEvent.source_id == source.id))
        for booking in bookings:
            db.session.delete(booking)
        audit.record("calendar_source.removed", source, actor=actor, site_id=unit.site_id,
                     now=now, before={"name": source.name, "bookings": len(bookings)})
        db.session.delete(source)

    run_in_transaction(work)
