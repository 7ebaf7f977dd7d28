"""Running a site: units, opening hours, closures and public holidays.

Only the site's managers and chamber admins may change a site. Changes that take booked
time away (deactivating a unit; a closure on days with hourly bookings; opening hours that
leave hourly bookings outside) never cancel silently: without the manager's confirmation
of exactly the affected bookings nothing is written and the affected bookings are
returned; with it they are cancelled with a notice to each booker in the same
transaction (or, for opening hours, kept as exceptions if the manager chooses so). Bookings are reached through hooks that the
bookings package registers (``bookings.site_changes``); spaces never imports bookings.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from accounts import policy
from core import hooks
from core.audit import record
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.messages import register
from core.time import local_midnight, to_local
from extensions import db
from spaces.holidays import nrw_public_holidays
from spaces.models import Closure, Granularity, OpeningHours, Unit, UnitKind

register({
    "unit_invalid": _l("Please check the marked fields of the unit."),
    "opening_hours_invalid": _l("Each day needs an opening time before its closing time, "
                                "or none at all."),
    "closure_invalid": _l("A closure needs a first day on or before its last day."),
    "holiday_year_invalid": _l("Please choose a year between %(first)s and %(last)s."),
})

UNIT_FIELDS = (
    "kind", "name", "group_name", "position", "granularity", "min_length", "max_length",
    "lead_time_minutes", "horizon_days", "needs_approval", "capacity", "description",
)
NOTICE_MAX = 500


@dataclass
class SiteChange:
    """The outcome of a change that may take booked time away.

    ``done`` is False when confirmation is needed: then ``affected`` lists the bookings that
    would be cancelled and nothing was written (``notice_missing``: the manager confirmed
    them but wrote no notice to the bookers). When done, ``cancelled`` lists the bookings
    cancelled with it, ``kept`` those the manager chose to keep as they are (opening
    hours only) and ``result`` is what was changed (unit, closure(s), site).
    """

    done: bool
    affected: list = field(default_factory=list)
    notice_missing: bool = False
    cancelled: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    result: object = None


def require_manager(actor, site_id):
    if not policy.can_manage_site(actor, site_id):
        raise NotAllowed()


def unit_snapshot(unit):
    values = {name: getattr(unit, name) for name in UNIT_FIELDS}
    values["active"] = unit.active
    return values


def unit_problems(values):
    """{field: code} for unit values that break the rules (types are the caller's job)."""
    problems = {}

    def check(name, ok, code="invalid"):
        if name not in problems and not ok:
            problems[name] = code

    check("kind", values.get("kind") in set(UnitKind), "unknown")
    check("granularity", values.get("granularity") in set(Granularity), "unknown")
    name = (values.get("name") or "").strip()
    check("name", bool(name), "required")
    check("name", len(name) <= 120, "too_long")
    check("group_name", len(values.get("group_name") or "") <= 120, "too_long")
    for number, minimum in (("position", 0), ("min_length", 1), ("max_length", 1),
                            ("lead_time_minutes", 0), ("horizon_days", 1), ("capacity", 1)):
        value = values.get(number)
        check(number, isinstance(value, int) and not isinstance(value, bool), "required")
        check(number, not isinstance(value, int) or value >= minimum, "out_of_range")
    if "min_length" not in problems and "max_length" not in problems:
        check("max_length", values["max_length"] >= values["min_length"], "below_minimum")
    return problems


def _apply_unit_values(unit, values):
    problems = unit_problems(values)
    if problems:
        raise ValidationError(problems, message_key="unit_invalid")
    for name in UNIT_FIELDS:
        value = values.get(name)
        if name in ("name", "group_name", "description"):
            value = (value or "").strip()
        if name == "group_name":
            value = value or None
        if name == "needs_approval":
            value = bool(value)
        setattr(unit, name, value)


def create_unit(actor, site, values, *, now):
    """Add a unit to ``site`` (active) with ``values`` (every name in UNIT_FIELDS).
    Audit: ``unit.created``. Raises NotAllowed, ValidationError (fields named)."""
    require_manager(actor, site.id)

    def work():
        unit = Unit(site_id=site.id, active=True, created_at=now)
        _apply_unit_values(unit, values)
        db.session.add(unit)
        db.session.flush()
        record("unit.created", unit, actor=actor, site_id=site.id, after=unit_snapshot(unit),
               now=now)
        return unit

    return run_in_transaction(work)


def update_unit(actor, unit, values, *, now):
    """Change a unit's settings (not whether it is active: see deactivate_unit and
    reactivate_unit). Existing bookings stay as they are. Audit: ``unit.updated`` with
    before/after. Raises NotAllowed, ValidationError."""
    require_manager(actor, unit.site_id)

    def work():
        before = unit_snapshot(unit)
        _apply_unit_values(unit, values)
        after = unit_snapshot(unit)
        if after != before:
            record("unit.updated", unit, actor=actor, site_id=unit.site_id, before=before,
                   after=after, now=now)
        return unit

    return run_in_transaction(work)


def _clean_notice(notice):
    return (notice or "").strip()[:NOTICE_MAX] or None


def _all_confirmed(affected, confirmed_ids):
    """Whether the manager confirmed every affected booking (a booking made since they
    looked is not among the ids, so they must look again)."""
    return {each.id for each in affected} <= set(confirmed_ids or ())


def _guarded(actor, affected_query, confirmed_ids, notice, now, apply):
    """Run ``apply()`` after cancelling the affected bookings, but only when the manager
    confirmed every one of them (ids) and wrote a notice; else write nothing."""
    affected = affected_query()
    if not _all_confirmed(affected, confirmed_ids):
        return SiteChange(done=False, affected=affected)
    notice = _clean_notice(notice)
    if affected and notice is None:
        return SiteChange(done=False, affected=affected, notice_missing=True)
    cancelled = hooks.ask("cancel_for_site_change", actor, affected, now=now, reason=notice,
                          default=[]) if affected else []
    return SiteChange(done=True, cancelled=cancelled, result=apply())


def deactivate_unit(actor, unit, *, now, confirmed_ids=None, notice=None):
    """Take a unit out of booking. Its blocking bookings that have not ended are affected:
    see SiteChange for the confirmation rule. Audit: ``unit.deactivated`` (and
    ``booking.cancelled`` per cancelled booking). Raises NotAllowed."""
    require_manager(actor, unit.site_id)

    def affected():
        return hooks.ask("bookings_in_the_way", [unit.id], now, None, now=now, default=[])

    def apply():
        before = unit_snapshot(unit)
        unit.active = False
        record("unit.deactivated", unit, actor=actor, site_id=unit.site_id, before=before,
               after=unit_snapshot(unit), now=now)
        return unit

    if not unit.active:
        return SiteChange(done=True, result=unit)
    return run_in_transaction(
        lambda: _guarded(actor, affected, confirmed_ids, notice, now, apply))


def reactivate_unit(actor, unit, *, now):
    """Make a deactivated unit bookable again. Audit: ``unit.reactivated``."""
    require_manager(actor, unit.site_id)

    def work():
        if not unit.active:
            before = unit_snapshot(unit)
            unit.active = True
            record("unit.reactivated", unit, actor=actor, site_id=unit.site_id, before=before,
                   after=unit_snapshot(unit), now=now)
        return unit

    return run_in_transaction(work)


def _hours_snapshot(site):
    return {str(hours.weekday): [hours.opens_at.strftime("%H:%M"),
                                 hours.closes_at.strftime("%H:%M")]
            for hours in sorted(site.opening_hours, key=lambda h: h.weekday)}


def _hours_problems(hours):
    problems = {f"hours-{day}": "opens_before_closes"
                for day, times in hours.items()
                if times is not None and not times[0] < times[1]}
    problems.update({f"hours-{day}": "unknown" for day in hours if day not in range(7)})
    return problems


def _write_hours(actor, site, wanted, now, kept=()):
    """Store ``wanted`` ({weekday: (opens, closes)}) as the site's opening hours; audit
    with before/after (and the ids of the bookings kept outside the new hours)."""
    before = _hours_snapshot(site)
    for row in list(site.opening_hours):
        if row.weekday not in wanted:
            site.opening_hours.remove(row)
    db.session.flush()
    existing = {row.weekday: row for row in site.opening_hours}
    for day, (opens, closes) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            site.opening_hours.append(OpeningHours(weekday=day, opens_at=opens,
                                                   closes_at=closes))
        else:
            row.opens_at, row.closes_at = opens, closes
    db.session.flush()
    db.session.refresh(site, ["opening_hours"])
    after = _hours_snapshot(site)
    if after != before:
        if kept:
            after = dict(after, kept_bookings=[booking.id for booking in kept])
        record("site.opening_hours_changed", site, actor=actor, site_id=site.id,
               before=before, after=after, now=now)
    return site


def _local_day_pieces(starts_at, ends_at):
    """[start, end) as local wall-clock pieces (date, naive start, naive end), one per local
    day: daylight-saving changes shift the UTC instants, not the wall-clock times."""
    start = to_local(starts_at).replace(tzinfo=None)
    end = to_local(ends_at).replace(tzinfo=None)
    pieces, day = [], start.date()
    while datetime.combine(day, time(0)) < end:
        midnight = datetime.combine(day, time(0))
        pieces.append((day, max(start, midnight), min(end, midnight + timedelta(days=1))))
        day += timedelta(days=1)
    return pieces


def _outside_hours(booking, hours, weekdays):
    """Whether part of ``booking`` lies on one of ``weekdays`` outside ``hours``
    ({weekday: (opens, closes)}; a missing weekday is closed)."""
    for day, start, end in _local_day_pieces(booking.starts_at, booking.ends_at):
        if day.weekday() not in weekdays:
            continue
        times = hours.get(day.weekday())
        if times is None or start < datetime.combine(day, times[0]) \
                or end > datetime.combine(day, times[1]):
            return True
    return False


def _hourly_bookings_outside(site, wanted, now):
    """Blocking hourly bookings of the site that have not ended and lie, even partly,
    outside ``wanted`` on a weekday whose hours change (days whose hours stay are not
    looked at: their bookings are no more outside than before)."""
    current = {row.weekday: (row.opens_at, row.closes_at) for row in site.opening_hours}
    changed = {day for day in range(7) if current.get(day) != wanted.get(day)}
    unit_ids = _hourly_unit_ids(site)
    if not changed or not unit_ids:
        return []
    upcoming = hooks.ask("bookings_in_the_way", unit_ids, now, None, now=now, default=[])
    return [booking for booking in upcoming if _outside_hours(booking, wanted, changed)]


def set_opening_hours(actor, site, hours, *, now, confirmed_ids=None, notice=None,
                      keep_bookings=False):
    """Replace the site's opening hours: ``hours`` maps weekday (0 = Monday) to
    (opens_at, closes_at) local times, or None for closed; missing weekdays are closed.

    Upcoming blocking bookings of hourly units that the new hours leave (even partly)
    outside, on a weekday whose hours change, are affected: nothing is written until the
    manager confirmed exactly them (``confirmed_ids``). Then either ``keep_bookings``: they
    stay as exceptions (they were valid when made); or they are cancelled with ``notice``
    as for closures (see SiteChange). ``result`` is the site.
    Audit: ``site.opening_hours_changed`` (``after.kept_bookings``: the ids kept) and
    ``booking.cancelled`` per cancelled booking.
    Raises NotAllowed, ValidationError (field ``hours-<weekday>``)."""
    require_manager(actor, site.id)
    problems = _hours_problems(hours)
    if problems:
        raise ValidationError(problems, message_key="opening_hours_invalid")
    wanted = {day: tuple(times) for day, times in hours.items() if times is not None}

    def affected():
        return _hourly_bookings_outside(site, wanted, now)

    def work():
        if not keep_bookings:
            return _guarded(actor, affected, confirmed_ids, notice, now,
                            lambda: _write_hours(actor, site, wanted, now))
        kept = affected()
        if not _all_confirmed(kept, confirmed_ids):
            return SiteChange(done=False, affected=kept)
        return SiteChange(done=True, kept=kept, result=_write_hours(actor, site, wanted, now,
                                                                    kept))

    return run_in_transaction(work)


def _closure_snapshot(closure):
    return {"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat(),
            "reason": closure.reason}


def _hourly_unit_ids(site):
    return db.session.scalars(
        sa.select(Unit.id).where(Unit.site_id == site.id, Unit.granularity == "hour")
    ).all()


def _hourly_bookings_on(site, days, now):
    """Blocking bookings of the site's hourly units on any of ``days`` that have not ended."""
    unit_ids = _hourly_unit_ids(site)
    found = {}
    for first, last in _runs(sorted(days)):
        start = max(local_midnight(first), now)
        end = local_midnight(last + timedelta(days=1))
        if start < end and unit_ids:
            for booking in hooks.ask("bookings_in_the_way", unit_ids, start, end, now=now,
                                     default=[]):
                found[booking.id] = booking
    return sorted(found.values(), key=lambda booking: (booking.starts_at, booking.id))


def _runs(days):
    """Consecutive dates grouped into (first, last) runs."""
    runs = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _add_closures(actor, site, spans, now):
    closures = []
    for starts_on, ends_on, reason in spans:
        closure = Closure(site_id=site.id, starts_on=starts_on, ends_on=ends_on, reason=reason)
        db.session.add(closure)
        db.session.flush()
        record("closure.added", closure, actor=actor, site_id=site.id,
               after=_closure_snapshot(closure), now=now)
        closures.append(closure)
    return closures


def add_closure(actor, site, starts_on, ends_on, reason, *, now, confirmed_ids=None,
                notice=None):
    """Close the site on the local days ``starts_on`` to ``ends_on`` (inclusive). Hourly
    bookings on those days that have not ended are affected (day, week and month bookings
    span closures): see SiteChange. Audit: ``closure.added``. Raises NotAllowed,
    ValidationError (``ends_on`` before ``starts_on``, ``reason`` too long)."""
    require_manager(actor, site.id)
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ValidationError({"ends_on": "before_start"}, message_key="closure_invalid")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": "too_long"}, message_key="closure_invalid")
    days = [starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]

    def work():
        return _guarded(actor, lambda: _hourly_bookings_on(site, days, now), confirmed_ids,
                        notice, now,
                        lambda: _add_closures(actor, site, [(starts_on, ends_on, reason)],
                                              now)[0])

    return run_in_transaction(work)


def remove_closure(actor, closure, *, now):
    """Delete a closure (the days are open again). Audit: ``closure.removed``."""
    require_manager(actor, closure.site_id)

    def work():
        record("closure.removed", closure, actor=actor, site_id=closure.site_id,
               before=_closure_snapshot(closure), now=now)
        db.session.delete(closure)
        return closure

    return run_in_transaction(work)


def _closed_dates(site, first, last):
    rows = db.session.scalars(sa.select(Closure).where(
        Closure.site_id == site.id, Closure.starts_on <= last, Closure.ends_on >= first)).all()
    closed = set()
    for closure in rows:
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            closed.add(day)
            day += timedelta(days=1)
    return closed


def add_public_holidays(actor, site, year, *, now, confirmed_ids=None, notice=None):
    """Add the NRW public holidays of ``year`` as one-day closures, skipping days that are
    closed already (so running it twice adds nothing). Affected hourly bookings: see
    SiteChange; ``result`` is the list of new closures. Raises NotAllowed, ValidationError
    (year out of range)."""
    require_manager(actor, site.id)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": "out_of_range"}, message_key="holiday_year_invalid",
                              first=2000, last=2100)
    # Closure reasons are shown to everybody: stored in the lab's own language.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        holidays = [(day, str(name)) for day, name in nrw_public_holidays(year)]

    def work():
        closed = _closed_dates(site, holidays[0][0], holidays[-1][0])
        new = [(day, day, name) for day, name in holidays if day not in closed]
        return _guarded(actor, lambda: _hourly_bookings_on(site, [d for d, _, _ in new], now),
                        confirmed_ids, notice, now,
                        lambda: _add_closures(actor, site, new, now))

    return run_in_transaction(work)
