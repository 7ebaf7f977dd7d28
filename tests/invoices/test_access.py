"""Who sees which invoice: the recipient person, the organisation's admins, the managers of
a site with a line on it, chamber admins (who also administer open invoices)."""
import sqlalchemy as sa

from billing.invoice_models import Invoice
from extensions import db
from tests.invoices.conftest import berlin, invoice, on_account, run_month


def _setup(make, s):
    on_account(make, s, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 10))
    [invoice_id] = run_month()
    return invoice_id


def test_organisation_admin_sees_and_downloads_its_invoice(make, billing_setup, client, auth):
    invoice_id = _setup(make, billing_setup)
    admin = make.user(organisation=billing_setup["organisation"], membership_role="admin")
    auth.login(admin.email)
    listing = client.get("/invoices/")
    assert b"SL-2026-00001" in listing.data
    assert client.get(f"/invoices/{invoice_id}").status_code == 200
    pdf = client.get(f"/invoices/{invoice_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_other_people_do_not_see_it(make, billing_setup, client, auth):
    invoice_id = _setup(make, billing_setup)
    stranger = make.user(organisation=make.organisation(), membership_role="admin")
    for user in (billing_setup["booker"], stranger):  # a plain member sees no org invoice
        auth.login(user.email)
        assert client.get(f"/invoices/{invoice_id}").status_code == 403
        assert client.get(f"/invoices/{invoice_id}/pdf").status_code == 403
        assert b"SL-2026-00001" not in client.get("/invoices/").data
        auth.logout()
    anonymous = client.get(f"/invoices/{invoice_id}/pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_managers_see_their_sites_invoices_only(make, billing_setup, client, auth):
    invoice_id = _setup(make, billing_setup)
    own = make.user(role="manager", sites=[billing_setup["site"]])
    other = make.user(role="manager", sites=[make.site("witten")])
    auth.login(own.email)
    assert client.get(f"/invoices/{invoice_id}/pdf").status_code == 200
    assert client.get("/invoices/open").status_code == 403
    assert client.get("/invoices/datev?from=2026-12-01&to=2026-12-31").status_code == 403
    auth.logout()
    auth.login(other.email)
    assert client.get(f"/invoices/{invoice_id}").status_code == 403


def test_a_person_sees_their_own_paid_invoice(make, billing_setup, client, auth):
    from billing.invoice_run import issue_paid_booking_invoice
    from bookings.models import Booking
    from core.db import run_in_transaction
    from tests.invoices.conftest import NOW

    booking = make.booking(billing_setup["desk"], user=billing_setup["booker"],
                           starts_at=berlin(2026, 11, 2, 9), ends_at=berlin(2026, 11, 2, 10))
    invoice_id = run_in_transaction(lambda: issue_paid_booking_invoice(
        db.session.get(Booking, booking.id), now=NOW, payment_reference="pi_1").id)
    auth.login(billing_setup["booker"].email)
    assert client.get(f"/invoices/{invoice_id}/pdf").status_code == 200
    auth.logout()
    auth.login(make.user().email)
    assert client.get(f"/invoices/{invoice_id}/pdf").status_code == 403


def test_chamber_admin_marks_a_transfer_received(make, billing_setup, client, auth, counts):
    invoice_id = _setup(make, billing_setup)
    member = make.user(organisation=billing_setup["organisation"], membership_role="admin")
    auth.login(member.email)
    before = counts()
    assert client.post(f"/invoices/{invoice_id}/paid").status_code == 403
    assert counts() == before and invoice(invoice_id).payment_state == "open"
    auth.logout()

    admin = make.user(role="admin")
    auth.login(admin.email)
    assert b"SL-2026-00001" in client.get("/invoices/open").data
    response = client.post(f"/invoices/{invoice_id}/paid", data={"reference": "Kontoauszug 12"})
    assert response.status_code == 302
    paid = invoice(invoice_id)
    assert (paid.payment_state, paid.payment_method, paid.payment_reference) == (
        "paid", "transfer", "Kontoauszug 12")
    assert paid.gross_cents == 1488  # the invoice itself is unchanged
    page = client.get("/invoices/open").data
    assert f'href="/invoices/{invoice_id}"'.encode() not in page
    assert client.post(f"/invoices/{invoice_id}/paid").status_code == 409


def test_no_route_changes_or_deletes_an_invoice(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("invoices.")]
    methods = set().union(*(rule.methods for rule in rules))
    assert not methods & {"PUT", "PATCH", "DELETE"}
    assert {rule.rule for rule in rules if "POST" in rule.methods} == {
        "/invoices/<int:invoice_id>/paid", "/invoices/<int:invoice_id>/credit-note"}


def test_admin_issues_a_credit_note_from_the_page(make, billing_setup, client, auth):
    invoice_id = _setup(make, billing_setup)
    auth.login(make.user(role="admin").email)
    response = client.post(f"/invoices/{invoice_id}/credit-note", data={"reason": "Doppelt"})
    assert response.status_code == 302
    note = db.session.scalar(sa.select(Invoice).where(Invoice.original_invoice_id == invoice_id))
    assert note.number == "GS-2026-00001" and note.reason == "Doppelt"
