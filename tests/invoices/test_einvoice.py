"""E-invoices: the CII XML validates against the EN 16931 XML schema and business rules
(schematron under Saxon); a tampered total fails them; hybrids carry the XML."""
import io
from datetime import datetime, timezone

import pytest
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import (
    EN16931, NS, XRECHNUNG, check_xsd, embedded_xml, schematron_errors, totals_errors,
    xrechnung_errors,
)
from billing.invoice_models import EInvoiceFormat
from billing.invoice_run import issue_paid_booking_invoice
from bookings.services import cancel_booking
from core.db import run_in_transaction
from tests.invoices.conftest import berlin, invoice, on_account, run_month


def _tamper(xml, path, value):
    root = etree.fromstring(xml)
    root.xpath(path, namespaces=NS)[0].text = value
    return etree.tostring(root)


def test_business_invoice_is_a_valid_factur_x_hybrid(make, billing_setup):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12))
    bill = invoice(run_month()[0])
    assert bill.einvoice_format == EInvoiceFormat.FACTURX
    xml = bill.document.xml
    assert check_xsd(xml)
    assert schematron_errors(xml) == []
    assert totals_errors(xml) == []
    root = etree.fromstring(xml)
    assert root.xpath("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
                      namespaces=NS) == [EN16931]
    assert root.xpath("//ram:GrandTotalAmount/text()", namespaces=NS) == ["44.63"]

    pdf = bill.document.pdf
    assert embedded_xml(pdf) == xml
    reader = PdfReader(io.BytesIO(pdf))
    assert "/OutputIntents" in reader.trailer["/Root"]
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"EN 16931" in metadata


def test_a_tampered_grand_total_breaks_the_business_rules(make, billing_setup):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12))
    xml = invoice(run_month()[0]).document.xml
    tampered = _tamper(xml, "//ram:GrandTotalAmount", "40.00")
    assert check_xsd(tampered)  # still well-formed CII: only the rules catch it
    assert "BR-CO-15" in {rule for rule, _text in schematron_errors(tampered)}
    assert "BR-CO-15" in totals_errors(tampered)
    wrong_vat = _tamper(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                             "ram:CalculatedAmount", "9.99")
    assert "BR-CO-14" in {rule for rule, _text in schematron_errors(wrong_vat)}


def test_an_invalid_document_fails_the_schema(make, billing_setup):
    on_account(make, billing_setup, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 12))
    xml = invoice(run_month()[0]).document.xml
    with pytest.raises(Exception):
        check_xsd(_tamper(xml, "//ram:GrandTotalAmount", "forty"))


def test_public_body_with_a_routing_id_gets_an_xrechnung(make, billing_setup):
    city = make.organisation("Stadt Bochum", kind="public_body", street="Willy-Brandt-Platz 2",
                             postcode="44777", municipality="Bochum",
                             public_routing_id="05911000-12345-67",
                             billing_email="rechnungen@bochum.example")
    make.booking(billing_setup["desk"], organisation=city, starts_at=berlin(2026, 11, 2, 9),
                 ends_at=berlin(2026, 11, 2, 10))
    bill = invoice(run_month()[0])
    assert bill.einvoice_format == EInvoiceFormat.XRECHNUNG
    xml = bill.document.xml
    root = etree.fromstring(xml)
    assert root.xpath("//ram:BuyerReference/text()", namespaces=NS) == ["05911000-12345-67"]
    assert root.xpath("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
                      namespaces=NS) == [XRECHNUNG]
    assert check_xsd(xml)
    assert schematron_errors(xml) == []
    assert xrechnung_errors(xml) == []
    assert xrechnung_errors(_tamper(xml, "//ram:BuyerReference", "")) == ["BR-DE-15"]
    assert embedded_xml(bill.document.pdf) is None  # the XML travels on its own


def test_credit_note_xml_references_the_invoice(make, billing_setup):
    s = billing_setup
    booking = on_account(make, s, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 10))
    original = invoice(run_month(2027, 3, now=datetime(2027, 3, 1, tzinfo=timezone.utc))[0])
    cancel_booking(s["booker"], booking, now=datetime(2027, 3, 2, tzinfo=timezone.utc))
    from billing.invoice_models import Invoice
    from extensions import db
    import sqlalchemy as sa

    note = db.session.scalar(sa.select(Invoice).where(Invoice.original_invoice_id == original.id))
    root = etree.fromstring(note.document.xml)
    assert root.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=NS) == ["381"]
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()",
                      namespaces=NS) == [original.number]
    assert schematron_errors(note.document.xml) == []


def test_a_booking_paid_online_by_a_person_gets_a_paid_pdf_invoice(make, billing_setup):
    s = billing_setup
    booking = make.booking(s["desk"], user=s["booker"], starts_at=berlin(2026, 11, 2, 9),
                           ends_at=berlin(2026, 11, 2, 10))
    from bookings.models import Booking
    from extensions import db

    now = datetime(2026, 10, 30, tzinfo=timezone.utc)
    issued = run_in_transaction(lambda: issue_paid_booking_invoice(
        db.session.get(Booking, booking.id), now=now, payment_reference="pi_123").id)
    bill = invoice(issued)
    assert bill.number == "SL-2026-00001"
    assert bill.einvoice_format == EInvoiceFormat.NONE and bill.document.xml is None
    assert (bill.payment_state, bill.due_cents, bill.gross_cents) == ("paid", 0, 1488)
    assert bill.recipient["name"] == s["booker"].display_name
    assert run_month() == []  # and the monthly run leaves it alone


def test_a_booking_confirmed_by_its_stripe_payment_is_invoiced_at_once(make, billing_setup):
    from billing.models import Payment
    from bookings import signals
    from bookings.models import Booking
    from extensions import db

    s = billing_setup
    booking = make.booking(s["desk"], user=s["booker"], organisation=s["organisation"],
                           starts_at=berlin(2026, 11, 2, 9), ends_at=berlin(2026, 11, 2, 11))
    db.session.add(Payment(booking_id=booking.id, checkout_session_id="cs_9",
                           checkout_url="https://checkout.example/cs_9", payment_intent="pi_9",
                           status="paid", amount_cents=2975))
    db.session.commit()
    now = datetime(2026, 10, 20, tzinfo=timezone.utc)

    def confirm():
        signals.booking_confirmed.send(db.session.get(Booking, booking.id), actor=None, now=now)

    run_in_transaction(confirm)
    from billing.invoice_models import Invoice
    import sqlalchemy as sa

    bill = db.session.scalar(sa.select(Invoice))
    assert (bill.number, bill.payment_state, bill.payment_reference) == (
        "SL-2026-00001", "paid", "pi_9")
    assert (bill.gross_cents, bill.due_cents) == (2975, 0)
    assert bill.einvoice_format == EInvoiceFormat.FACTURX
    assert schematron_errors(bill.document.xml) == []
    run_in_transaction(confirm)  # a replayed confirmation invoices nothing twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 1
