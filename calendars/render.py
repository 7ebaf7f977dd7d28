"""Turn booking rows into RFC 5545 components with the icalendar library.

Choices (and why):

* **One VEVENT per occurrence**, never RRULE+EXDATE. The database holds every occurrence of a
  series as its own booking with its own status, times and sequence; exporting them one by
  one makes every client show exactly those occurrences (no client-side expansion to get
  wrong, no EXDATE/RECURRENCE-ID bookkeeping when one occurrence is cancelled or moved), and
  each occurrence keeps its own UID, so a booking's .ics from a mail and the feed agree.
* **DTSTART/DTEND with TZID=Europe/Berlin plus a VTIMEZONE** generated from the tz database
  for the years the calendar spans. Clients then show the wall-clock times the booker chose
  on both sides of a daylight-saving change, and Outlook (which needs the VTIMEZONE) works.
  The one exception is an instant in the second pass of the repeated hour in October,
  which no local time can name (RFC 5545 takes the first): it is written in UTC. (No
  X-WR-TIMEZONE: readers that honour it move UTC times into local ones and lose exactly
  that distinction.)
  Bookings of day, week and month units that start and end at local midnight are all-day
  events (``VALUE=DATE``) so that clients show them as such.
* **DTSTAMP is the booking's ``updated_at``**, not the time of the request: the serialised
  feed then depends only on the data, so it can be cached and given a stable ETag.
* Statuses: confirmed -> CONFIRMED; requested and held -> TENTATIVE; cancelled, rejected,
  expired, no-show and lapsed holds -> CANCELLED (kept for a while so clients drop them).

Properties are set as typed values directly (``event["DTSTART"] = vDDDTypes(...)``): this
is what ``Component.add`` does after guessing the type, without the guessing.
"""
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from itertools import chain

from flask_babel import gettext as _
from flask_babel import pgettext
from icalendar import Calendar, Event, Timezone, vDDDTypes, vInt, vText

from bookings.models import BookingStatus
from core.time import BERLIN, UTC
from privacy.services import shown_name

PRODID = "-//IHK Mittleres Ruhrgebiet//Stadtlabor booking//DE"
REFRESH = "PT15M"
REFRESH_EVERY = timedelta(minutes=15)

PUBLIC = "public"
PRIVATE = "private"
MANAGER = "manager"


@lru_cache(maxsize=16)
def berlin_vtimezone(first_year, last_year):
    """VTIMEZONE for Europe/Berlin, exact for the given years (generated from zoneinfo)."""
    return Timezone.from_tzinfo(
        BERLIN, tzid="Europe/Berlin", first_date=date(first_year, 1, 1),
        last_date=date(last_year + 1, 1, 1),
    )


def new_calendar(name, first_year, last_year):
    calendar = Calendar()
    calendar["PRODID"] = vText(PRODID)
    calendar["VERSION"] = vText("2.0")
    calendar["CALSCALE"] = vText("GREGORIAN")
    calendar["METHOD"] = vText("PUBLISH")
    calendar["NAME"] = vText(name)
    calendar["X-WR-CALNAME"] = vText(name)
    refresh = vDDDTypes(REFRESH_EVERY)
    refresh.params["VALUE"] = "DURATION"
    calendar["REFRESH-INTERVAL"] = refresh
    calendar["X-PUBLISHED-TTL"] = vText(REFRESH)
    calendar.add_component(berlin_vtimezone(first_year, last_year))
    return calendar


END_OF_CALENDAR = b"END:VCALENDAR\r\n"


def serialise(calendar, components):
    """The bytes of ``calendar`` with ``components`` (an iterable, consumed lazily) added as
    its last subcomponents: what ``to_ical()`` gives, without holding all of them."""
    head = calendar.to_ical()
    if not head.endswith(END_OF_CALENDAR):  # a library change we do not follow yet
        raise ValueError("unexpected end of serialised calendar")
    body = (component.to_ical() for component in components)
    return b"".join(chain([head[:-len(END_OF_CALENDAR)]], body, [END_OF_CALENDAR]))


def ical_status(status, hold_expires_at, now):
    if status == BookingStatus.CONFIRMED:
        return "CONFIRMED"
    if status == BookingStatus.REQUESTED:
        return "TENTATIVE"
    if status == BookingStatus.HELD and (hold_expires_at is None or hold_expires_at > now):
        return "TENTATIVE"
    return "CANCELLED"


def _is_local_midnight(instant):
    return instant.astimezone(BERLIN).time() == time(0)


