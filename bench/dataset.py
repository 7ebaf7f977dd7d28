"""The benchmark data set: 4 sites, 200 units, 100,000 bookings across a year.

Shared by bench/availability.py and bench/reports.py. The database is a fresh throwaway one:
a temporary SQLite file by default, or a new database on the PostgreSQL server named by
DATABASE_URL (dropped again at the end), built through the migrations.
"""
import os
import random
import sys
import tempfile
import uuid
from contextlib import contextmanager
from datetime import date, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import Config, _sqlalchemy_url  # noqa: E402

YEAR = 2027
SITE_COUNT = 4
UNITS_PER_SITE = 50
BOOKING_TARGET = 100_000
OPEN, CLOSE = time(8), time(20)


@contextmanager
def bench_database():
    """Yield the URL of a fresh, empty database; remove it afterwards."""
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgres"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    server = make_url(_sqlalchemy_url(url))
    name = f"stadtlabor_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench_app(url):
    from app import create_app

    config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "AUTO_SETUP": False})
    app = create_app(config)
    logging_quiet()
    return app


def logging_quiet():
    import logging

    for name in ("alembic", "werkzeug", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _unit_plan():
    """Per site: 30 hourly desks, 8 hourly meeting/event rooms, 12 day-step shelves."""
    plan = []
    for number in range(30):
        plan.append(("desk", f"Desk {number + 1}", "hour", "Coworking"))
    for number in range(8):
        plan.append(("meeting_room", f"Room {number + 1}", "hour", None))
    for number in range(12):
        plan.append(("popup_shelf", f"Shelf {number + 1}", "day", "Pop-up"))
    assert len(plan) == UNITS_PER_SITE
    return plan


def load(app, seed=42):
    """Create the sites, units and about 100,000 non-overlapping bookings; return a summary."""
    from flask_migrate import upgrade

    from core.time import at_local, local_midnight
    from extensions import db
    from spaces.models import OpeningHours, Site, Unit

    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        sites, units = [], []
        for index in range(SITE_COUNT):
            site = Site(slug=f"bench{index}", name=f"Bench {index}", street="Straße 1",
                        postcode="44787", city="Bochum")
            for weekday in range(6):
                site.opening_hours.append(OpeningHours(weekday=weekday, opens_at=OPEN, closes_at=CLOSE))
            db.session.add(site)
            for position, (kind, name, granularity, group) in enumerate(_unit_plan(), 1):
                unit = Unit(site=site, kind=kind, name=name, granularity=granularity,
                            group_name=group, position=position, min_length=1,
                            max_length=12 if granularity == "hour" else 60, horizon_days=800)
                db.session.add(unit)
                units.append(unit)
            sites.append(site)
        db.session.flush()
        user_id = db.session.execute(sa.text(
            "INSERT INTO users (email, password_hash, display_name, locale, is_chamber_admin, "
            "created_at, credentials_version) VALUES ('bench@example.org', 'x', 'Bench', 'de', "
            ":false, :now, 1) RETURNING id"), {"false": False, "now": local_midnight(date(YEAR, 1, 1))}
        ).scalar_one()

        hourly = [unit for unit in units if unit.granularity == "hour"]
        daily = [unit for unit in units if unit.granularity == "day"]
        days = [date(YEAR, 1, 1) + timedelta(days=offset) for offset in range(365)]
        rows = []
        for unit in daily:
            cursor = rng.randrange(0, 3)
            while cursor < 365:
                end = min(cursor + rng.randint(1, 3), 365)
                rows.append(_row(unit.id, user_id, local_midnight(days[cursor]),
                                 local_midnight(date(YEAR, 1, 1) + timedelta(days=end)), rng))
                cursor = end + rng.randint(0, 1)
        per_hourly = (BOOKING_TARGET - len(rows)) // len(hourly)
        open_days = [day for day in days if day.weekday() < 6]
        for unit in hourly:
            # Spread per_hourly bookings over the open days, at most six a day, none overlapping.
            by_day = {}
            while sum(by_day.values()) < per_hourly:
                day = rng.choice(open_days)
                if by_day.get(day, 0) < 6:
                    by_day[day] = by_day.get(day, 0) + 1
            for day, count in by_day.items():
                hours = sorted(rng.sample(range(OPEN.hour, CLOSE.hour + 1), count * 2))
                for start_hour, end_hour in zip(hours[0::2], hours[1::2]):
                    rows.append(_row(unit.id, user_id, at_local(day, time(start_hour)),
                                     at_local(day, time(end_hour)), rng))
        from bookings.models import Booking

        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Booking), rows[start:start + 5000])
        db.session.commit()
        # Fresh statistics, as autovacuum would gather them in production; without them
        # the planners guess badly on a table that was just bulk-loaded.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        return {"sites": [site.id for site in sites], "units": len(units), "bookings": len(rows)}


def _row(unit_id, user_id, starts_at, ends_at, rng):
    status = rng.choices(["confirmed", "cancelled", "requested"], weights=[85, 10, 5])[0]
    return {
        "unit_id": unit_id, "booked_by_id": user_id, "starts_at": starts_at, "ends_at": ends_at,
        "status": status, "terms_version": "bench", "created_at": starts_at - timedelta(days=7),
        "updated_at": starts_at - timedelta(days=7), "purpose": "", "attendees": 1, "sequence": 0,
    }
