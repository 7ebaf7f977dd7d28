"""Fresh test databases: a temporary SQLite file, or a new PostgreSQL database on the
server named by TEST_DATABASE_URL (so reruns never collide)."""
import os
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from config import _sqlalchemy_url


def server_url():
    url = os.environ.get("TEST_DATABASE_URL")
    return make_url(_sqlalchemy_url(url)) if url else None


def create_database(tmp_dir):
    """Return (url, drop) for a new empty database."""
    base = server_url()
    if base is None:
        return f"sqlite:///{tmp_dir / 'test.sqlite'}", lambda: None
    name = f"stadtlabor_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    # No try/except: an unreachable PostgreSQL must fail the run, never skip it.
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop
