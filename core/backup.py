"""Backup and restore of the embedded SQLite database (``flask --app app backup PATH``).

SQLite's online backup API copies a consistent snapshot while the app keeps running.
PostgreSQL is backed up with its own tools (``pg_dump`` / ``pg_restore``, see README);
both commands say so and exit 1 there.
"""
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from extensions import db

POSTGRESQL_BACKUP = (
    "The database is PostgreSQL: back it up with pg_dump -Fc (and restore with pg_restore); "
    "see the README."
)


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, in one line."""


def _sqlite_path():
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRESQL_BACKUP)
    if not url.database or url.database == ":memory:":
        raise BackupError("The database lives in memory only; there is nothing to back up.")
    return Path(url.database).resolve()


def backup_database(target):
    """Write a consistent copy of the live SQLite database to ``target`` (a new file).
    Raises BackupError (PostgreSQL, target exists or equals the live file)."""
    source_path = _sqlite_path()
    target = Path(target).resolve()
    if target == source_path:
        raise BackupError("The backup file must not be the live database.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    _copy(source_path, target)
    return target


def _copy(source_path, target_path):
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _backup_revision(path):
    """The migration revision a backup file is at. Raises BackupError if the file is not
    an intact database of this app."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (integrity check failed).")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a backup of this app's database.") from None
    if row is None:
        raise BackupError(f"{path} is not a backup of this app's database.")
    return row[0]


def restore_database(source):
    """Replace the live SQLite database's contents with the backup ``source``.

    The backup is checked first (an intact SQLite file of this app, at a migration this
    code knows), and the current contents are saved beside the live file, so a restore
    can be undone. Returns the path of that safety copy. Raises BackupError.
    """
    live_path = _sqlite_path()
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    if source == live_path:
        raise BackupError("The backup file is the live database itself.")
    revision = _backup_revision(source)
    config = current_app.extensions["migrate"].migrate.get_config()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{source} was made by a newer version of the app (revision {revision})."
        )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    safety_copy = live_path.with_name(f"{live_path.name}.before-restore-{stamp}")
    _copy(live_path, safety_copy)
    # Pooled connections would keep reading the old pages' cache; drop them first.
    db.session.remove()
    db.engine.dispose()
    _copy(source, live_path)
    return safety_copy


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Copy the SQLite database to PATH while the app runs (PostgreSQL: use pg_dump)."""
    try:
        target = backup_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {target}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    """Replace the SQLite database with the backup at PATH (the current contents are saved
    beside it first). Stop the app before restoring. PostgreSQL: use pg_restore."""
    try:
        _sqlite_path()
        if not yes:
            click.confirm("This replaces all current data with the backup. Continue?",
                          abort=True)
        safety_copy = restore_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"previous data saved to {safety_copy}")
    click.echo(f"restored from {Path(path).resolve()}; run `flask --app app db upgrade` "
               "if the backup is older than the code")
