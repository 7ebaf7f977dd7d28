"""Races: many workers, each with its own app context, session and connection, released
together by a barrier. The database, not luck, keeps bookings from overlapping."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from bookings.models import Booking
from bookings.services import create_booking, create_series
from core.errors import BookingConflict
from extensions import db
from tests.concurrency import race as shared_race
from spaces.models import Site, Unit
from tests.bookings.conftest import NOW, berlin

pytestmark = pytest.mark.slow

OVERLAPS = sa.text(
    "SELECT count(*) FROM bookings a JOIN bookings b"
    " ON a.unit_id = b.unit_id AND a.id < b.id"
    " AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
    " WHERE a.status IN ('requested', 'held', 'confirmed')"
    " AND b.status IN ('requested', 'held', 'confirmed')"
)


class Won:
    def __init__(self, id, unit_id, status):
        self.id, self.unit_id, self.status = id, unit_id, status


def worker_count():
    return 16 if db.engine.dialect.name == "postgresql" else 8


def race(app, workers, action):
    """Run ``action(index)`` in ``workers`` threads at once; return results or exceptions."""

    def act(index, _):
        result = action(index)
        if isinstance(result, Booking):
            # Read what the test needs while this worker's session is alive.
            result = Won(result.id, result.unit_id, result.status)
        return result

    return shared_race(app, workers, act)


def overlaps():
    db.session.rollback()
    return db.session.scalar(OVERLAPS)


def users(make, count):
    return [make.user().id for _ in range(count)]


def outcome(results):
    unexpected = [r for r in results if not isinstance(r, (Won, BookingConflict))]
    assert unexpected == []
    return ([r for r in results if isinstance(r, Won)],
            [r for r in results if isinstance(r, BookingConflict)])


def test_one_unit_exactly_one_of_many_wins(app, make):
    unit_id = make.unit().id
    user_ids = users(make, worker_count())
    db.session.commit()  # hold no lock or snapshot while the workers run

    def book(index):
        # Half ask 10-12, half 11-13: all overlap each other.
        start = berlin(2027, 3, 16, 10 + index % 2)
        return create_booking(db.session.get(User, user_ids[index]),
                              unit=db.session.get(Unit, unit_id), starts_at=start,
                              ends_at=start + timedelta(hours=2), now=NOW, terms_accepted=True)

    won, lost = outcome(race(app, len(user_ids), book))
    assert len(won) == 1
    assert len(lost) == len(user_ids) - 1
    assert all(error.conflicts for error in lost)
    assert overlaps() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_any_desk_exactly_n_of_many_win(app, make):
    site = make.site()
    desk_ids = {make.unit(site, "desk", position=n).id for n in range(4)}
    site_id = site.id
    user_ids = users(make, worker_count())
    db.session.commit()

    def book(index):
        return create_booking(db.session.get(User, user_ids[index]),
                              site=db.session.get(Site, site_id), kind="desk",
                              starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12),
                              now=NOW, terms_accepted=True)

    won, lost = outcome(race(app, len(user_ids), book))
    assert len(won) == len(desk_ids)
    assert {booking.unit_id for booking in won} == desk_ids
    assert len(lost) == len(user_ids) - len(desk_ids)
    assert overlaps() == 0


def test_many_race_for_the_slot_of_a_lapsed_hold(app, make, payment_required):
    unit = make.unit()
    hold = make.booking(unit, status="held", hold_expires_at=NOW - timedelta(minutes=1))
    unit_id, hold_id = unit.id, hold.id
    user_ids = users(make, worker_count())
    db.session.commit()

    def book(index):
        return create_booking(db.session.get(User, user_ids[index]),
                              unit=db.session.get(Unit, unit_id),
                              starts_at=berlin(2027, 3, 16, 11), ends_at=berlin(2027, 3, 16, 12),
                              now=NOW, terms_accepted=True)

    won, lost = outcome(race(app, len(user_ids), book))
    assert len(won) == 1
    assert overlaps() == 0
    assert db.session.get(Booking, hold_id).status == "expired"


def test_series_racing_single_bookings_never_overlap(app, make):
    unit_id = make.unit().id
    user_ids = users(make, worker_count())
    db.session.commit()

    def book(index):
        user, unit = db.session.get(User, user_ids[index]), db.session.get(Unit, unit_id)
        start = berlin(2027, 3, 16 + 7 * (index % 3), 9)
        if index % 2:
            return create_series(user, unit=unit, starts_at=start, ends_at=start + timedelta(hours=4),
                                 now=NOW, terms_accepted=True, partial=index % 4 == 1,
                                 recurrence={"freq": "weekly", "byday": ["TU"], "count": 3})
        return create_booking(user, unit=unit, starts_at=start, ends_at=start + timedelta(hours=2),
                              now=NOW, terms_accepted=True)

    results = race(app, len(user_ids), book)
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, BookingConflict)]
    assert unexpected == []
    assert any(not isinstance(r, Exception) for r in results)
    assert overlaps() == 0


def test_the_database_itself_refuses_an_overlapping_blocking_booking(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite relies on its lock")
    booking = make.booking(starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 12))
    insert = sa.text(
        "INSERT INTO bookings (unit_id, booked_by_id, starts_at, ends_at, status, terms_version,"
        " created_at, updated_at) VALUES (:unit, :user, :start, :end, :status, 't', now(), now())"
    )
    values = {"unit": booking.unit_id, "user": booking.booked_by_id}
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(insert, dict(values, start=berlin(2027, 3, 16, 11),
                                        end=berlin(2027, 3, 16, 13), status="requested"))
    assert "ex_bookings_no_overlap" in str(caught.value)
    db.session.rollback()
    # Back to back, and overlapping but not blocking, are fine.
    db.session.execute(insert, dict(values, start=berlin(2027, 3, 16, 12),
                                    end=berlin(2027, 3, 16, 13), status="held"))
    db.session.execute(insert, dict(values, start=berlin(2027, 3, 16, 11),
                                    end=berlin(2027, 3, 16, 13), status="cancelled"))
    db.session.commit()
    assert overlaps() == 0
