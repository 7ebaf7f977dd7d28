"""The monthly run: one invoice per organisation for the bookings on account whose service
starts in the month (local time) and the month's tenancy fees; idempotent."""
from datetime import date

import sqlalchemy as sa

from billing.invoice_models import BilledItem, Invoice
from billing.models import Payment, UnitPrice
from billing.pricing import PriceList, Slot, SubsidyOffer, quote
from bookings.tenancy_models import Tenancy
from extensions import db
from tests.invoices.conftest import NOW, berlin, invoice, on_account, run_month


def test_bills_the_organisations_bookings_of_the_local_month_once(make, billing_setup, runner):
    s = billing_setup
    first = on_account(make, s, berlin(2026, 11, 1, 0), berlin(2026, 11, 1, 2))  # 31.10. UTC
    last = on_account(make, s, berlin(2026, 11, 30, 18), berlin(2026, 11, 30, 19))
    on_account(make, s, berlin(2026, 12, 1, 8), berlin(2026, 12, 1, 9))  # next month
    on_account(make, s, berlin(2026, 11, 3, 9), berlin(2026, 11, 3, 10), status="cancelled")
    make.booking(s["desk"], user=s["booker"], starts_at=berlin(2026, 11, 4, 9),
                 ends_at=berlin(2026, 11, 4, 10))  # private, no organisation
    other = make.organisation("Ruhrbeans", kind="retailer")
    make.booking(s["desk"], organisation=other, starts_at=berlin(2026, 11, 5, 9),
                 ends_at=berlin(2026, 11, 5, 11))

    result = runner.invoke(args=["billing", "run", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("2 ")

    mine = db.session.scalar(sa.select(Invoice).where(
        Invoice.organisation_id == s["organisation"].id))
    assert {line.booking_id for line in mine.lines} == {first.id, last.id}
    assert mine.net_cents == 2500 + 1250  # 2 h and 1 h at 12.50
    assert (mine.service_from, mine.service_to) == (date(2026, 11, 1), date(2026, 11, 30))
    assert mine.recipient["name"] == "Flusslicht GmbH"
    assert mine.recipient["vat_id"] == "DE811907980"
    assert mine.issuer["vat_id"] and mine.issuer["iban"]

    again = runner.invoke(args=["billing", "run", "--month", "2026-11"])
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[-1].startswith("0 ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 2

    # A booking added later is billed by the next run, on a new invoice.
    late = on_account(make, s, berlin(2026, 11, 20, 9), berlin(2026, 11, 20, 10))
    [new_id] = run_month()
    assert [line.booking_id for line in invoice(new_id).lines] == [late.id]


def test_bad_month_fails_with_a_message(runner, app):
    result = runner.invoke(args=["billing", "run", "--month", "2026-13"])
    assert result.exit_code == 1
    assert "YYYY-MM" in result.output


def test_vat_per_rate_and_totals_by_hand(make, billing_setup):
    s = billing_setup
    shelf = make.unit(s["site"], "popup_shelf", granularity="day", name="Shelf", price_cents=2000)
    db.session.execute(sa.update(UnitPrice).where(UnitPrice.unit_id == shelf.id)
                       .values(vat_rate_bp=700))
    db.session.commit()
    on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12))  # 3 h x 12.50
    on_account(make, s, berlin(2026, 11, 3, 9), berlin(2026, 11, 3, 11))  # 2 h x 12.50
    make.booking(shelf, user=s["booker"], organisation=s["organisation"],
                 starts_at=berlin(2026, 11, 9, 0), ends_at=berlin(2026, 11, 11, 0))  # 2 days

    [invoice_id] = run_month()
    bill = invoice(invoice_id)
    from billing.invoices import totals_of

    by_rate = totals_of(bill.lines).by_rate
    # 19 %: 37.50 -> 7.125 rounds to 7.13; 25.00 -> 4.75. 7 %: 40.00 -> 2.80.
    assert by_rate == {700: (4000, 280), 1900: (6250, 713 + 475)}
    assert (bill.net_cents, bill.vat_cents, bill.gross_cents) == (10250, 1468, 11718)
    assert bill.due_cents == 11718
    shelf_line = next(line for line in bill.lines if line.vat_rate_bp == 700)
    assert (shelf_line.quantity_milli, shelf_line.unit_code) == (2000, "DAY")


def _frozen(make, s, kind):
    price = quote(PriceList(net_cents_per_step=1000), [Slot(
        berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12), "hour")],
        subsidy=SubsidyOffer(programme_id=1, name="Anschubfinanzierung", kind=kind,
                             share_bp=5000))
    return on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12), price=price)


