"""CLI for the mail outbox."""
import click
from flask.cli import AppGroup

from core.outbox import send_pending

outbox_cli = AppGroup("outbox", help="The mail outbox.")


@outbox_cli.command("send")
def send_command():
    """Send the mails that are due; prints how many were sent."""
    sent = send_pending()
    click.echo(f"{sent} sent")
