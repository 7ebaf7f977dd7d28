"""Fixtures of the invoice tests: an organisation billed on account, a priced unit, and
confirmed bookings written directly (the booking engine's rules are tested elsewhere)."""
from datetime import datetime, timezone

import pytest

from core.time import BERLIN

# Inside the test month November 2026; "now" is the day after the month ends.
NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def billing_setup(make):
    site = make.site("bochum", name="Stadtlabor Bochum")
    desk = make.unit(site, "desk", name="Desk 1", price_cents=1250)  # 12.50 € net per hour
    organisation = make.organisation(
        "Flusslicht GmbH", kind="startup", street="Kortumstraße 5", postcode="44787",
        municipality="Bochum", vat_id="DE811907980", billing_email="billing@flusslicht.example")
    booker = make.user("booker@flusslicht.example", organisation=organisation)
    return {"site": site, "desk": desk, "organisation": organisation, "booker": booker}


def on_account(make, setup, start, end, **fields):
    """A confirmed booking of the setup's desk billed to its organisation."""
    return make.booking(setup["desk"], user=setup["booker"], organisation=setup["organisation"],
                        starts_at=start, ends_at=end, **fields)


def run_month(year=2026, month=11, now=NOW):
    from billing.invoice_run import run_monthly_billing

    return run_monthly_billing(year, month, now=now)


def invoice(invoice_id):
    from billing.invoice_models import Invoice
    from extensions import db

    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)
