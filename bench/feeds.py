"""Benchmark of the iCal feeds (run: ``python bench/feeds.py``).

Measures, on a unit with 1,000 bookings (database from DATABASE_URL, default a temporary
SQLite file):

* build: building the unit feed from the database (query + events + serialisation) against
  the time the icalendar library alone needs to serialise the same 1,000 events
  (``Calendar.to_ical()`` of an already built calendar). Goal: ratio <= 1.5.
* 304: requests/s of a conditional GET answered 304 against a plain "hello" endpoint added
  to this app instance only. Goal: ratio >= 0.8.
* cached: requests/s of a repeated plain GET of the unchanged feed (served from the cache
  of the serialised feed) against "hello". Goal: ratio >= 0.5.

Requests go through Flask's test client (in process, no network): it measures the app's
own work per request, which is what the ratios are about; a real server would add the same
network and HTTP parsing cost to both sides of each ratio.
The last line is one JSON object {"ratio_build", "ratio_304", "ratio_cached", "build_ms",
"rps_304"}.
"""
import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from bench.dataset import bench_database  # noqa: E402
from config import Config  # noqa: E402

EVENTS = 1000
REQUESTS = 2000
ROUNDS = 9  # median of these for the build; best of REQUEST_ROUNDS for requests/s
REQUEST_ROUNDS = 5


def make_app(url):
    config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "AUTO_SETUP": False,
                                             "PUBLIC_BASE_URL": "https://stadtlabor.example"})
    app = create_app(config)
    app.add_url_rule("/bench-hello", "bench_hello", lambda: "hello")
    with app.app_context():
        upgrade()
    return app


def seed(app):
    from bookings.models import Booking
    from core.time import local_date, local_midnight, utcnow
    from extensions import db
    from spaces.models import Site, Unit

    with app.app_context():
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        site = Site(slug=slug, name="Stadtlabor Bench", street="Huestraße 1", postcode="44787",
                    city="Bochum")
        unit = Unit(site=site, kind="meeting_room", name="Raum Ruhr", granularity="hour")
        db.session.add_all([site, unit])
        db.session.flush()
        now = utcnow()
        first = local_midnight(local_date(now) + timedelta(days=1)) + timedelta(hours=8)
        for index in range(EVENTS):
            starts = first + timedelta(hours=3 * index)
            db.session.add(Booking(
                unit_id=unit.id, starts_at=starts, ends_at=starts + timedelta(hours=2),
                status="confirmed" if index % 10 else "requested", purpose="Workshop",
                terms_version="bench", created_at=now, updated_at=now, sequence=index % 3,
            ))
        db.session.commit()
        return unit.id


def median_seconds(*functions, rounds=ROUNDS):
    """Median time of each function, over interleaved rounds (so that a busy moment of the
    machine does not fall on one side only)."""
    timings = [[] for _ in functions]
    for _ in range(rounds):
        for function, runs in zip(functions, timings):
            started = time.perf_counter()
            function()
            runs.append(time.perf_counter() - started)
    return [statistics.median(runs) for runs in timings]


def measure_build(app, unit_id):
    from calendars import feeds, render
    from core.time import utcnow
    from extensions import db
    from spaces.models import Unit

    with app.test_request_context():
        unit = db.session.get(Unit, unit_id)
        feed = feeds.unit_feed(unit, "de")
        now = utcnow()
        body = feeds.build_feed(feed, now)  # warm up (imports, VTIMEZONE)
        # The same 1,000 events as an icalendar Calendar, serialised by the library alone.
        window = feeds.feed_window(now)
        rows = feeds.booking_rows(feed, window)
        context = render.EventContext(render.PUBLIC, feeds.uid_domain(), "https://x",
                                      feeds.unit_infos([unit_id]), now, single_unit=True)
        calendar = render.new_calendar(feed.name, 2020, 2030)
        for row in rows:
            calendar.add_component(render.booking_event(row, context))
        assert len(rows) == EVENTS, len(rows)
        build, serialise = median_seconds(lambda: feeds.build_feed(feed, now), calendar.to_ical)
        return build, serialise, len(body)


def requests_per_second(client, path, headers=None, expect=200):
    response = client.get(path, headers=headers)
    assert response.status_code == expect, (path, response.status_code)
    started = time.perf_counter()
    for _ in range(REQUESTS):
        client.get(path, headers=headers)
    return REQUESTS / (time.perf_counter() - started)


def main():
    with bench_database() as url:
        run(make_app(url))


def run(app):
    unit_id = seed(app)
    build, serialise, size = measure_build(app, unit_id)
    client = app.test_client()
    feed_path = f"/ical/units/{unit_id}.ics"
    etag = client.get(feed_path).headers["ETag"]
    # Interleaved rounds, best of each: every path gets the same warm-up and the same share
    # of whatever else the machine is doing.
    hello = not_modified = cached = 0
    for _ in range(REQUEST_ROUNDS):
        hello = max(hello, requests_per_second(client, "/bench-hello"))
        not_modified = max(not_modified, requests_per_second(
            client, feed_path, {"If-None-Match": etag}, expect=304))
        cached = max(cached, requests_per_second(client, feed_path))

    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; "
          f"client: Flask test client (in process); feed: {EVENTS} events, {size} bytes")
    print(f"build unit feed: {build * 1000:.1f} ms; icalendar to_ical() alone: "
          f"{serialise * 1000:.1f} ms; ratio {build / serialise:.2f} (goal <= 1.5)")
    print(f"hello: {hello:.0f} req/s; 304: {not_modified:.0f} req/s; ratio "
          f"{not_modified / hello:.2f} (goal >= 0.8)")
    print(f"cached GET: {cached:.0f} req/s; ratio {cached / hello:.2f} (goal >= 0.5)")
    print(json.dumps({
        "ratio_build": round(build / serialise, 3),
        "ratio_304": round(not_modified / hello, 3),
        "ratio_cached": round(cached / hello, 3),
        "build_ms": round(build * 1000, 1),
        "rps_304": round(not_modified),
    }))


if __name__ == "__main__":
    main()
