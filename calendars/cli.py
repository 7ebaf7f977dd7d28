"""``flask --app app calendars sync``: fetch every external calendar URL again."""
import click
from flask.cli import AppGroup

from calendars import imports, messages  # noqa: F401 (messages registers keys)
from core.time import utcnow

calendars_cli = AppGroup("calendars", help="Calendars: external calendar imports.")


@calendars_cli.command("sync")
def sync_command():
    """Re-import every URL source; prints problems, and the count on the last line.
    Exits 1 when a source failed (its previous import stays)."""
    results, failures = imports.sync_url_sources(now=utcnow())
    for result in results:
        for clash in result.clashes:
            click.echo(f"source {result.source.id}: clash {clash.summary!r} "
                       f"{clash.starts_at.isoformat()} with booking {clash.clashes_with_booking_id}")
    for source, message in failures:
        click.echo(f"source {source.id} ({source.url}): {message}", err=True)
    click.echo(f"{len(results)} synced, {len(failures)} failed")
    if failures:
        raise SystemExit(1)