def event_times(starts_at, ends_at, granularity):
    """DTSTART/DTEND values: local dates for whole-day bookings, else Berlin datetimes."""
    if granularity != "hour" and _is_local_midnight(starts_at) and _is_local_midnight(ends_at):
        return starts_at.astimezone(BERLIN).date(), ends_at.astimezone(BERLIN).date()
    return _wall_clock(starts_at), _wall_clock(ends_at)


def _wall_clock(instant):
    """Berlin local time, unless it is the second pass through the hour that repeats when
    the clocks go back: RFC 5545 reads an ambiguous local time as the first one, so such
    an instant is written in UTC to stay exact."""
    local = instant.astimezone(BERLIN)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return instant.astimezone(UTC)
    return local


class EventContext:
    """What every event of one calendar shares: audience, links, units and sites."""

    def __init__(self, audience, uid_domain, base_url, units, now, single_unit=False):
        self.audience = audience
        self.single_unit = single_unit
        self.uid_domain = uid_domain
        self.base_url = base_url
        self.units = units  # unit_id -> UnitInfo
        self.now = now
        # Its own context: the word means "busy" here, not "bookable".
        self.booked = pgettext("calendar event", "Booked")
        self._unit_texts = {}

    def unit_texts(self, unit_id):
        """Texts every event of a unit shares (location; summary and description in public
        feeds), made once per calendar: a feed repeats them for each of its events."""
        texts = self._unit_texts.get(unit_id)
        if texts is None:
            unit = self.units[unit_id]
            texts = self._unit_texts[unit_id] = UnitTexts(
                location=vText(unit.location),
                public_summary=vText(
                    self.booked if self.single_unit else f"{self.booked}: {unit.name}"),
                public_description=vText(
                    f"{unit.name} – {unit.site_name}\n{self.base_url}/units/{unit_id}"),
            )
        return texts


@dataclass(frozen=True)
class UnitTexts:
    location: vText
    public_summary: vText
    public_description: vText


_STATUS_TEXTS = {name: vText(name) for name in ("CONFIRMED", "TENTATIVE", "CANCELLED")}


def booking_event(row, context):
    """One VEVENT for a booking row (see ``feeds.booking_rows`` for the columns)."""
    unit = context.units[row.unit_id]
    texts = context.unit_texts(row.unit_id)
    starts, ends = event_times(row.starts_at, row.ends_at, unit.granularity)
    updated = vDDDTypes(row.updated_at)
    event = Event()
    event["UID"] = vText(f"booking-{row.id}@{context.uid_domain}")
    event["DTSTAMP"] = updated
    event["LAST-MODIFIED"] = updated
    event["CREATED"] = vDDDTypes(row.created_at)
    event["SEQUENCE"] = vInt(row.sequence)
    event["DTSTART"] = vDDDTypes(starts)
    event["DTEND"] = vDDDTypes(ends)
    event["LOCATION"] = texts.location
    event["STATUS"] = _STATUS_TEXTS[ical_status(row.status, row.hold_expires_at, context.now)]
    if context.audience == PUBLIC:
        event["SUMMARY"] = texts.public_summary
        event["DESCRIPTION"] = texts.public_description
    else:
        event["SUMMARY"] = vText(_summary(row, unit, context))
        event["DESCRIPTION"] = vText(_description(row, context))
        event["URL"] = vText(f"{context.base_url}/bookings/{row.id}")
    return event


def _summary(row, unit, context):
    if context.audience == MANAGER:
        who = shown_name(row.booker_name) or row.purpose or context.booked
        return f"{unit.name}: {who}"
    return f"{unit.name} – {unit.site_name}"


def _description(row, context):
    lines = []
    if context.audience == MANAGER or getattr(row, "organisation_name", None):
        if row.booker_name:
            lines.append(_("Booked by: %(name)s", name=shown_name(row.booker_name)))
        if getattr(row, "organisation_name", None):
            lines.append(_("Organisation: %(name)s", name=row.organisation_name))
    if row.purpose:
        lines.append(row.purpose)
    lines.append(f"{context.base_url}/bookings/{row.id}")
    return "\n".join(lines)


def closure_event(closure, site, context, stamp):
    """An all-day VEVENT for a closure (``ends_on`` inclusive, DTEND exclusive)."""
    event = Event()
    event["UID"] = vText(f"closure-{closure.id}@{context.uid_domain}")
    event["DTSTAMP"] = vDDDTypes(stamp)
    event["DTSTART"] = vDDDTypes(closure.starts_on)
    event["DTEND"] = vDDDTypes(closure.ends_on + timedelta(days=1))
    summary = _("Closed")
    event["SUMMARY"] = vText(f"{summary}: {closure.reason}" if closure.reason else summary)
    event["LOCATION"] = vText(f"{site.name}, {site.address}")
    event["STATUS"] = vText("CONFIRMED")
    return event
