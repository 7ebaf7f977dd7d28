"""A small world in which every URL parameter of the app can be filled: two labs (Witten,
Herne), an organisation with an admin and a member, the member's booking at Witten, a
series, a tenancy request, an invoice, a funding programme, a calendar source, a closure
and a waitlist entry; and one account per role."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from accounts.models import Membership
from billing.models import FundingProgramme
from bookings.tenancies import request_tenancy
from bookings.waitlist_models import WaitlistEntry
from calendars.models import CalendarSource
from core.time import BERLIN, UTC, utcnow
from extensions import db

ROLES = ("visitor", "member", "org_admin", "other_manager", "manager", "chamber_admin")
BOGUS_TOKEN = "not-a-valid-token-0123456789"


@dataclass
class World:
    emails: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def _berlin(*parts):
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def build_world(make):
    witten, herne = make.site("witten"), make.site("herne")
    desk = make.unit(witten, "desk", name="Desk W1", price_cents=1000, max_length=12)
    make.unit(witten, "popup_shelf", name="Shelf W1", granularity="day", max_length=31)
    make.unit(herne, "desk", name="Desk H1")
    organisation = make.organisation(
        "Flusslicht GmbH", kind="startup", street="Kortumstraße 5", postcode="44787",
        municipality="Witten", vat_id="DE811907980", billing_email="billing@flusslicht.example")
    member = make.user("member@example.org", organisation=organisation, name="Mia Member")
    org_admin = make.user("orgadmin@example.org", organisation=organisation,
                          membership_role="admin", name="Otto Orgadmin")
    make.user("herne.manager@example.org", role="manager", sites=[herne])
    make.user("witten.manager@example.org", role="manager", sites=[witten])
    make.user("chamber@example.org", role="admin")

    # A confirmed booking of the member, billed to the organisation, a month ahead.
    start = (utcnow() + timedelta(days=30)).astimezone(BERLIN).replace(
        hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
    booking = make.booking(desk, user=member, organisation=organisation, starts_at=start,
                           ends_at=start + timedelta(hours=2))
    series = make.series(desk, user=member)
    make.booking(desk, user=member, series=series, starts_at=start + timedelta(days=1),
                 ends_at=start + timedelta(days=1, hours=2))
    # A booking last month, so that the monthly run issues an invoice for Witten.
    last_month = (utcnow().astimezone(BERLIN).date().replace(day=1) - timedelta(days=1))
    make.booking(desk, user=member, organisation=organisation,
                 starts_at=_berlin(last_month.year, last_month.month, 3, 10),
                 ends_at=_berlin(last_month.year, last_month.month, 3, 12))
    from billing.invoice_run import run_monthly_billing
    invoice_ids = run_monthly_billing(last_month.year, last_month.month, now=utcnow())
    assert invoice_ids, "the world needs an invoice"

    far = utcnow().astimezone(BERLIN).date() + timedelta(days=120)
    tenancy = request_tenancy(
        org_admin, organisation=organisation, units=[desk], weekdays=["TH"],
        start_time=time(9), end_time=time(12), starts_on=far, ends_on=far + timedelta(days=60),
        purpose="Advice desk", proposed_monthly_fee_cents=30_000, now=utcnow())
    closure = make.closure(witten, date(far.year, 12, 24))
    programme = FundingProgramme(name="Anschub", share_bp=5000, budget_cents=100_000)
    source = CalendarSource(unit_id=desk.id, name="Room plan", kind="upload")
    entry = WaitlistEntry(user_id=member.id, site_id=witten.id, kind="desk", unit_id=desk.id,
                          starts_at=booking.starts_at, ends_at=booking.ends_at,
                          terms_version="2026-11")
    db.session.add_all([programme, source, entry])
    db.session.commit()
    membership_id = db.session.scalar(sa.select(Membership.id).where(
        Membership.user_id == member.id))

    world = World(
        emails={"member": "member@example.org", "org_admin": "orgadmin@example.org",
                "other_manager": "herne.manager@example.org",
                "manager": "witten.manager@example.org", "chamber_admin": "chamber@example.org"},
        params={
            "slug": "witten", "unit_id": desk.id, "booking_id": booking.id,
            "series_id": series.id, "tenancy_id": tenancy.id, "invoice_id": invoice_ids[0],
            "organisation_id": organisation.id, "membership_id": membership_id,
            "user_id": member.id, "programme_id": programme.id, "source_id": source.id,
            "closure_id": closure.id, "entry_id": entry.id, "token": BOGUS_TOKEN,
            "section": "occupancy", "filename": "style.css",
        },
    )
    # Reading the ids refreshed rows in a new transaction, which on SQLite takes the write
    # lock (BEGIN IMMEDIATE) and would keep other connections (/readyz) waiting: end it.
    db.session.rollback()
    return world
