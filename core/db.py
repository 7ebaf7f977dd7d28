"""Database helpers shared by every domain: UTC timestamps, transactions, dialect setup."""
import time as _time
from contextlib import contextmanager
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from extensions import db


class UTCDateTime(sa.TypeDecorator):
    """An aware UTC ``datetime``: ``timestamptz`` on PostgreSQL, ISO text on SQLite.

    Naive datetimes are refused on the way in, so local times can never be stored by
    accident; values always come back aware and in UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is timezone.utc:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_postgresql():
    return db.engine.dialect.name == "postgresql"


@event.listens_for(Engine, "connect")
def _configure_connection(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if module.startswith("psycopg"):
        # Sessions in UTC: timestamps come back in UTC already (no conversion per value).
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()
        return
    if not module.startswith("sqlite3"):
        return
    # We emit BEGIN ourselves (below) so that every SQLite transaction takes the write
    # lock up front: check-then-insert cannot race, and no transaction fails upgrading
    # a read lock. The embedded database trades concurrency for simplicity.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLSTATEs after which a PostgreSQL transaction may simply be tried again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_retryable(error):
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_in_transaction(work, attempts=5):
    """Run ``work()`` in one transaction and commit; roll back on any error.

    Deadlocks and serialisation failures (PostgreSQL under contention) are retried with a
    short backoff, so a race ends in a result or a domain error, never in a 500.
    """
    for attempt in range(attempts):
        try:
            result = work()
            db.session.commit()
            return result
        except (OperationalError, DBAPIError) as error:
            db.session.rollback()
            if attempt + 1 < attempts and is_retryable(error):
                _time.sleep(0.01 * (2**attempt))
                continue
            raise
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


@contextmanager
def savepoint():
    """A nested transaction that is rolled back alone if its block fails."""
    nested = db.session.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        raise
    else:
        nested.commit()
