"""A data version that rises with every committed write, so that caches of derived
answers (the iCal feeds) can be invalidated at once, without asking the database.

Every INSERT, UPDATE or DELETE that a connection commits bumps the version (an engine event,
so bulk and raw SQL writes count too). With REDIS_URL configured the version lives in Redis
and all workers and machines share it; without Redis it lives in the process, which is
only correct while a single process writes (development, the embedded database), so
``shared_version_available`` says whether a cache may rely on it.
"""
import itertools
import logging
import threading

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
REDIS_KEY = "stadtlabor:data-version"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")


class LocalVersion:
    def __init__(self):
        self._counter = itertools.count(1)
        self._value = 0
        self._lock = threading.Lock()

    def bump(self):
        with self._lock:
            self._value = next(self._counter)

    def current(self):
        return self._value


class RedisVersion:
    def __init__(self, url):
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5)

    def bump(self):
        self._client.incr(REDIS_KEY)

    def current(self):
        value = self._client.get(REDIS_KEY)
        return int(value or 0)


_local = LocalVersion()


def data_version():
    """The current version, or None when no trustworthy version exists (several
    processes without Redis, or Redis not answering)."""
    store = current_app.extensions.get("data_version")
    if store is None or getattr(store, "broken", False):
        return None
    try:
        return store.current()
    except Exception:  # noqa: BLE001 - a cache must never break a request
        return None


def init_app(app):
    url = app.config.get("REDIS_URL")
    if url:
        store = RedisVersion(url)
    elif app.config.get("LOCAL_DATA_VERSION", True):
        store = _local
    else:
        return
    app.extensions["data_version"] = store
    if store not in _STORES:
        _STORES.append(store)


_STORES = [_local]


@event.listens_for(Engine, "after_cursor_execute")
def _remember_write(connection, cursor, statement, parameters, context, executemany):
    if statement.lstrip()[:6].upper() in _WRITE_VERBS:
        connection.info["wrote"] = True


@event.listens_for(Engine, "commit")
def _bump_on_commit(connection):
    if connection.info.pop("wrote", False):
        for store in list(_STORES):
            try:
                store.bump()
            except Exception:  # noqa: BLE001
                # A version that cannot rise must not be trusted again by this process.
                log.exception("could not bump the data version; caches relying on it are off")
                _STORES.remove(store)
                store.broken = True


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(connection):
    # A connection lost to the database has no info left to forget (and must not reconnect).
    if not connection.invalidated:
        connection.info.pop("wrote", None)
