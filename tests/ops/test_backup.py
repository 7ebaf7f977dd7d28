"""``flask --app app backup`` / ``restore`` on SQLite; PostgreSQL points to pg_dump.

These tests build their own SQLite app in a temporary folder, whichever database the
suite runs on, so a restore can never touch the shared test database."""
import sqlite3

import pytest
from flask_migrate import upgrade

from accounts.models import User
from accounts.services import create_user
from extensions import db


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    live = tmp_path / "live.sqlite"
    embedded = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{live}")
    with embedded.app_context():
        upgrade()
    return embedded


def _add_user(app, email):
    with app.app_context():
        create_user(email, "secret-password")
        db.session.commit()


def _emails(app):
    with app.app_context():
        emails = set(db.session.scalars(db.select(User.email)))
        db.session.remove()
        return emails


def test_restore_brings_back_the_state_of_the_backup(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    _add_user(sqlite_app, "before@example.org")
    backup = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.is_file()

    _add_user(sqlite_app, "after@example.org")
    assert _emails(sqlite_app) == {"before@example.org", "after@example.org"}

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert _emails(sqlite_app) == {"before@example.org"}
    # The data the restore replaced is kept beside the live file.
    safety_copies = list(tmp_path.glob("live.sqlite.before-restore-*"))
    assert len(safety_copies) == 1
    with sqlite3.connect(safety_copies[0]) as saved:
        saved_emails = {row[0] for row in saved.execute("SELECT email FROM users")}
    assert saved_emails == {"before@example.org", "after@example.org"}


def test_backup_never_overwrites_a_file(sqlite_app, tmp_path):
    target = tmp_path / "exists.sqlite"
    target.write_text("precious")
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert target.read_text() == "precious"


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_app, tmp_path):
    _add_user(sqlite_app, "stays@example.org")
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_text("not a database at all" * 100)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert _emails(sqlite_app) == {"stays@example.org"}


def test_restore_asks_before_replacing_the_data(sqlite_app, tmp_path):
    backup = tmp_path / "backup.sqlite"
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    _add_user(sqlite_app, "kept@example.org")
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code == 1
    assert _emails(sqlite_app) == {"kept@example.org"}


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_points_to_pg_dump(make_app, tmp_path, command):
    postgresql = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/x")
    result = postgresql.test_cli_runner().invoke(args=[command, str(tmp_path / "dump")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pg_dump" in lines[0]
    assert not (tmp_path / "dump").exists()
