"""Property test: random book / cancel / expire / clock jumps around both DST changes,
against the plain model in ``booking_model`` (which imports no app code). After every step,
availability and the stored bookings agree with the model and never overlap."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from bookings.availability import free_intervals
from bookings.models import Booking
from bookings.services import cancel_booking, create_booking, expire_holds
from core.errors import BookingConflict, InvalidTransition, ValidationError
from core.models import AuditEntry
from extensions import db
from spaces.models import Unit
from tests.bookings.booking_model import Model, midnight
from tests.bookings.conftest import NOW
from tests.bookings.test_concurrency import OVERLAPS

# Saturday to Monday around each change: 28 March (23 h) and 31 October 2027 (25 h).
WINDOWS = [[date(2027, 3, 27) + timedelta(days=n) for n in range(3)],
           [date(2027, 10, 30) + timedelta(days=n) for n in range(3)]]
UNITS = {"desk": ("hour", False), "room": ("hour", True), "shelf": ("day", False)}

book_step = st.tuples(
    st.just("book"), st.sampled_from(sorted(UNITS)), st.integers(0, 1),  # unit, user
    st.sampled_from([day for window in WINDOWS for day in window]),
    st.integers(0, 24), st.integers(1, 4), st.booleans(),  # hour offset, length, pay
)
steps = st.lists(
    st.one_of(
        book_step, book_step,
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("expire")),
        st.tuples(st.just("jump"), st.sampled_from([1, 5, 14, 15, 16, 30])),
    ),
    max_size=25,
)


@pytest.mark.slow
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_random_operations_agree_with_the_model(app, make, restore_hooks, steps):
    _reset()
    if not hasattr(make, "_property_setup"):
        make._property_setup = _setup(make)
    unit_ids, user_ids = make._property_setup
    restore_hooks.register("payment_required", lambda booking: booking.purpose == "pay")
    model = Model(UNITS, NOW, app.config["BOOKING_HOLD_MINUTES"])
    names = {unit_id: name for name, unit_id in unit_ids.items()}

    for step in steps:
        kind = step[0]
        if kind == "book":
            _, unit, user_index, day, offset, length, pay = step
            _book(model, unit_ids, user_ids, unit, user_index, day, offset, length, pay)
        elif kind == "cancel" and model.bookings:
            booking = model.bookings[step[1] % len(model.bookings)]
            expected = model.cancel(booking)
            stored = db.session.get(Booking, booking.id)
            actor = db.session.get(User, stored.booked_by_id)
            try:
                cancel_booking(actor, stored, now=model.now)
                assert expected == "cancelled"
            except InvalidTransition:
                assert expected == "invalid"
        elif kind == "expire":
            assert expire_holds(model.now) == model.expire_holds()
        elif kind == "jump":
            model.now += timedelta(minutes=step[1])
        _check(model, unit_ids, names)


def _setup(make):
    site = make.site(hours={day: (time(0), time(23)) for day in range(7)})
    unit_ids = {}
    for name, (granularity, needs_approval) in UNITS.items():
        kind = {"desk": "desk", "room": "meeting_room", "shelf": "popup_shelf"}[name]
        unit_ids[name] = make.unit(site, kind, granularity=granularity,
                                   needs_approval=needs_approval, max_length=24).id
    return unit_ids, [make.user().id, make.user().id]


def _reset():
    db.session.rollback()
    db.session.execute(sa.delete(AuditEntry))
    db.session.execute(sa.delete(Booking))
    db.session.commit()


def _book(model, unit_ids, user_ids, unit, user_index, day, offset, length, pay):
    if UNITS[unit][0] == "hour":
        start, end, valid = model.hourly_slot(day, offset, length)
    else:
        start, end, valid = model.daily_slot(day, length)
    expected, hold = model.book(unit, start, end, pay) if valid else ("invalid", None)
    try:
        booking = create_booking(
            db.session.get(User, user_ids[user_index]), unit=db.session.get(Unit, unit_ids[unit]),
            starts_at=start, ends_at=end, now=model.now, terms_accepted=True,
            purpose="pay" if pay else "",
        )
    except ValidationError as error:
        assert expected == "invalid", error.fields
        return
    except BookingConflict:
        assert expected == "conflict"
        return
    assert (booking.status, booking.hold_expires_at) == (expected, hold)
    model.add(booking.id, unit, start, end, booking.status, booking.hold_expires_at)


def _check(model, unit_ids, names):
    db.session.rollback()
    units = [db.session.get(Unit, unit_id) for unit_id in unit_ids.values()]
    for days in WINDOWS:
        start, end = midnight(days[0]), midnight(days[-1] + timedelta(days=1))
        actual = free_intervals(units, start, end, model.now)
        for unit in units:
            assert actual[unit.id] == model.free(names[unit.id], days), (names[unit.id], days)
    stored = db.session.execute(
        sa.select(Booking.id, Booking.unit_id, Booking.starts_at, Booking.ends_at,
                  Booking.status).order_by(Booking.id)
    ).all()
    assert [(i, names[u], s, e, status) for i, u, s, e, status in stored] == model.rows()
    assert db.session.scalar(OVERLAPS) == 0
    blocking = [b for b in model.bookings if b.blocks(model.now)]
    assert not any(a.unit == b.unit and a.start < b.end and b.start < a.end
                   for a in blocking for b in blocking if a.id < b.id)
