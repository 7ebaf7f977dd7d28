"""What a booking or a tenancy month puts on an invoice, and the monthly invoice run.

``run_monthly_billing`` bills, per organisation, the bookings on account whose service
starts in the month (local time), the cancellation fees of such bookings cancelled late,
and the tenancy fees of the month: one invoice per organisation, idempotent (``BilledItem``
remembers every booking and tenancy month; a second run, also a concurrent one, bills
nothing twice). Bookings paid through Stripe get their own invoice when they are paid
(``issue_paid_booking_invoice``).
"""
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from billing.invoice_models import BilledItem, InvoiceKind
from billing.invoices import FEE, SERVICE, SUBSIDY, THIRD_PARTY, Billed, LineDraft, issue_document
from bookings.models import Booking, BookingStatus
from core.db import run_in_transaction
from core.errors import ValidationError
from core.time import add_months, count_steps, local_date, local_midnight, to_local
from extensions import db

UNIT_CODES = {"hour": "HUR", "day": "DAY", "week": "WEE", "month": "MON"}
PAID_ONLINE_STATES = ("paid", "processing", "refunded")


def parse_month(text):
    """'2026-11' -> (2026, 11); raises ValidationError otherwise."""
    try:
        year_text, month_text = str(text).strip().split("-")
        year, month = int(year_text), int(month_text)
        date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError({"month": "invalid"}, message_key="invalid_month",
                              value=text) from None
    return year, month


def rate_bp(value, default=1900):
    """A VAT rate as basis points from 1900, "19.00", "19", 19 or 0.19 (tolerant)."""
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 100 else value * 100
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        return default
    if number < 1:
        number *= 100
    return int((number * 100).to_integral_value())


# --- lines of a booking ------------------------------------------------------------------

def _service_dates(booking):
    last = booking.ends_at - timedelta(microseconds=1)
    return local_date(booking.starts_at), local_date(last)


def booking_label(booking):
    unit = booking.unit
    start, end = to_local(booking.starts_at), to_local(booking.ends_at)
    if unit.granularity == "hour":
        when = f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"
        if start.date() != end.date():
            when = f"{start:%d.%m.%Y %H:%M} – {end:%d.%m.%Y %H:%M}"
    else:
        first, last = _service_dates(booking)
        when = f"{first:%d.%m.%Y}" if first == last else f"{first:%d.%m.%Y} – {last:%d.%m.%Y}"
    return _("%(unit)s, %(site)s, %(when)s (booking no. %(id)s)", unit=unit.name,
             site=unit.site.name, when=when, id=booking.id)


def booking_lines(booking):
    """The invoice lines of a booking: from its frozen price when there is one (the quote
    the booker saw), else from the unit's current price and the booking's step count."""
    service_from, service_to = _service_dates(booking)
    common = dict(service_from=service_from, service_to=service_to,
                  site_id=booking.unit.site_id, booking_id=booking.id)
    label = booking_label(booking)
    price = booking.price or {}
    if price.get("lines"):
        return _lines_from_quote(price, label, common)
    from billing.models import UnitPrice

    unit_price = db.session.scalar(sa.select(UnitPrice).where(UnitPrice.unit_id == booking.unit_id))
    steps = count_steps(booking.starts_at, booking.ends_at, booking.unit.granularity)
    per_step = unit_price.net_cents_per_step if unit_price else 0
    rate = unit_price.vat_rate_bp if unit_price else rate_bp(price.get("vat_rate"))
    return [LineDraft(kind=SERVICE, description=label, net_cents=steps * per_step,
                      vat_rate_bp=rate, quantity_milli=steps * 1000,
                      unit_code=UNIT_CODES.get(booking.unit.granularity, "C62"),
                      unit_net_cents=per_step, **common)]


