"""What the HTTP benchmarks share: a fresh migrated database, the app under gunicorn on
127.0.0.1, API users with Bearer tokens, clients released together, and the figures.

Used by bench/booking_race.py and bench/load.py. Only loopback traffic.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.dataset import bench_app, bench_database  # noqa: E402,F401 - re-exported

BLOCKING = ("requested", "held", "confirmed")
OVERLAPS_SQL = sa.text(
    "SELECT count(*) FROM bookings a JOIN bookings b"
    " ON a.unit_id = b.unit_id AND a.id < b.id"
    " AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
    " WHERE a.status IN ('requested', 'held', 'confirmed')"
    " AND b.status IN ('requested', 'held', 'confirmed')"
)
REQUEST_TIMEOUT = 30


def database_kind(url):
    return "postgresql" if make_url(url).get_backend_name() == "postgresql" else "sqlite"


def prepare_database(url, populate):
    """Migrate the fresh database at ``url`` and run ``populate()`` in an app context;
    return what it returns (plain values: the session is closed afterwards)."""
    from flask_migrate import upgrade

    from extensions import db

    app = bench_app(url)
    with app.app_context():
        upgrade()
        result = populate()
        db.session.remove()
        db.engine.dispose()
    return result


def api_users(count, prefix="bench"):
    """Create ``count`` confirmed members and return a Bearer token for each (app context)."""
    from accounts.auth import issue_api_token
    from accounts.services import create_user
    from extensions import db

    tokens = []
    for number in range(count):
        user = create_user(f"{prefix}{number}@bench.example", "bench-password-1234",
                           f"Bench {number}", confirmed=True)
        db.session.commit()
        tokens.append(issue_api_token(user))
    return tokens


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``gunicorn -w N 'app:create_app()'`` on a free loopback port, as a context manager.

    The app reads its settings from the environment: DATABASE_URL, no rate limits (the
    clients all come from 127.0.0.1), and no per-process data version (several workers write).
    """

    def __init__(self, url, workers=4):
        self.url, self.workers = url, workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = None

    def __enter__(self):
        env = dict(os.environ, DATABASE_URL=self.url, APP_ENV="development", AUTO_SETUP="false",
                   RATELIMIT_ENABLED="false", LOCAL_DATA_VERSION="false", LOG_LEVEL="warning",
                   PYTHONPATH=str(REPO))
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log",
                                               delete=False)
        command = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"),
                   "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                   "app:create_app()"]
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=30):
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            # Only the gunicorn master we started; it stops its own workers.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.log:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)
        return False


@dataclass
class Call:
    label: str
    status: int  # 0: no answer (connection error or timeout)
    ms: float
    body: object = None
    sent: dict = field(default_factory=dict)


class Client:
    """One simulated user: its own connection pool and token; records every call."""

    def __init__(self, base_url, token=None):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.calls = []

    def call(self, label, method, path, *, json=None, params=None):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, json=json,
                                            params=params, timeout=REQUEST_TIMEOUT)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = None
        except requests.RequestException:
            status, body = 0, None
        record = Call(label, status, (time.perf_counter() - started) * 1000, body,
                      dict(json or params or {}))
        self.calls.append(record)
        return record


def run_together(count, work):
    """Run ``work(index)`` in ``count`` threads released by one barrier; return the seconds
    from the release until the last one finished and the exceptions raised (if any)."""
    barrier = threading.Barrier(count + 1)
    errors = []

    def run(index):
        barrier.wait()
        try:
            work(index)
        except Exception as error:  # noqa: BLE001 - reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def warm_up(clients):
    """One authenticated call per client (connections, workers and token lookups warm),
    then forget it; raises unless every client got in."""
    run_together(len(clients), lambda index: clients[index].call("warm-up", "GET", "/api/v1/me"))
    refused = [call.status for client in clients for call in client.calls if call.status != 200]
    for client in clients:
        client.calls.clear()
    if refused:
        raise RuntimeError(f"warm-up failed: statuses {sorted(set(refused))}")


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list (0 for an empty one)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def statuses(calls):
    return Counter(call.status for call in calls)


def format_statuses(counter, exclude=()):
    shown = sorted((status, n) for status, n in counter.items() if status not in exclude)
    return ", ".join(f"{status or 'no answer'}: {n}" for status, n in shown) or "-"


def print_table(headers, rows):
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    for number, row in enumerate(cells):
        print("  ".join(value.rjust(width) if column else value.ljust(width)
                        for column, (value, width) in enumerate(zip(row, widths))))
        if number == 0:
            print("  ".join("-" * width for width in widths))


def database_engine(url):
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def count_overlaps(connection):
    return connection.scalar(OVERLAPS_SQL)


def missing_ids(connection, ids):
    """The ids among ``ids`` that have no row in bookings."""
    ids = sorted(set(ids))
    found = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(connection.scalars(
            sa.text("SELECT id FROM bookings WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": chunk}))
    return [booking_id for booking_id in ids if booking_id not in found]
