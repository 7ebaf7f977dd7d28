"""Two labs with their managers, a request waiting at Witten, a fixed clock."""
from datetime import datetime

import flask_babel
import pytest
import sqlalchemy as sa
from flask import g, has_app_context

from bookings.models import Booking
from core import hooks
from core.models import AuditEntry, OutboxMessage
from core.time import localize
from extensions import db

# A Monday morning before the booked dates.
NOW = localize(datetime(2027, 3, 1, 9, 0))


def berlin(year, month, day, hour=0, minute=0):
    return localize(datetime(year, month, day, hour, minute))


class Browser:
    """The web test client logged in as one user at a time."""

    def __init__(self, client):
        self.client = client

    def login(self, user):
        self.client.post("/logout")
        response = self.client.post("/login", data={"email": user.email,
                                                    "password": "secret-password"})
        assert response.status_code in (302, 303), response.status_code
        return self

    def _fresh(self):
        if has_app_context():
            flask_babel.refresh()
            g.pop("_login_user", None)

    def get(self, path, **kwargs):
        self._fresh()
        return self.client.get(path, **kwargs)

    def post(self, path, **kwargs):
        self._fresh()
        return self.client.post(path, **kwargs)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def witten(make):
    return make.site("witten", name="Stadtlabor Witten")


@pytest.fixture
def herne(make):
    return make.site("herne", name="Stadtlabor Herne")


@pytest.fixture
def witten_manager(make, witten):
    return make.user("manager.witten@example.org", role="manager", sites=[witten],
                     name="Wiebke Witten")


@pytest.fixture
def herne_manager(make, herne):
    return make.user("manager.herne@example.org", role="manager", sites=[herne],
                     name="Henrik Herne")


@pytest.fixture
def event_space(make, witten):
    return make.unit(witten, "event_space", name="Saal", needs_approval=True, max_length=12,
                     capacity=40)


@pytest.fixture
def requester(make):
    organisation = make.organisation("Ruhrbeans Kaffeerösterei", kind="retailer")
    return make.user("rita@example.org", name="Rita Röster", organisation=organisation,
                     locale="en")


@pytest.fixture
def request_at_witten(make, event_space, requester):
    return make.booking(event_space, user=requester, status="requested",
                        organisation=requester.organisations[0],
                        starts_at=berlin(2027, 3, 16, 14), ends_at=berlin(2027, 3, 16, 18),
                        purpose="Tasting evening", created_at=NOW)


@pytest.fixture
def restore_hooks():
    saved = dict(hooks._HOOKS)
    yield hooks
    hooks._HOOKS.clear()
    hooks._HOOKS.update(saved)


def fresh(booking_id):
    db.session.rollback()
    return db.session.get(Booking, booking_id)


def audit_entries(action=None):
    db.session.rollback()
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def outbox(kind=None):
    db.session.rollback()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()
