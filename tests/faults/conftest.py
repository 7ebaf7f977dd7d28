"""Fault tests: real faults (terminated PostgreSQL backends, a Stripe server that is gone)."""
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.database import server_url


@pytest.fixture
def postgresql_admin(app):
    """Terminates every backend of the app's database except its own (a separate admin
    connection to the server). Only PostgreSQL has backends to kill."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("terminating database connections needs PostgreSQL (set TEST_DATABASE_URL)")
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    engine = sa.create_engine(server_url(), isolation_level="AUTOCOMMIT")
    connection = engine.connect()

    def terminate_all():
        """Kill the app's connections (waiting until they are gone); returns how many."""
        return connection.execute(sa.text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database}).scalar()

    try:
        yield terminate_all
    finally:
        connection.close()
        engine.dispose()
