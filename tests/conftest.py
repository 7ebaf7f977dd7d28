"""Fixtures: one app and database per test session, emptied after every test."""
import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from config import TestConfig
from extensions import db
from tests.database import create_database
from tests.factories import Factories


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url, drop = create_database(tmp_path_factory.mktemp("db"))
    app = create_app(type("SessionConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    try:
        with app.app_context():
            upgrade()
    except BaseException:
        drop()
        raise
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # DELETE is far cheaper than TRUNCATE on small tables; replica mode
                # skips the triggers that guard issued invoices (test data only).
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield
        db.session.remove()


class IsolatedClient(FlaskClient):
    """A test client whose requests never see the ``g`` of an app context that a test
    keeps pushed (``make``, ``counts``): Flask reuses a pushed context for requests, and
    Flask-Login and Flask-Babel cache the user and the language in ``g``."""

    def open(self, *args, **kwargs):
        if not has_app_context():
            return super().open(*args, **kwargs)
        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app_context):
    """Factory helpers: ``make.user()``, ``make.site()``, ``make.unit()`` ..."""
    return Factories()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email, password="secret-password"):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def row_counts():
    """Rows per table, to prove that a failed request wrote nothing."""
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    db.session.rollback()
    return counts


@pytest.fixture
def counts(app_context):
    return row_counts
