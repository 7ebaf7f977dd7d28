"""Quotes from the database: a unit's price list, the billed organisation's member status
and funding, the de-minimis ceiling, and how the booking will be settled.

``quote_slots`` is the one entry point (the booking hooks, ``POST /api/v1/quotes`` and the
booking form use it); the arithmetic is ``billing.pricing``'s.
"""
from dataclasses import replace

import sqlalchemy as sa
from flask import current_app

from accounts.models import OrganisationKind
from billing import deminimis, funding, pricing
from billing.models import OrganisationBilling, UnitPrice
from core.time import local_date
from extensions import db

# Without a row in organisation_billing these kinds are billed monthly on account.
ON_ACCOUNT_KINDS = (OrganisationKind.PARTNER, OrganisationKind.PUBLIC_BODY)

# How a booking is paid (``price["settlement"]``).
CHECKOUT = "checkout"   # Stripe Checkout before the booking is confirmed
INVOICE = "invoice"     # on account / pay on site: the monthly invoice run bills it
FREE = "none"           # nothing to pay


def payments_enabled():
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def unit_price_of(unit):
    return db.session.scalar(sa.select(UnitPrice).where(UnitPrice.unit_id == unit.id))


def price_list_of(unit_price):
    return pricing.PriceList(
        net_cents_per_step=unit_price.net_cents_per_step,
        vat_rate_bp=unit_price.vat_rate_bp,
        member_net_cents_per_step=unit_price.member_net_cents_per_step,
        rates=tuple((rate.from_steps, rate.net_cents_per_step) for rate in unit_price.rates),
        free_cancellation_hours=unit_price.free_cancellation_hours,
        cancellation_fee_bp=unit_price.cancellation_fee_bp,
    )


def is_member(organisation):
    """Organisations with a membership (the chamber's member number) get member prices."""
    return organisation is not None and bool(organisation.chamber_member_number)


def billed_on_account(organisation):
    if organisation is None:
        return False
    row = db.session.get(OrganisationBilling, organisation.id)
    if row is not None:
        return row.on_account
    return organisation.kind in ON_ACCOUNT_KINDS


def settlement_for(organisation, payable_cents):
    if payable_cents <= 0:
        return FREE
    if payments_enabled() and not billed_on_account(organisation):
        return CHECKOUT
    return INVOICE


def quote_slots(unit, organisation, slots, now, *, lock=False):
    """The quote (``billing.pricing`` shape plus ``settlement``) for booking ``unit`` for
    each (starts_at, ends_at) in ``slots``, billed to ``organisation``; None when the unit
    has no price list. With ``lock`` the funding programme is locked (booking writes)."""
    unit_price = unit_price_of(unit)
    if unit_price is None:
        return None
    price_list = price_list_of(unit_price)
    description = f"{unit.name}, {unit.site.name}"
    priced = [pricing.Slot(start, end, unit.granularity, description, {"unit_id": unit.id})
              for start, end in slots]
    today = local_date(now)
    programme = funding.best_programme(organisation, unit.site_id, today, lock=lock, now=now)
    offer = funding.offer_of(programme) if programme is not None else None
    member = is_member(organisation)
    result = pricing.quote(price_list, priced, member=member, subsidy=offer)
    notices = []
    if offer is not None:
        full = pricing.quote(price_list, priced, member=member,
                             subsidy=replace(offer, available_cents=None))
        if result["subsidy_cents"] < full["subsidy_cents"]:
            notices.append("funding_budget_short")
        ceiling = current_app.config["DEMINIMIS_CEILING_CENTS"]
        if deminimis.would_exceed(organisation.id, result["subsidy_cents"], today, ceiling):
            # Refused whole, never cut down (Art. 3(7) of Regulation (EU) 2023/2831).
            notices = ["deminimis_ceiling"]
            result = pricing.quote(price_list, priced, member=member)
    result["notices"] = notices
    result["settlement"] = settlement_for(organisation, result["payable_cents"])
    return result


def quote_booking(booking, *, lock=False):
    """The quote of one (possibly not yet written) booking."""
    now = booking.created_at
    return quote_slots(booking.unit, booking.billed_organisation,
                       [(booking.starts_at, booking.ends_at)], now, lock=lock)


def quote_request(actor, *, starts_at, ends_at, now, unit=None, site=None, kind=None,
                  organisation=None, attendees=1, recurrence=None, **_ignored):
    """The quote for what a booking request with these values would book (nothing is
    written; the time may be taken). The slot rules of a booking apply.

    Raises ValidationError (a rule is broken; the organisation is not the caller's; the
    unit has no price list: field ``unit_id`` ``no_price``).
    """
    from bookings.writing import (candidate_units, raise_problems, resolve_organisation,
                                  usable_units)

    units = candidate_units(unit, site, kind)
    billed = resolve_organisation(actor, organisation) if actor is not None else None
    slots = recurrence.occurrences(starts_at, ends_at) if recurrence else [(starts_at, ends_at)]
    usable, problem, _ = usable_units(units, slots, now, attendees, skip_closed=True)
    if not usable:
        raise_problems(problem)
    chosen = usable[0]
    result = quote_slots(chosen, billed, slots, now)
    db.session.rollback()  # quoting writes nothing; end the read transaction
    if result is None:
        from core.errors import ValidationError

        raise ValidationError({"unit_id": "no_price"}, message_key="no_price_list")
    result["unit_id"] = chosen.id
    return result
