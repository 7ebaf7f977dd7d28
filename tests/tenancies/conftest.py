"""Shared setup of the tenancy tests: two labs, their managers, a partner organisation."""
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from bookings.models import Booking
from bookings.tenancies import request_tenancy
from core.models import AuditEntry, OutboxMessage
from core.time import localize
from extensions import db
from tests.api.conftest import ApiClient

# A Monday morning before the dates the tests use (Thursdays in March/April 2027).
NOW = localize(datetime(2027, 3, 1, 9, 0))


def berlin(year, month, day, hour=0, minute=0):
    return localize(datetime(year, month, day, hour, minute))


@dataclass
class Lab:
    witten: object
    herne: object
    desk_a: object
    desk_b: object
    desk_c: object
    shelf: object
    meeting_room: object
    herne_desk: object
    witten_manager: object
    herne_manager: object
    partner: object
    partner_admin: object
    member: object


@pytest.fixture
def lab(make):
    witten, herne = make.site("witten"), make.site("herne")
    return Lab(
        witten=witten,
        herne=herne,
        desk_a=make.unit(witten, "desk", name="Desk A", position=1, max_length=12),
        desk_b=make.unit(witten, "desk", name="Desk B", position=2, max_length=12),
        desk_c=make.unit(witten, "desk", name="Desk C", position=3, max_length=12),
        shelf=make.unit(witten, "popup_shelf", name="Shelf 1", granularity="day",
                        max_length=31),
        meeting_room=make.unit(witten, "meeting_room", name="Room 1", max_length=12),
        herne_desk=make.unit(herne, "desk", name="Herne desk"),
        witten_manager=make.user("manager.witten@example.org", role="manager",
                                 sites=[witten], name="Wanda Witten"),
        herne_manager=make.user("manager.herne@example.org", role="manager", sites=[herne],
                                name="Hein Herne"),
        partner=(partner := make.organisation("Ruhrbank", kind="partner")),
        partner_admin=make.user("partner@example.org", organisation=partner,
                                membership_role="admin", name="Paula Partner"),
        member=make.user("member@example.org", name="Max Member"),
    )


def thursdays(lab, *, units=None, starts_on=date(2027, 3, 4), ends_on=date(2027, 3, 25),
              fee=45_000, **overrides):
    """A requested tenancy: the partner's advice desk every Thursday 9:00-16:00."""
    arguments = dict(
        organisation=lab.partner, units=units or [lab.desk_a], weekdays=["TH"],
        start_time=time(9), end_time=time(16), starts_on=starts_on, ends_on=ends_on,
        purpose="Advice desk", proposed_monthly_fee_cents=fee, now=NOW,
    )
    arguments.update(overrides)
    return request_tenancy(lab.partner_admin, **arguments)


def occurrences(tenancy_id):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Booking).where(Booking.tenancy_id == tenancy_id).order_by(
            Booking.unit_id, Booking.starts_at)
    ).all()


def mails(kind):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()


def audit(action):
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.fixture
def api(client, make):
    return ApiClient(client)
