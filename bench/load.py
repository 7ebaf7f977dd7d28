"""Load test over HTTP (issue 8, "Load and faults").

The app runs under gunicorn (4 workers) on a fresh PostgreSQL database (a new database on the
server named by DATABASE_URL, dropped at the end) holding the demo labs (bootstrap's demo
data: four sites, their desks, rooms and shelves). 32 clients, each a member with its own
Bearer token, run for 30 s, mixing

- 80 % availability searches (GET /api/v1/availability, a random site, kind and day/week),
- 15 % bookings (POST /api/v1/bookings; half on a few hot units, a quarter "any desk" in
  the smallest lab, on the same few days, so many end in 409),
- 5 % cancellations of the client's own bookings (POST /api/v1/bookings/<id>/cancel; a
  client that holds none books instead).

Then the same clients hit the trivial /healthz for the same time: its requests/s is the
ceiling of this server on this machine, and the ratio shows what the real work costs.

Prints requests/s, p50/p99 latency per endpoint and the statuses, then checks the database:
no overlapping blocking bookings, every 201 is there (cancelled only if the client cancelled
it), and no 409 left a row behind. Last line: one JSON object.

Usage: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/load.py
       [--seconds 30] [--clients 32] [--workers 4] [--trivial-seconds N] [--allow-sqlite]
"""
import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_harness import (  # noqa: E402
    Client, Gunicorn, api_users, bench_database, count_overlaps, database_engine,
    database_kind, format_statuses, missing_ids, percentile, prepare_database, print_table,
    run_together, statuses, warm_up,
)

SEARCH_KINDS = ("desk", "meeting_room", "popup_shelf", "cafe_corner")
ANY_DESK_SITE = "hattingen"  # the smallest lab: four desks


def populate(clients):
    from bootstrap import load_demo_data
    from extensions import db
    from spaces.models import Site, Unit

    load_demo_data()
    units = db.session.execute(
        sa.select(Unit.id, Site.slug, Unit.kind, Unit.name).join(Site).order_by(Unit.id)).all()
    hot = [unit.id for unit in units
           if unit.slug == "bochum" and (unit.kind == "meeting_room"
                                         or unit.name in ("Schreibtisch 1", "Schreibtisch 2"))]
    desks = [unit.id for unit in units if unit.kind == "desk"]
    sites = sorted({unit.slug for unit in units})
    return {"hot": hot, "desks": desks, "sites": sites, "tokens": api_users(clients, "loader")}


def booking_days():
    """Five weekdays starting a week from today: few, so that bookings collide."""
    day, days = date.today() + timedelta(days=7), []
    while len(days) < 5:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class Worker:
    """One client's behaviour: a seeded random mix of searches, bookings and cancellations."""

    def __init__(self, client, number, setup, days):
        self.client, self.setup, self.days = client, setup, days
        self.random = random.Random(number)
        self.mine = []  # ids of own bookings not yet cancelled
        self.cancelled = []  # ids cancelled with a 200

    def step(self):
        roll = self.random.random()
        if roll < 0.80:
            self.search()
        elif roll < 0.95 or not self.mine:
            self.book()
        else:
            self.cancel()

    def search(self):
        from core.time import at_local

        kind = self.random.choice(SEARCH_KINDS)
        first = date.today() + timedelta(days=self.random.randrange(1, 60))
        length = 1 if kind in ("desk", "meeting_room") else 7
        params = {"site": self.random.choice(self.setup["sites"]), "kind": kind,
                  "start": at_local(first, clock_time(0)).isoformat(),
                  "end": at_local(first + timedelta(days=length), clock_time(0)).isoformat()}
        self.client.call("availability", "GET", "/api/v1/availability", params=params)

    def book(self):
        from core.time import at_local

        day = self.random.choice(self.days)
        start = at_local(day, clock_time(self.random.randrange(8, 18)))
        end = start + timedelta(hours=self.random.choice((1, 2)))
        body = {"start": start.isoformat(), "end": end.isoformat(), "terms_accepted": True}
        roll = self.random.random()
        if roll < 0.5:
            body["unit_id"] = self.random.choice(self.setup["hot"])
        elif roll < 0.75:
            body.update(site=ANY_DESK_SITE, kind="desk")
        else:
            body["unit_id"] = self.random.choice(self.setup["desks"])
        call = self.client.call("book", "POST", "/api/v1/bookings", json=body)
        if call.status == 201:
            self.mine.append(call.body["id"])

    def cancel(self):
        booking_id = self.mine.pop(self.random.randrange(len(self.mine)))
        call = self.client.call("cancel", "POST", f"/api/v1/bookings/{booking_id}/cancel", json={})
        call.sent = {"id": booking_id}
        if call.status == 200:
            self.cancelled.append(booking_id)


