"""Options shared by the migration environment and the migrations-match-models test."""
from core.db import UTCDateTime


def render_item(type_, obj, autogen_context):
    """Write our UTC column type as the plain SQLAlchemy type it stands for."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import sqlalchemy as sa")
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    # Alembic cannot reflect exclusion constraints; the migration creates it by hand and
    # a test checks that it exists.
    return not (type_ == "table" and name == "alembic_version")


def migration_options(connection):
    return {
        "compare_type": True,
        "compare_server_default": False,
        "render_item": render_item,
        "include_object": include_object,
        # SQLite alters tables by copying them; batch mode writes migrations that do so.
        "render_as_batch": connection.dialect.name == "sqlite",
    }