def test_a_price_reduction_is_its_own_line_and_lowers_the_vat(make, billing_setup):
    _frozen(make, billing_setup, "price_reduction")
    bill = invoice(run_month()[0])
    assert [(line.kind, line.net_cents, line.vat_cents) for line in bill.lines] == [
        ("service", 3000, 570), ("subsidy", -1500, -285)]
    assert "Anschubfinanzierung" in bill.lines[1].description
    assert (bill.net_cents, bill.vat_cents, bill.gross_cents, bill.due_cents) == (
        1500, 285, 1785, 1785)


def test_a_third_party_payment_keeps_the_vat_and_lowers_the_amount_due(make, billing_setup):
    _frozen(make, billing_setup, "third_party")
    bill = invoice(run_month()[0])
    assert (bill.net_cents, bill.vat_cents, bill.gross_cents) == (3000, 570, 3570)
    assert (bill.prepaid_cents, bill.due_cents) == (1500, 2070)
    assert [line.kind for line in bill.lines] == ["service", "third_party"]


def test_bookings_paid_online_are_not_billed_again(make, billing_setup):
    s = billing_setup
    paid = on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    db.session.add(Payment(booking_id=paid.id, checkout_session_id="cs_1", checkout_url="x",
                           status="paid", amount_cents=1488))
    db.session.commit()
    assert run_month() == []


def test_tenancy_fees_are_billed_pro_rata_once_per_month(make, billing_setup):
    s = billing_setup
    tenancy = Tenancy(organisation_id=s["organisation"].id, site_id=s["site"].id,
                      weekdays="TH", whole_days=True, starts_on=date(2026, 11, 16),
                      ends_on=date(2027, 4, 30), proposed_monthly_fee_cents=30000,
                      monthly_fee_cents=30000, status="approved")
    db.session.add(tenancy)
    db.session.commit()
    booking = on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))

    [invoice_id] = run_month()
    bill = invoice(invoice_id)
    fee = next(line for line in bill.lines if line.tenancy_id == tenancy.id)
    assert fee.net_cents == 15000  # 15 of 30 days
    assert (fee.service_from, fee.service_to) == (date(2026, 11, 16), date(2026, 11, 30))
    assert {line.booking_id for line in bill.lines} == {booking.id, None}
    assert run_month() == []
    assert db.session.scalar(sa.select(BilledItem.billing_month).where(
        BilledItem.tenancy_id == tenancy.id)) == date(2026, 11, 1)

    [december] = run_month(2026, 12, now=NOW.replace(year=2027, month=1))
    assert invoice(december).net_cents == 30000


def test_invoiced_bookings_are_kept_from_the_privacy_purge(make, billing_setup):
    from datetime import datetime, timezone

    from core import hooks

    s = billing_setup
    billed = on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    other = make.booking(s["desk"], user=s["booker"], starts_at=berlin(2026, 11, 3, 9),
                         ends_at=berlin(2026, 11, 3, 10))
    run_month()
    needed = hooks.ask("privacy.bookings_needed_for_accounting", [billed.id, other.id],
                       datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert needed == {billed.id}
    assert hooks.ask("privacy.bookings_needed_for_accounting", [billed.id],
                     datetime(2027, 1, 1, tzinfo=timezone.utc)) == set()


def test_two_runs_at_once_bill_everything_exactly_once(app, make, billing_setup):
    import threading

    s = billing_setup
    for day in (2, 3, 4):
        on_account(make, s, berlin(2026, 11, day, 9), berlin(2026, 11, day, 10))
    other = make.organisation("Ruhrbeans", kind="retailer")
    make.booking(s["desk"], organisation=other, starts_at=berlin(2026, 11, 5, 9),
                 ends_at=berlin(2026, 11, 5, 11))
    db.session.rollback()  # release SQLite's write lock (every transaction takes it)
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(index):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                results[index] = run_month()
            except Exception as error:  # noqa: BLE001 - the test looks at every outcome
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(result, list) for result in results), results
    assert sum(len(result) for result in results) == 2
    numbers = db.session.scalars(sa.select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == ["SL-2026-00001", "SL-2026-00002"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BilledItem)) == 4
