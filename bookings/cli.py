"""``flask --app app bookings ...``."""
import click
from flask.cli import AppGroup

from core.time import utcnow

bookings_cli = AppGroup("bookings", help="Bookings: holds and housekeeping.")


@bookings_cli.command("expire-holds")
def expire_holds_command():
    """Mark bookings whose payment hold has run out as expired; prints the count."""
    from bookings.services import expire_holds

    count = expire_holds(utcnow())
    click.echo(f"{count} expired")
