"""Billing test helpers: price lists, funding programmes, a local Stripe, future slots."""
from datetime import date, datetime, time, timedelta

import pytest

from billing.models import FundingProgramme, UnitPrice, UnitPriceRate
from core.time import localize, local_date, utcnow
from extensions import db
from tests.stripe_server import stripe_configured

WEBHOOK_SECRET = "whsec_test_local"
PASSWORD = "secret-password"


def berlin(year, month, day, hour=0, minute=0):
    return localize(datetime(year, month, day, hour, minute))


def next_weekday(weekday, weeks_ahead=2):
    today = local_date(utcnow())
    start = today + timedelta(weeks=weeks_ahead)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def hours_on(day, start_hour, end_hour):
    return (localize(datetime.combine(day, time(start_hour))),
            localize(datetime.combine(day, time(end_hour))))


def set_price(unit, cents, *, vat_rate_bp=1900, member=None, rates=(), free_hours=None,
              fee_bp=0):
    price = UnitPrice(unit_id=unit.id, net_cents_per_step=cents, vat_rate_bp=vat_rate_bp,
                      member_net_cents_per_step=member, free_cancellation_hours=free_hours,
                      cancellation_fee_bp=fee_bp)
    price.rates = [UnitPriceRate(from_steps=steps, net_cents_per_step=rate)
                   for steps, rate in rates]
    db.session.add(price)
    db.session.commit()
    return price


def add_programme(name="Anschub", *, kind="price_reduction", share_bp=5000, budget_cents=100_000,
                  cap=None, kinds=("startup",), founded_within_years=None, sites=()):
    programme = FundingProgramme(name=name, kind=kind, share_bp=share_bp,
                                 budget_cents=budget_cents, cap_per_booking_cents=cap,
                                 eligible_kinds=list(kinds),
                                 founded_within_years=founded_within_years, committed_cents=0)
    programme.sites = list(sites)
    db.session.add(programme)
    db.session.commit()
    return programme


@pytest.fixture
def stripe_server(app):
    """Payments on, against a local Stripe-compatible server (config restored after)."""
    with stripe_configured(app, WEBHOOK_SECRET) as server:
        yield server


@pytest.fixture
def ceiling(app):
    saved = app.config["DEMINIMIS_CEILING_CENTS"]
    yield app
    app.config["DEMINIMIS_CEILING_CENTS"] = saved


def startup(make, **fields):
    fields.setdefault("founded_on", date.today() - timedelta(days=400))
    return make.organisation(kind="startup", **fields)


@pytest.fixture
def api(client, make):
    from tests.api.conftest import ApiClient

    return ApiClient(client)
