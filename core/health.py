"""Probes for the load balancer and the orchestrator.

``/healthz``: the process is up (no database access, never fails while Python runs).
``/readyz``: the database answers and its schema is at the newest migration; otherwise
503 with the reason, so that traffic is not sent to a worker that would fail (the
database is down, or new code runs before ``flask db upgrade``).
"""
from alembic.script import ScriptDirectory
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from extensions import db

bp = Blueprint("health", __name__)


def _answer(status, **fields):
    response = jsonify({"status": "ok" if status == 200 else "unavailable", **fields})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer(200)


def known_migrations(app):
    """(newest revisions, all revisions) of the code's migrations, read once per process."""
    known = app.extensions.get("stadtlabor_migrations")
    if known is None:
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        known = (frozenset(script.get_heads()),
                 frozenset(revision.revision for revision in script.walk_revisions()))
        app.extensions["stadtlabor_migrations"] = known
    return known


def database_revisions():
    """The revision(s) the database is stamped with (empty: never migrated).
    Raises SQLAlchemyError when the database does not answer."""
    # Read alembic's table directly: a MigrationContext would log two lines per probe.
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        if not sa.inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
        )


@bp.get("/readyz")
def readyz():
    try:
        current = database_revisions()
    except SQLAlchemyError as error:
        current_app.logger.warning("readiness: database unreachable: %s",
                                   type(error).__name__)
        return _answer(503, reason="database_unreachable")
    expected, every_revision = known_migrations(current_app)
    if current != expected:
        if not current:
            reason = "database_not_migrated"
        elif current <= every_revision:
            reason = "database_behind_migrations"
        else:  # stamped by newer code than this worker runs
            reason = "database_revision_unknown"
        return _answer(503, reason=reason, database_revision=sorted(current),
                       expected_revision=sorted(expected))
    return _answer(200, database_revision=sorted(current))
