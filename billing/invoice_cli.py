"""``flask --app app billing ...``: the monthly invoice run, reminders, DATEV export."""
from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import force_locale

import billing.invoice_messages  # noqa: F401 - registers the message keys used below
from core.errors import DomainError
from core.messages import message_for
from core.time import add_months, local_date, utcnow
from extensions import db

billing_cli = AppGroup("billing", help="Billing: monthly invoices, reminders, DATEV.")


def _fail(error):
    db.session.rollback()
    with force_locale("en"):
        message = message_for(error)
    raise click.ClickException(message)


@billing_cli.command("run")
@click.option("--month", default=None,
              help="The month to bill, YYYY-MM (local time); default: the previous month.")
def run_command(month):
    """Issue the month's invoices per organisation (idempotent); prints the count."""
    from billing.invoice_run import parse_month, run_monthly_billing

    now = utcnow()
    try:
        if month is None:
            previous = add_months(local_date(now).replace(day=1), -1)
            year, number = previous.year, previous.month
        else:
            year, number = parse_month(month)
        created = run_monthly_billing(year, number, now=now)
    except DomainError as error:
        _fail(error)
    click.echo(f"{len(created)} invoices created")


@billing_cli.command("remind")
def remind_command():
    """Send the payment reminders and dunning letters that are due; prints the count."""
    from billing.reminders import send_payment_reminders

    click.echo(f"{send_payment_reminders(now=utcnow())} reminders sent")


@billing_cli.command("datev")
@click.option("--from", "date_from", required=True, help="First invoice date, YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, help="Last invoice date, YYYY-MM-DD.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
def datev_command(date_from, date_to, output):
    """Write the invoices of a period as a DATEV booking batch (EXTF CSV)."""
    from billing.datev import export_datev

    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError:
        raise click.ClickException("--from and --to must be dates (YYYY-MM-DD)") from None
    data = export_datev(start, end, now=utcnow())
    with open(output, "wb") as handle:
        handle.write(data)
    bookings = max(len(data.splitlines()) - 2, 0)
    click.echo(f"{bookings} bookings written")
