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


@bookings_cli.command("send-reminders")
def send_reminders_command():
    """Queue a reminder for each confirmed booking starting tomorrow (once per booking;
    run daily, e.g. from cron); prints the count."""
    from bookings.notifications import send_reminders

    count = send_reminders(utcnow())
    click.echo(f"{count} reminders queued")


@bookings_cli.command("process-waitlist")
def process_waitlist_command():
    """Lapse waitlist offers not taken in time and offer free slots to the next in line;
    prints the count of offers made."""
    from bookings.waitlist import process_waitlist

    offered, lapsed = process_waitlist(utcnow())
    click.echo(f"{lapsed} lapsed, {offered} offered")


@bookings_cli.command("mark-no-shows")
def mark_no_shows_command():
    """Release confirmed hourly desk bookings nobody checked in for within
    NO_SHOW_GRACE_MINUTES of their start (status no_show); prints the count."""
    from bookings.checkin import mark_no_shows

    count = mark_no_shows(utcnow())
    click.echo(f"{count} marked as no-show")
