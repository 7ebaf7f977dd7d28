"""CLI for the mail outbox: ``outbox send`` (cron, production) and ``outbox run``
(a loop for development)."""
import logging
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from core.outbox import send_pending
from extensions import db

log = logging.getLogger(__name__)
outbox_cli = AppGroup("outbox", help="The mail outbox.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many mails.")
def send_command(limit):
    """Send the mails that are due; prints how many were sent."""
    sent = send_pending(limit=limit)
    click.echo(f"{sent} sent")


@outbox_cli.command("run")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--rounds", default=0, help="Stop after this many rounds (0: run until Ctrl-C).")
def run_command(interval, rounds):
    """Send due mails every few seconds (development); prints the total at the end."""
    total, done = 0, 0
    try:
        while True:
            try:
                sent = send_pending()
            except SQLAlchemyError as error:  # the database restarting must not end the loop
                db.session.rollback()
                log.warning("outbox round failed: %s", error)
                sent = 0
            if sent:
                click.echo(f"{sent} sent")
            total += sent
            done += 1
            if rounds and done >= rounds:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    click.echo(f"{total} sent in total")
