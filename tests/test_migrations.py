"""The migrations build exactly the schema that the models describe."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db
from migrations.env_helpers import migration_options


def test_migrations_match_models(app_context):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migration_options(connection))
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_postgresql_has_the_no_overlap_constraint(app_context):
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as connection:
        definition = connection.scalar(
            sa.text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'ex_bookings_no_overlap'"
            )
        )
    assert definition is not None
    assert "EXCLUDE USING gist" in definition
    assert "tstzrange(starts_at, ends_at, '[)'::text) WITH &&" in definition