def _lines_from_quote(price, label, common):
    programme = (price.get("subsidy") or {}).get("programme") or _("funding programme")
    default_rate = rate_bp(price.get("vat_rate"))
    drafts = []
    for quoted in price["lines"]:
        rate = rate_bp(quoted.get("vat_rate_bp", quoted.get("vat_rate")), default_rate)
        reduction = int(quoted.get("reduction_cents") or 0)
        net = int(quoted.get("net_cents") or 0)
        list_net = int(quoted.get("list_net_cents", net + reduction))
        vat = int(quoted.get("vat_cents", 0)) if "vat_cents" in quoted else None
        steps = int(quoted.get("steps") or 1)
        per_step = int(quoted.get("unit_net_cents", list_net // steps if steps else list_net))
        service = LineDraft(kind=SERVICE, description=label, net_cents=list_net,
                            vat_rate_bp=rate, quantity_milli=steps * 1000,
                            unit_code=UNIT_CODES.get(quoted.get("step"), "C62"),
                            unit_net_cents=per_step, **common)
        service.finished()
        if per_step * steps != list_net:  # a rounded rate: show one lump sum instead
            service.quantity_milli, service.unit_code, service.unit_net_cents = 1000, "C62", list_net
        drafts.append(service)
        if reduction:
            subsidy_vat = None if vat is None else vat - service.vat_cents
            drafts.append(LineDraft(
                kind=SUBSIDY, description=_("Subsidy by %(programme)s", programme=programme),
                net_cents=-reduction, vat_rate_bp=rate, quantity_milli=-1000,
                unit_net_cents=reduction, vat_cents=subsidy_vat, **common))
        elif vat is not None and vat != service.vat_cents:
            service.vat_cents = vat  # the frozen quote's rounding wins
        third_party = int(quoted.get("third_party_cents") or 0)
        if third_party:
            drafts.append(LineDraft(
                kind=THIRD_PARTY,
                description=_("Paid directly by %(programme)s", programme=programme),
                net_cents=-third_party, vat_rate_bp=0, vat_cents=0, quantity_milli=-1000,
                unit_net_cents=third_party, **common))
    return drafts


def cancellation_fee_line(booking, charge):
    service_from, service_to = _service_dates(booking)
    return LineDraft(kind=FEE, description=_("Cancellation fee: %(booking)s",
                                             booking=booking_label(booking)),
                     service_from=service_from, service_to=service_to,
                     net_cents=charge.fee_net_cents, vat_cents=charge.fee_vat_cents,
                     vat_rate_bp=charge.vat_rate_bp, site_id=booking.unit.site_id,
                     booking_id=booking.id)


# --- what is due -------------------------------------------------------------------------

def _not_billed(column):
    return ~sa.exists().where(BilledItem.booking_id == column)


def _not_paid_online():
    try:
        from billing.models import Payment
    except ImportError:  # payments not built: nothing is paid online
        return sa.true()
    return ~sa.exists().where(Payment.booking_id == Booking.id,
                              Payment.status.in_(PAID_ONLINE_STATES))


def _due_bookings(starts, ends, organisation_id=None):
    query = (
        sa.select(Booking)
        .where(Booking.billed_organisation_id.is_not(None),
               Booking.tenancy_id.is_(None),  # tenancy occurrences: billed by the fee
               Booking.status == BookingStatus.CONFIRMED,
               Booking.starts_at >= starts, Booking.starts_at < ends,
               _not_billed(Booking.id), _not_paid_online())
        .order_by(Booking.starts_at, Booking.id)
    )
    if organisation_id is not None:
        query = query.where(Booking.billed_organisation_id == organisation_id)
    return db.session.scalars(query).all()


def _due_cancellation_fees(starts, ends, organisation_id=None):
    try:
        from billing.models import CancellationCharge
    except ImportError:
        return []
    query = (
        sa.select(Booking, CancellationCharge)
        .join(CancellationCharge, CancellationCharge.booking_id == Booking.id)
        .where(Booking.billed_organisation_id.is_not(None),
               Booking.status == BookingStatus.CANCELLED,
               CancellationCharge.fee_net_cents > 0,
               Booking.starts_at >= starts, Booking.starts_at < ends,
               _not_billed(Booking.id), _not_paid_online())
        .order_by(Booking.starts_at, Booking.id)
    )
    if organisation_id is not None:
        query = query.where(Booking.billed_organisation_id == organisation_id)
    return db.session.execute(query).all()


def _due_tenancy_fees(year, month, organisation_id=None):
    try:
        from bookings.tenancy_fees import billable_tenancy_fees
    except ImportError:  # tenancies not built yet
        return []
    first = date(year, month, 1)
    billed = set(db.session.scalars(
        sa.select(BilledItem.tenancy_id).where(BilledItem.billing_month == first)
    ))
    return [fee for fee in billable_tenancy_fees(organisation_id, year, month)
            if fee["tenancy_id"] not in billed and fee["net_cents"] > 0]


def _tenancy_site(tenancy_id):
    try:
        from bookings.tenancy_models import Tenancy
    except ImportError:
        return None
    return db.session.scalar(sa.select(Tenancy.site_id).where(Tenancy.id == tenancy_id))


# --- the run -----------------------------------------------------------------------------

def run_monthly_billing(year, month, *, now, actor=None):
    """Issue the month's invoices, one per organisation with something due; return the ids
    of the invoices created (empty on a second run). An organisation whose items another
    run billed at the same moment is skipped (the unique constraints refuse the
    duplicate and its transaction, number included, is rolled back)."""
    from accounts.models import Organisation

    first = date(year, month, 1)
    starts, ends = local_midnight(first), local_midnight(add_months(first, 1))
    organisation_ids = {b.billed_organisation_id for b in _due_bookings(starts, ends)}
    organisation_ids |= {b.billed_organisation_id
                         for b, _c in _due_cancellation_fees(starts, ends)}
    organisation_ids |= {fee["organisation_id"] for fee in _due_tenancy_fees(year, month)}
    db.session.rollback()
    created = []
    for organisation_id in sorted(organisation_ids):
        def work(organisation_id=organisation_id):
            organisation = db.session.get(Organisation, organisation_id)
            lines, billed = [], []
            for booking in _due_bookings(starts, ends, organisation_id):
                lines.extend(booking_lines(booking))
                billed.append(Billed(booking_id=booking.id))
            for booking, charge in _due_cancellation_fees(starts, ends, organisation_id):
                lines.append(cancellation_fee_line(booking, charge))
                billed.append(Billed(booking_id=booking.id))
            for fee in _due_tenancy_fees(year, month, organisation_id):
                lines.append(LineDraft(
                    kind=SERVICE, description=fee["description"],
                    service_from=fee["period_start"], service_to=fee["period_end"],
                    net_cents=fee["net_cents"], vat_rate_bp=fee.get("vat_rate_bp", 1900),
                    site_id=_tenancy_site(fee["tenancy_id"]), tenancy_id=fee["tenancy_id"]))
                billed.append(Billed(tenancy_id=fee["tenancy_id"], billing_month=first))
            if not billed or sum(line.net_cents for line in lines) <= 0:
                return None
            return issue_document(kind=InvoiceKind.INVOICE, lines=lines, now=now,
                                  organisation=organisation, actor=actor, billed=billed).id

        try:
            invoice_id = run_in_transaction(work)
        except IntegrityError:
            continue
        if invoice_id is not None:
            created.append(invoice_id)
    return created


def issue_paid_booking_invoice(booking, *, now, payment_reference, actor=None):
    """Inside the caller's transaction: the invoice (marked paid) for a booking paid
    online, to its organisation or else its booker. Returns it, or None when the booking
    is already on an invoice."""
    if db.session.scalar(sa.select(BilledItem.id).where(BilledItem.booking_id == booking.id)):
        return None
    return issue_document(
        kind=InvoiceKind.INVOICE, lines=booking_lines(booking), now=now,
        organisation=booking.billed_organisation,
        user=None if booking.billed_organisation else booking.booked_by, actor=actor,
        billed=[Billed(booking_id=booking.id)], paid_online=payment_reference or "stripe")


def _on_booking_confirmed(booking, actor=None, now=None, **_extra):
    """A booking confirmed because its Stripe payment arrived gets its (paid) invoice in
    the same transaction: a Stripe receipt is not an invoice under §14 UStG."""
    try:
        from billing.models import Payment
    except ImportError:
        return
    payment = db.session.scalar(sa.select(Payment).where(Payment.booking_id == booking.id,
                                                         Payment.status == "paid"))
    if payment is not None:
        issue_paid_booking_invoice(
            booking, now=now, actor=actor,
            payment_reference=payment.payment_intent or payment.checkout_session_id)


def connect():
    from bookings import signals

    signals.booking_confirmed.connect(_on_booking_confirmed, weak=False)
