"""Invoice numbers: gapless and unique per series and year, also under concurrency; an
issued invoice cannot be changed (database triggers)."""
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from billing.invoice_models import Invoice, InvoiceKind, InvoiceLine
from billing.invoices import LineDraft, issue_document
from billing.numbering import draw_number
from core.db import run_in_transaction
from extensions import db
from tests.concurrency import race
from tests.invoices.conftest import NOW


def _issue(organisation_id, now=NOW, net=1000):
    from accounts.models import Organisation

    def work():
        organisation = db.session.get(Organisation, organisation_id)
        line = LineDraft(kind="service", description="Desk", service_from=date(2026, 11, 2),
                         service_to=date(2026, 11, 2), net_cents=net, vat_rate_bp=1900)
        return issue_document(kind=InvoiceKind.INVOICE, lines=[line], now=now,
                              organisation=organisation, notify=False).number

    return run_in_transaction(work)


def test_numbers_follow_each_other_per_series_and_restart_each_year(make):
    organisation = make.organisation()
    numbers = [_issue(organisation.id) for _ in range(3)]
    assert numbers == ["SL-2026-00001", "SL-2026-00002", "SL-2026-00003"]
    assert _issue(organisation.id, now=datetime(2027, 1, 4, 9, tzinfo=timezone.utc)) \
        == "SL-2027-00001"


def test_a_rolled_back_invoice_gives_its_number_back(make):
    organisation = make.organisation()
    assert _issue(organisation.id) == "SL-2026-00001"
    draw_number("SL", 2026)
    db.session.rollback()
    with pytest.raises(Exception):
        _issue(organisation.id, net=-5)  # refused after drawing its number
    assert _issue(organisation.id) == "SL-2026-00002"


def test_concurrent_issuers_get_gapless_unique_numbers(app, make):
    organisation_id = make.organisation().id
    db.session.rollback()  # release SQLite's write lock (every transaction takes it)
    workers = 12 if db.engine.dialect.name == "postgresql" else 6
    results = race(app, workers, lambda index, _: _issue(organisation_id))
    assert sorted(map(str, results)) == [f"SL-2026-{n:05d}" for n in range(1, workers + 1)]
    stored = db.session.scalars(sa.select(Invoice.sequence).order_by(Invoice.sequence)).all()
    assert stored == list(range(1, workers + 1))


def test_an_issued_invoice_cannot_be_changed(make):
    organisation = make.organisation()
    _issue(organisation.id)
    with pytest.raises(DBAPIError):
        db.session.execute(sa.update(Invoice).values(gross_cents=1, net_cents=1, vat_cents=0,
                                                     due_cents=1))
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.update(InvoiceLine).values(description="changed"))
    db.session.rollback()
    # The payment follow-up may change.
    db.session.execute(sa.update(Invoice).values(reminder_level=1))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            db.session.execute(sa.delete(InvoiceLine))
        db.session.rollback()
    assert db.session.scalar(sa.select(Invoice.gross_cents)) == 1190
