"""Funding programmes: subsidies in quotes and bookings, the ledger, and the budget that
holds even when many bookings race for the last euros."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from billing.models import FundingProgramme, SubsidyGrant
from bookings.models import Booking
from bookings.services import cancel_booking, create_booking, expire_holds
from core.models import AuditEntry
from core.time import add_steps, local_midnight, utcnow
from extensions import db
from tests.concurrency import race
from tests.billing.conftest import add_programme, next_weekday, set_price, startup


def shelf_days(day, days):
    start = local_midnight(day)
    return start, add_steps(start, "day", days)


@pytest.fixture
def shelf(make):
    site = make.site()
    unit = make.unit(site, "popup_shelf", granularity="day", max_length=60)
    set_price(unit, 2_000)
    return unit


def book(user, unit, day, days=3, organisation=None, now=None):
    starts_at, ends_at = shelf_days(day, days)
    return create_booking(user, unit=unit, starts_at=starts_at, ends_at=ends_at,
                          now=now or utcnow(), organisation=organisation, terms_accepted=True)


def test_an_eligible_startup_gets_the_subsidy_and_the_ledger_row(make, shelf):
    organisation = startup(make)
    programme = add_programme(budget_cents=10_000)
    user = make.user(organisation=organisation)
    booking = book(user, shelf, next_weekday(0), organisation=organisation)
    assert booking.status == "confirmed"  # no Stripe: billed on the invoice
    assert booking.price["subsidy_cents"] == 3_000
    assert booking.price["net_cents"] == 3_000 and booking.price["vat_cents"] == 570
    assert booking.price["settlement"] == "invoice"
    grant = db.session.scalar(sa.select(SubsidyGrant))
    assert (grant.booking_id, grant.amount_cents, grant.programme_id) == \
        (booking.id, 3_000, programme.id)
    assert db.session.get(FundingProgramme, programme.id).committed_cents == 3_000


def test_ineligible_organisations_pay_the_full_price(make, shelf):
    add_programme(kinds=("startup",), founded_within_years=3)
    retailer = make.organisation(kind="retailer")
    old_startup = startup(make, founded_on=utcnow().date() - timedelta(days=5 * 365))
    for week, organisation in enumerate((retailer, old_startup, None)):
        user = make.user(organisation=organisation) if organisation else make.user()
        day = next_weekday(0, weeks_ahead=3 + week)
        booking = book(user, shelf, day, organisation=organisation)
        assert booking.price["subsidy_cents"] == 0
        assert booking.price["net_cents"] == 6_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubsidyGrant)) == 0


def test_programme_limited_to_other_sites_does_not_apply(make, shelf):
    add_programme(sites=[make.site()])
    organisation = startup(make)
    booking = book(make.user(organisation=organisation), shelf, next_weekday(0),
                   organisation=organisation)
    assert booking.price["subsidy_cents"] == 0


def test_cancelling_releases_the_subsidy(make, shelf):
    organisation = startup(make)
    programme = add_programme(budget_cents=10_000)
    user = make.user(organisation=organisation)
    booking = book(user, shelf, next_weekday(0), organisation=organisation)
    cancel_booking(user, booking, now=utcnow())
    db.session.expire_all()
    assert db.session.get(FundingProgramme, programme.id).committed_cents == 0
    assert db.session.scalar(sa.select(SubsidyGrant)).released_at is not None
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "subsidy.granted" in actions and "subsidy.released" in actions


def test_the_last_euros_are_granted_in_part_and_then_nothing(make, shelf):
    organisation = startup(make)
    add_programme(budget_cents=4_000)
    user = make.user(organisation=organisation)
    first = book(user, shelf, next_weekday(0), organisation=organisation)
    second = book(user, shelf, next_weekday(0, weeks_ahead=3), organisation=organisation)
    third = book(user, shelf, next_weekday(0, weeks_ahead=4), organisation=organisation)
    assert [b.price["subsidy_cents"] for b in (first, second, third)] == [3_000, 1_000, 0]
    assert "funding_budget_short" in second.price["notices"]


def test_the_database_refuses_a_commitment_over_the_budget(app_context, make):
    programme = add_programme(budget_cents=1_000)
    db.session.execute(sa.update(FundingProgramme).values(committed_cents=1_000))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(FundingProgramme)
                           .where(FundingProgramme.id == programme.id)
                           .values(committed_cents=1_001))
        db.session.flush()
    db.session.rollback()


def test_an_expired_hold_gives_its_subsidy_back(make, shelf, restore_billing_hooks):
    organisation = startup(make)
    programme = add_programme(budget_cents=10_000)
    user = make.user(organisation=organisation)
    past = utcnow() - timedelta(hours=1)
    restore_billing_hooks.register("payment_required", lambda booking: True)
    booking = book(user, shelf, next_weekday(0), organisation=organisation, now=past)
    assert booking.status == "held"
    assert db.session.get(FundingProgramme, programme.id).committed_cents == 3_000
    assert expire_holds(utcnow()) == 1
    db.session.expire_all()
    assert db.session.get(FundingProgramme, programme.id).committed_cents == 0


@pytest.fixture
def restore_billing_hooks():
    from core import hooks

    saved = dict(hooks._HOOKS)
    yield hooks
    hooks._HOOKS.clear()
    hooks._HOOKS.update(saved)


def test_racing_bookings_never_overdraw_the_budget(app, make):
    """Many organisations book different shelves at once; the budget covers two and a half
    subsidies. The committed sum ends exactly at the budget, never above it."""
    site = make.site()
    workers = 12 if db.engine.dialect.name == "postgresql" else 6
    units = []
    for _ in range(workers):
        unit = make.unit(site, "popup_shelf", granularity="day", max_length=60)
        set_price(unit, 2_000)
        units.append(unit.id)
    programme = add_programme(budget_cents=7_500).id  # 2.5 x 30.00
    people = []
    for _ in range(workers):
        organisation = startup(make)
        people.append((make.user(organisation=organisation).id, organisation.id))
    day = next_weekday(0)
    db.session.rollback()  # SQLite: the test's own session must not hold the write lock

    def load(index):
        from accounts.models import Organisation, User
        from spaces.models import Unit

        return (db.session.get(User, people[index][0]),
                db.session.get(Organisation, people[index][1]),
                db.session.get(Unit, units[index]))

    def act(index, loaded):
        user, organisation, unit = loaded
        return book(user, unit, day, organisation=organisation).price["subsidy_cents"]

    results = race(app, workers, act, prepare=load)
    assert all(isinstance(result, int) for result in results), results
    db.session.rollback()
    committed = db.session.get(FundingProgramme, programme).committed_cents
    ledger = db.session.scalar(sa.select(sa.func.sum(SubsidyGrant.amount_cents)))
    assert committed == ledger == sum(results) == 7_500
    assert sorted(results, reverse=True)[:3] == [3_000, 3_000, 1_500]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == workers