def run_for(clients, seconds, step):
    """Every client calls ``step(index)`` until ``seconds`` have passed; returns the elapsed time."""
    deadline = [None]

    def work(index):
        if deadline[0] is None:
            deadline[0] = time.monotonic() + seconds
        while time.monotonic() < deadline[0]:
            step(index)

    elapsed, errors = run_together(len(clients), work)
    if errors:
        raise errors[0]
    return elapsed


def endpoint_rows(calls, seconds):
    by_label = defaultdict(list)
    for call in calls:
        by_label[call.label].append(call)
    rows = []
    for label in ("availability", "book", "cancel", "healthz"):
        group = by_label.get(label)
        if not group:
            continue
        latencies = [call.ms for call in group]
        rows.append([label, len(group), f"{len(group) / seconds:.1f}",
                     f"{percentile(latencies, 0.5):.1f}", f"{percentile(latencies, 0.99):.1f}",
                     format_statuses(statuses(group))])
    return rows


def check_database(url, workers, user_ids):
    """Compare the answers with what the database holds."""
    from core.db import UTCDateTime

    calls = [call for worker in workers for call in worker.client.calls if call.label == "book"]
    created = [call.body["id"] for call in calls if call.status == 201]
    cancelled = {booking_id for worker in workers for booking_id in worker.cancelled}
    engine = database_engine(url)
    with engine.connect() as connection:
        overlaps = count_overlaps(connection)
        lost = missing_ids(connection, created)
        rows = connection.execute(sa.text(
            "SELECT b.id, b.booked_by_id, b.unit_id, b.starts_at, b.ends_at, b.status,"
            " s.slug, u.kind FROM bookings b JOIN units u ON u.id = b.unit_id"
            " JOIN sites s ON s.id = u.site_id"
        ).columns(starts_at=UTCDateTime(), ends_at=UTCDateTime())).all()
    engine.dispose()

    status_of = {row.id: row.status for row in rows}
    wrong_status = sum(1 for booking_id in created if booking_id in status_of
                       and (status_of[booking_id] == "cancelled") != (booking_id in cancelled))
    # A row belongs to a request key: (user, unit or "site:kind", start, end).
    rows_by_key = defaultdict(set)
    for row in rows:
        for target in (row.unit_id, f"{row.slug}:{row.kind}"):
            rows_by_key[(row.booked_by_id, target, row.starts_at, row.ends_at)].add(row.id)
    answered = set(created)
    unknown_keys, conflict_keys = set(), []
    for worker, user_id in zip(workers, user_ids):
        for call in worker.client.calls:
            if call.label != "book":
                continue
            key = _request_key(user_id, call.sent)
            if call.status == 409:
                conflict_keys.append(key)
            elif call.status == 0 or call.status >= 500:
                unknown_keys.add(key)  # no clear answer: whether it wrote is unknown
    # A 409 must not have written: every row with its key is explained by a 201.
    written_409 = sum(1 for key in conflict_keys if key not in unknown_keys
                      and rows_by_key.get(key, set()) - answered)
    return {"overlaps": overlaps, "lost_201": len(lost), "wrong_status": wrong_status,
            "written_409": written_409, "rows": len(rows), "created": len(created),
            "cancelled": len(cancelled)}


def _request_key(user_id, sent):
    target = sent.get("unit_id") or f"{sent['site']}:{sent['kind']}"
    return (user_id, target, _instant(sent["start"]), _instant(sent["end"]))


