"""One valid request per API operation that random generation rarely gets right (a free
slot, a request awaiting a decision, a booking that may be checked in now), built on the
security world with fresh rows, so that the Schemathesis run sees each operation succeed
at least once and checks the success response against the document as well.

``valid_request(label, world, role, round_)`` returns the keyword arguments of
``APIOperation.Case`` (path_parameters, query, body), or None when there is none."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from accounts.models import Membership, Organisation, User
from bookings.tenancies import approve_tenancy, request_tenancy
from core.time import BERLIN, UTC, format_instant, local_date, utcnow
from extensions import db
from spaces.models import Site, Unit
from tests.factories import Factories

ROUNDS = {"member": 0, "manager": 1}


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _weekday(weeks_ahead, weekday=1):
    """A local date ``weeks_ahead`` weeks from today (well inside a year) on ``weekday``."""
    start = local_date(utcnow()) + timedelta(weeks=weeks_ahead)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _at(day, hour):
    return format_instant(datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC))


def _fresh_desk(make, **fields):
    witten = db.session.scalar(sa.select(Site).where(Site.slug == "witten"))
    return make.unit(witten, "desk", max_length=12, **fields)


def _tenancy(world, make, weeks_ahead, *, approved=False):
    admin = _user(world.emails["org_admin"])
    organisation = db.session.get(Organisation, world.params["organisation_id"])
    first = _weekday(weeks_ahead, 3)
    tenancy = request_tenancy(
        admin, organisation=organisation, units=[_fresh_desk(make)], weekdays=["TH"],
        start_time=time(9), end_time=time(12), starts_on=first,
        ends_on=first + timedelta(weeks=8), purpose="Advice desk",
        proposed_monthly_fee_cents=20_000, now=utcnow())
    if approved:
        tenancy = approve_tenancy(_user(world.emails["manager"]), tenancy, now=utcnow(),
                                  monthly_fee_cents=20_000)
    return tenancy


def _booking(world, make, *, status="confirmed", unit=None, now_running=False, weeks=6):
    unit = unit or _fresh_desk(make)
    if now_running:
        starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=20)
        ends_at = starts_at + timedelta(hours=2)
    else:
        day = _weekday(weeks)
        starts_at = datetime.combine(day, time(10), tzinfo=BERLIN).astimezone(UTC)
        ends_at = starts_at + timedelta(hours=2)
    return make.booking(unit, user=_user(world.emails["member"]), status=status,
                        starts_at=starts_at, ends_at=ends_at)


def _build(label, world, role, make):
    offset = ROUNDS.get(role, 2)
    desk = world.params["unit_id"]
    day = _weekday(5 + offset)
    slot = {"unit_id": desk, "start": _at(day, 9), "end": _at(day, 11)}
    if label == "GET /availability":
        return {"query": {"site": "witten", "start": _at(day, 0),
                          "end": _at(day + timedelta(days=1), 0)}}
    if label == "POST /quotes":
        return {"body": dict(slot)}
    if label == "POST /bookings":
        # A fresh unit: generated requests may have booked the world's desk by now.
        return {"body": dict(slot, unit_id=_fresh_desk(make).id, terms_accepted=True)}
    if label == "POST /tenancies":
        user = _user(world.emails[role])
        organisation = make.organisation(f"Werkbank {role}")
        db.session.add(Membership(user_id=user.id, organisation_id=organisation.id,
                                  role="admin"))
        db.session.commit()
        first = _weekday(20 + offset, 2)
        return {"body": {"organisation_id": organisation.id, "unit_ids": [desk],
                         "weekdays": ["WE"], "start_time": "09:00", "end_time": "12:00",
                         "starts_on": first.isoformat(),
                         "ends_on": (first + timedelta(weeks=6)).isoformat(),
                         "purpose": "Repair café", "proposed_monthly_fee_cents": 15_000}}
    if label == "GET /tenancies/{tenancy_id}":
        return {"path_parameters": {"tenancy_id": _tenancy(world, make, 30 + offset).id}}
    if label == "POST /tenancies/{tenancy_id}/approve":
        return {"path_parameters": {"tenancy_id": _tenancy(world, make, 32 + offset).id},
                "body": {"monthly_fee_cents": 18_000}}
    if label == "POST /tenancies/{tenancy_id}/reject":
        return {"path_parameters": {"tenancy_id": _tenancy(world, make, 34 + offset).id},
                "body": {"reason": "The room is needed for workshops."}}
    if label == "POST /tenancies/{tenancy_id}/end":
        tenancy = _tenancy(world, make, 36 + offset, approved=True)
        return {"path_parameters": {"tenancy_id": tenancy.id},
                "body": {"ends_on": (tenancy.starts_on + timedelta(weeks=2)).isoformat(),
                         "reason": "Moving out early."}}
    if label == "POST /bookings/{booking_id}/approve":
        unit = _fresh_desk(make, needs_approval=True)
        return {"path_parameters": {"booking_id": _booking(world, make, status="requested",
                                                           unit=unit, weeks=7 + offset).id}}
    if label == "POST /bookings/{booking_id}/reject":
        unit = _fresh_desk(make, needs_approval=True)
        return {"path_parameters": {"booking_id": _booking(world, make, status="requested",
                                                           unit=unit, weeks=8 + offset).id},
                "body": {"reason": "The lab is closed for a workshop."}}
    if label == "POST /bookings/{booking_id}/check-in":
        return {"path_parameters": {"booking_id": _booking(world, make, now_running=True).id}}
    if label == "POST /bookings/{booking_id}/move":
        booking = _booking(world, make, weeks=9 + offset)
        return {"path_parameters": {"booking_id": booking.id},
                "body": {"unit_id": _fresh_desk(make).id}}
    return None


def valid_request(app, label, world, role):
    with app.app_context():
        try:
            return _build(label, world, role, Factories())
        finally:
            db.session.remove()
