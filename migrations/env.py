"""Alembic environment for Flask-Migrate (``flask --app app db ...``)."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from migrations.env_helpers import migration_options

config = context.config
if config.config_file_name is not None:
    # Keep the app's loggers alive: migrations also run inside the app and the tests.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)
target_db = current_app.extensions["migrate"].db


def configure_args(connection):
    args = dict(current_app.extensions["migrate"].configure_args)
    for key, value in migration_options(connection).items():
        args.setdefault(key, value)

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    args.setdefault("process_revision_directives", process_revision_directives)
    return args


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with get_engine().connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_db.metadata, **configure_args(connection)
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