def _instant(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--trivial-seconds", type=float, default=None,
                        help="duration of the /healthz run (default: --seconds)")
    parser.add_argument("--allow-sqlite", action="store_true",
                        help="run on a throwaway SQLite file instead (not what production runs)")
    options = parser.parse_args()
    trivial_seconds = options.trivial_seconds or options.seconds

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        if not options.allow_sqlite:
            sys.exit("bench/load.py measures the production setup: set DATABASE_URL to a "
                     "PostgreSQL server (postgresql+psycopg://user@host:5432/db), "
                     "or pass --allow-sqlite.")
        print("WARNING: SQLite; one writer at a time, figures are not those of production.")

    with bench_database() as url:
        kind = database_kind(url)
        print(f"database: {kind}; {options.clients} clients, {options.seconds:g} s mixed + "
              f"{trivial_seconds:g} s /healthz, gunicorn -w {options.workers}", flush=True)
        setup = prepare_database(url, lambda: populate(options.clients))
        days = booking_days()
        with Gunicorn(url, options.workers) as server:
            clients = [Client(server.base_url, token) for token in setup["tokens"]]
            warm_up(clients)
            user_ids = [client.call("me", "GET", "/api/v1/me").body["id"] for client in clients]
            for client in clients:
                client.calls.clear()
            workers = [Worker(client, number, setup, days) for number, client in enumerate(clients)]
            mixed_seconds = run_for(clients, options.seconds, lambda index: workers[index].step())
            mixed = [call for client in clients for call in client.calls]
            trivial_clients = [Client(server.base_url) for _ in clients]
            trivial_elapsed = run_for(trivial_clients, trivial_seconds, lambda index: trivial_clients[
                index].call("healthz", "GET", "/healthz"))
            trivial = [call for client in trivial_clients for call in client.calls]
        check = check_database(url, workers, user_ids)
        return report(kind, mixed, mixed_seconds, trivial, trivial_elapsed, check)


def report(kind, mixed, mixed_seconds, trivial, trivial_seconds, check):
    rps = len(mixed) / mixed_seconds
    rps_trivial = len(trivial) / trivial_seconds
    latencies = [call.ms for call in mixed]
    counter = statuses(mixed)
    errors_5xx = sum(n for status, n in counter.items() if status >= 500)
    no_answer = counter[0]
    print()
    print(f"mixed load: {len(mixed)} requests in {mixed_seconds:.1f} s")
    print_table(["endpoint", "requests", "req/s", "p50 ms", "p99 ms", "statuses"],
                endpoint_rows(mixed, mixed_seconds)
                + [["all", len(mixed), f"{rps:.1f}", f"{percentile(latencies, 0.5):.1f}",
                    f"{percentile(latencies, 0.99):.1f}", format_statuses(counter)]])
    print()
    print(f"trivial endpoint, same clients: {len(trivial)} requests in {trivial_seconds:.1f} s")
    print_table(["endpoint", "requests", "req/s", "p50 ms", "p99 ms", "statuses"],
                endpoint_rows(trivial, trivial_seconds))
    ratio = rps / rps_trivial if rps_trivial else 0.0
    print(f"mixed / trivial requests per second: {ratio:.2f}")
    print()
    print("consistency (read from the database):")
    print(f"  overlapping blocking bookings: {check['overlaps']} (must be 0)")
    print(f"  201 ids missing from the table: {check['lost_201']} (must be 0)")
    print(f"  201 ids whose status disagrees with the cancellations: {check['wrong_status']}"
          " (must be 0)")
    print(f"  409 answers that left a row: {check['written_409']} (must be 0)")
    print(f"  rows: {check['rows']}, 201 answers: {check['created']}, "
          f"cancelled with 200: {check['cancelled']}")
    print(f"  5xx answers: {errors_5xx}, no answer: {no_answer} (must be 0)")
    ok = not (check["overlaps"] or check["lost_201"] or check["wrong_status"]
              or check["written_409"] or errors_5xx or no_answer)
    print(f"  verdict: {'OK' if ok else 'FAILED'}")
    print(json.dumps({
        "rps": round(rps, 1), "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "errors_5xx": errors_5xx,
        "overlaps": check["overlaps"], "lost_201": check["lost_201"],
        "rps_trivial": round(rps_trivial, 1), "ratio_trivial": round(ratio, 3),
    }))
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
