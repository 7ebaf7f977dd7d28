"""``flask --app app privacy purge``: the retention job (run daily)."""
import click
from flask import current_app
from flask.cli import AppGroup

from core.time import utcnow

privacy_cli = AppGroup("privacy", help="Privacy: retention of personal data.")


@privacy_cli.command("purge")
def purge_command():
    """Anonymise bookings older than PRIVACY_RETENTION_DAYS (except what invoices of the
    last ACCOUNTING_RETENTION_YEARS need); prints the count on the last line."""
    from privacy.services import purge_personal_data

    config = current_app.config
    result = purge_personal_data(utcnow(), config["PRIVACY_RETENTION_DAYS"],
                                 config["ACCOUNTING_RETENTION_YEARS"])
    click.echo(f"{result.series} series, {result.audit_entries} audit entries cleaned, "
               f"{result.mails} old mails deleted, {result.kept_for_accounting} bookings "
               "kept for accounting")
    click.echo(f"{result.bookings} anonymised")
