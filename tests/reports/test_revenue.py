"""Revenue from price snapshots, subsidies against budgets, open invoices."""
from datetime import date, datetime, timezone

import pytest

from billing.invoice_models import Invoice, InvoiceLine
from billing.models import FundingProgramme, SubsidyGrant
from extensions import db
from reports.periods import build_period
from reports.revenue import open_invoices_report, revenue_report, subsidies_report
from tests.reports.helpers import TEN_HOURS, day, local


def price(net, vat, subsidy=0):
    return {"net_cents": net, "vat_cents": vat, "gross_cents": net + vat,
            "subsidy_cents": subsidy, "currency": "EUR"}


def test_revenue_sums_confirmed_and_no_show_prices_per_month(make):
    site = make.site(hours=TEN_HOURS)
    desk, shelf = make.unit(site, "desk"), make.unit(site, "popup_shelf", granularity="day")
    make.booking(desk, starts_at=local(day("2027-03-16"), 9), ends_at=local(day("2027-03-16"), 10),
                 price=price(1000, 190))
    make.booking(desk, starts_at=local(day("2027-03-17"), 9), ends_at=local(day("2027-03-17"), 10),
                 status="no_show", price=price(500, 95, subsidy=250))
    make.booking(desk, starts_at=local(day("2027-03-18"), 9), ends_at=local(day("2027-03-18"), 10),
                 status="cancelled", price=price(9999, 1900))
    make.booking(desk, starts_at=local(day("2027-03-19"), 9), ends_at=local(day("2027-03-19"), 10))
    make.booking(shelf, starts_at=local(day("2027-04-01"), 0), ends_at=local(day("2027-04-02"), 0),
                 price=price(2000, 380))
    # Starts at 00:30 local on 1 April = 22:30 UTC on 31 March: belongs to April.
    make.booking(desk, starts_at=local(day("2027-04-01"), 0, 30),
                 ends_at=local(day("2027-04-01"), 1, 30), price=price(100, 19))

    revenue = revenue_report(build_period([site], day("2027-03-01"), day("2027-04-30")))

    months = {row["month"]: row for row in revenue["months"]}
    assert (months["2027-03"]["net_cents"], months["2027-03"]["vat_cents"],
            months["2027-03"]["gross_cents"], months["2027-03"]["subsidy_cents"]) == (1500, 285, 1785, 250)
    assert months["2027-03"]["unpriced"] == 1
    assert months["2027-04"]["net_cents"] == 2100
    assert revenue["total"]["gross_cents"] == 1785 + 2380 + 119
    kinds = {row["kind"]: row["net_cents"] for row in revenue["by_kind"]}
    assert kinds == {"desk": 1600, "popup_shelf": 2000}


def test_subsidies_per_programme_against_budget(make):
    site = make.site(hours=TEN_HOURS)
    other_site = make.site(hours=TEN_HOURS)
    desk, far_desk = make.unit(site, "desk"), make.unit(other_site, "desk")
    startup = make.organisation("Start", kind="startup")
    inside = make.booking(desk, organisation=startup, starts_at=local(day("2027-03-16"), 9),
                          ends_at=local(day("2027-03-16"), 10))
    released = make.booking(desk, organisation=startup, starts_at=local(day("2027-03-17"), 9),
                            ends_at=local(day("2027-03-17"), 10), status="cancelled")
    elsewhere = make.booking(far_desk, organisation=startup, starts_at=local(day("2027-03-16"), 9),
                             ends_at=local(day("2027-03-16"), 10))
    programme = FundingProgramme(name="Anschub", share_bp=5000, budget_cents=10_000,
                                 committed_cents=700)
    unused = FundingProgramme(name="Zukunft", share_bp=2500, budget_cents=5_000)
    db.session.add_all([programme, unused])
    db.session.flush()
    at = datetime(2027, 3, 1, tzinfo=timezone.utc)
    db.session.add_all([
        SubsidyGrant(programme_id=programme.id, booking_id=inside.id, organisation_id=startup.id,
                     amount_cents=300, granted_at=at),
        SubsidyGrant(programme_id=programme.id, booking_id=elsewhere.id,
                     organisation_id=startup.id, amount_cents=400, granted_at=at),
        SubsidyGrant(programme_id=programme.id, booking_id=released.id, organisation_id=startup.id,
                     amount_cents=200, granted_at=at, released_at=at),
    ])
    db.session.commit()

    result = subsidies_report(build_period([site], day("2027-03-01"), day("2027-03-31")))

    assert result["available"]
    rows = {row["programme"]: row for row in result["programmes"]}
    assert (rows["Anschub"]["grants"], rows["Anschub"]["granted_cents"]) == (1, 300)
    assert rows["Anschub"]["remaining_cents"] == 9_300
    assert rows["Anschub"]["used_ratio"] == pytest.approx(0.07)
    assert (rows["Zukunft"]["grants"], rows["Zukunft"]["granted_cents"]) == (0, 0)


def _invoice(organisation, number, site, *, state="open", due_on=date(2027, 3, 31), due=1190):
    invoice = Invoice(number=f"SL-2027-{number:05d}", series="SL", year=2027, sequence=number,
                      kind="invoice", organisation_id=organisation.id, issuer={}, recipient={},
                      issued_on=date(2027, 3, 1), service_from=date(2027, 3, 1),
                      service_to=date(2027, 3, 31), due_on=due_on, net_cents=1000,
                      vat_cents=190, gross_cents=1190, prepaid_cents=1190 - due, due_cents=due,
                      einvoice_format="none", payment_state=state)
    invoice.lines.append(InvoiceLine(position=1, kind="service", description="Desk",
                                     site_id=site.id, service_from=date(2027, 3, 1),
                                     service_to=date(2027, 3, 31), quantity_milli=1000,
                                     unit_code="HUR", unit_net_cents=1000, net_cents=1000,
                                     vat_rate_bp=1900, vat_cents=190))
    db.session.add(invoice)
    db.session.commit()
    return invoice


def test_open_invoices_of_the_site(make):
    site, other = make.site(), make.site()
    organisation = make.organisation()
    _invoice(organisation, 1, site)
    _invoice(organisation, 2, site, due_on=date(2027, 6, 30), due=500)
    _invoice(organisation, 3, site, state="paid")
    _invoice(organisation, 4, other)

    result = open_invoices_report(build_period([site], day("2027-03-01"), day("2027-03-31")),
                                  today=date(2027, 4, 15))

    assert result == {"available": True, "count": 2, "due_cents": 1690, "overdue": 1,
                      "overdue_cents": 1190}
