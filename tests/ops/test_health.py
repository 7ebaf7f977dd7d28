"""/healthz answers while the process runs; /readyz only when the database answers and
is at the newest migration."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url


def _heads(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return sorted(ScriptDirectory.from_config(config).get_heads())


def test_healthz_answers_without_the_database(make_app, tmp_path):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.sqlite")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_the_migrated_database(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["database_revision"] == _heads(app)


@pytest.mark.parametrize("url", [
    "sqlite:///{tmp}/no/such/folder/x.sqlite",
    "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2",
])
def test_readyz_is_unavailable_when_the_database_does_not_answer(make_app, tmp_path, url):
    broken = make_app(SQLALCHEMY_DATABASE_URI=url.format(tmp=tmp_path))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reason": "database_unreachable"}


@pytest.fixture
def throwaway_database(app, tmp_path):
    """An empty database beside the suite's: a new SQLite file, or on PostgreSQL a new
    schema of the suite's database (cheaper than CREATE/DROP DATABASE, which checkpoint)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'throwaway.sqlite'}"
        return
    schema = f"readyz_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _stamp(url, revision):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        connection.execute(sa.text("INSERT INTO alembic_version VALUES (:revision)"),
                           {"revision": revision})
    engine.dispose()


def test_readyz_is_unavailable_before_the_first_migration(make_app, throwaway_database):
    fresh = make_app(SQLALCHEMY_DATABASE_URI=throwaway_database)
    response = fresh.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "database_not_migrated"


def test_readyz_is_unavailable_while_the_database_is_behind(app, make_app, throwaway_database):
    # The database is at an older revision than the code: an upgrade has not run yet.
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        revisions = [revision.revision for revision in script.walk_revisions()]
    if len(revisions) > 1:
        older, reason = revisions[1], "database_behind_migrations"
    else:  # only one migration so far: a revision this code does not know
        older, reason = "0000deadbeef", "database_revision_unknown"
    _stamp(throwaway_database, older)
    behind = make_app(SQLALCHEMY_DATABASE_URI=throwaway_database)
    response = behind.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["reason"] == reason
    assert body["database_revision"] == [older]
    assert body["expected_revision"] == _heads(app)


def test_readyz_turns_ready_once_the_database_is_at_the_head(app, make_app, throwaway_database):
    _stamp(throwaway_database, _heads(app)[0])
    current = make_app(SQLALCHEMY_DATABASE_URI=throwaway_database)
    assert current.test_client().get("/readyz").status_code == 200
