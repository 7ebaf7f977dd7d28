"""Booking race over HTTP (issue 3, "Proof").

The app runs under gunicorn (4 workers) on a fresh database (bench/dataset.py's
bench_database: a throwaway SQLite file, or a new database on the PostgreSQL server named by
DATABASE_URL). N clients, each a member with its own Bearer token and connection, are
released together by a barrier, round after round:

- "hot unit": every client asks for one meeting room, half of them 10-12, half 11-13 (all
  overlap): exactly one must win, the rest get 409;
- "any desk": every client asks for "any desk" of the site (site + kind) 10-12: exactly
  min(N, desks) must win, one per desk.

Each round uses another day, so rounds do not interfere. Bounded by --rounds and --seconds.
Afterwards the database is read directly: no two blocking bookings of a unit overlap (SQL
self-join), and every id answered with 201 is there, still blocking.

bookings/s counts booking requests answered (201, 409 or other) per second of racing: the
throughput of the booking endpoint under contention, not the number of winners.

Usage: python bench/booking_race.py [--clients 16] [--desks 4] [--rounds 5] [--seconds 60]
       (DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
"""
import argparse
import json
import sys
import time
from datetime import date, time as clock_time, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_harness import (  # noqa: E402
    BLOCKING, Client, Gunicorn, api_users, bench_database, count_overlaps, database_engine,
    database_kind, format_statuses, missing_ids, percentile, prepare_database, print_table,
    run_together, statuses, warm_up,
)

SITE = "race"


def populate(clients, desks):
    from extensions import db
    from spaces.models import OpeningHours, Site, Unit

    site = Site(slug=SITE, name="Race Lab", street="Teststraße 1", postcode="44787", city="Bochum")
    for weekday in range(5):
        site.opening_hours.append(OpeningHours(weekday=weekday, opens_at=clock_time(8),
                                               closes_at=clock_time(20)))
    db.session.add(site)
    hot = Unit(site=site, kind="meeting_room", name="Hot room", granularity="hour", position=0,
               min_length=1, max_length=8)
    db.session.add(hot)
    for number in range(desks):
        db.session.add(Unit(site=site, kind="desk", name=f"Desk {number + 1}", granularity="hour",
                            group_name="Coworking", position=number + 1, min_length=1,
                            max_length=12))
    db.session.commit()
    return {"hot_unit": hot.id, "tokens": api_users(clients, "racer")}


def race_days(rounds):
    """One Tuesday per round, starting at least a week from today (inside every horizon)."""
    first = date.today() + timedelta(days=7)
    first += timedelta(days=(1 - first.weekday()) % 7)
    return [first + timedelta(weeks=number) for number in range(rounds)]


def slot(day, hour, hours=2):
    from core.time import at_local

    start = at_local(day, clock_time(hour))
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--desks", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="at most 40")
    parser.add_argument("--seconds", type=float, default=60,
                        help="start no new round after this many seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    options = parser.parse_args()
    options.rounds = max(1, min(options.rounds, 40))

    with bench_database() as url:
        kind = database_kind(url)
        print(f"database: {kind}; {options.clients} clients, {options.desks} desks, "
              f"up to {options.rounds} rounds, gunicorn -w {options.workers}", flush=True)
        setup = prepare_database(url, lambda: populate(options.clients, options.desks))
        with Gunicorn(url, options.workers) as server:
            clients = [Client(server.base_url, token) for token in setup["tokens"]]
            warm_up(clients)
            phases = {"hot unit": [], "any desk": []}  # (seconds, calls, expected winners)
            began = time.monotonic()
            for day in race_days(options.rounds):
                if time.monotonic() - began > options.seconds:
                    break
                for phase, expected in (("hot unit", 1),
                                        ("any desk", min(options.clients, options.desks))):
                    body_for = _hot_body(setup["hot_unit"], day) if phase == "hot unit" \
                        else _desk_body(day)
                    marks = [len(client.calls) for client in clients]
                    seconds, errors = run_together(len(clients), lambda index: clients[index].call(
                        phase, "POST", "/api/v1/bookings", json=body_for(index)))
                    if errors:
                        raise errors[0]
                    calls = [call for client, mark in zip(clients, marks)
                             for call in client.calls[mark:]]
                    phases[phase].append((seconds, calls, expected))
        return report(url, kind, phases)


def _hot_body(unit_id, day):
    def body(index):
        start, end = slot(day, 10 + index % 2)
        return {"unit_id": unit_id, "start": start, "end": end, "terms_accepted": True}
    return body


def _desk_body(day):
    start, end = slot(day, 10)

    def body(index):
        return {"site": SITE, "kind": "desk", "start": start, "end": end, "terms_accepted": True}
    return body


def report(url, kind, phases):
    rows, all_calls, total_seconds, wrong_rounds = [], [], 0.0, 0
    for phase, results in phases.items():
        calls = [call for _, round_calls, _ in results for call in round_calls]
        seconds = sum(seconds for seconds, _, _ in results)
        counter = statuses(calls)
        wrong_rounds += sum(1 for _, round_calls, expected in results
                            if sum(call.status == 201 for call in round_calls) != expected)
        latencies = [call.ms for call in calls]
        rows.append([phase, len(results), len(calls), f"{len(calls) / seconds:.1f}",
                     counter[201], counter[409], format_statuses(counter, exclude=(201, 409)),
                     f"{percentile(latencies, 0.5):.0f}", f"{percentile(latencies, 0.99):.0f}"])
        all_calls += calls
        total_seconds += seconds
    counter = statuses(all_calls)
    bookings_per_s = len(all_calls) / total_seconds if total_seconds else 0.0
    rows.append(["total", sum(len(r) for r in phases.values()), len(all_calls),
                 f"{bookings_per_s:.1f}", counter[201], counter[409],
                 format_statuses(counter, exclude=(201, 409)), "", ""])
    print()
    print_table(["race", "rounds", "requests", "bookings/s", "created", "409", "other",
                 "p50 ms", "p99 ms"], rows)

    created_ids = [call.body["id"] for call in all_calls if call.status == 201]
    engine = database_engine(url)
    with engine.connect() as connection:
        overlaps = count_overlaps(connection)
        missing = missing_ids(connection, created_ids)
        not_blocking = connection.scalar(sa.text(
            "SELECT count(*) FROM bookings WHERE id IN :ids AND status NOT IN :blocking"
        ).bindparams(sa.bindparam("ids", expanding=True), sa.bindparam("blocking", expanding=True)),
            {"ids": created_ids or [-1], "blocking": list(BLOCKING)})
        stored = connection.scalar(sa.text("SELECT count(*) FROM bookings"))
    engine.dispose()
    print()
    print("consistency (read from the database):")
    print(f"  overlapping blocking bookings: {overlaps} (must be 0)")
    print(f"  201 ids missing from the table: {len(missing)} (must be 0)")
    print(f"  201 ids no longer blocking:     {not_blocking} (must be 0)")
    print(f"  rows in bookings: {stored}, 201 answers: {len(created_ids)} (must be equal)")
    print(f"  rounds with a wrong number of winners: {wrong_rounds} (must be 0)")
    ok = (overlaps == 0 and not missing and not not_blocking and stored == len(created_ids)
          and wrong_rounds == 0 and set(counter) <= {201, 409})
    print(f"  verdict: {'OK' if ok else 'FAILED'}")
    print(json.dumps({"bookings_per_s": round(bookings_per_s, 1), "created": counter[201],
                      "conflicts": counter[409], "overlaps": overlaps, "database": kind}))
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
