"""Chamber admins switch an organisation between paying each booking by Stripe and being
billed monthly on account; new bookings follow the switch."""
import sqlalchemy as sa

from bookings.models import Booking
from bookings.services import create_booking
from core.models import AuditEntry
from core.time import utcnow
from extensions import db
from tests.billing.conftest import hours_on, next_weekday, set_price


def book(user, unit, organisation, day):
    starts_at, ends_at = hours_on(day, 9, 11)
    booking = create_booking(user, unit=unit, starts_at=starts_at, ends_at=ends_at,
                             organisation=organisation, now=utcnow(), terms_accepted=True)
    db.session.rollback()
    return db.session.get(Booking, booking.id)


def billing_changes():
    db.session.rollback()
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "organisation.billing_changed").order_by(AuditEntry.id)).all()


def test_switching_an_organisation_changes_how_new_bookings_are_settled(
        make, auth, client, stripe_server):
    desk = make.unit(make.site(), "desk", max_length=12)
    set_price(desk, 1_000)
    partner = make.organisation("Stadtwerke Partner", kind="partner")
    booker = make.user(organisation=partner)
    admin = make.user("admin@example.org", role="admin", locale="en")

    by_default = book(booker, desk, partner, next_weekday(0))
    assert by_default.status == "confirmed" and by_default.price["settlement"] == "invoice"

    auth.login("admin@example.org")
    page = client.get("/billing/accounts").get_data(as_text=True)
    assert "Stadtwerke Partner" in page and "billed monthly on account" in page

    response = client.post(f"/billing/accounts/{partner.id}", data={"on_account": "0"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Stadtwerke Partner pays each booking by card (Stripe)." in response.get_data(
        as_text=True)
    held = book(booker, desk, partner, next_weekday(1))
    assert held.status == "held" and held.price["settlement"] == "checkout"
    [change] = billing_changes()
    assert (change.actor_id, change.subject_id, change.before, change.after) == (
        admin.id, partner.id, {"on_account": True}, {"on_account": False})

    client.post(f"/billing/accounts/{partner.id}", data={"on_account": "1"})
    confirmed = book(booker, desk, partner, next_weekday(2))
    assert confirmed.status == "confirmed" and confirmed.price["settlement"] == "invoice"
    assert len(billing_changes()) == 2


def test_a_startup_can_be_put_on_account(make, auth, client, stripe_server):
    desk = make.unit(make.site(), "desk", max_length=12)
    set_price(desk, 1_000)
    startup = make.organisation("Gründerei", kind="startup")
    booker = make.user(organisation=startup)
    make.user("admin@example.org", role="admin", locale="en")
    assert book(booker, desk, startup, next_weekday(0)).status == "held"

    auth.login("admin@example.org")
    client.post(f"/billing/accounts/{startup.id}", data={"on_account": "1"})

    assert book(booker, desk, startup, next_weekday(1)).status == "confirmed"


def test_only_chamber_admins_may_switch(make, auth, client, counts):
    partner = make.organisation("Stadtwerke Partner", kind="partner")
    make.user("org.admin@example.org", organisation=partner, membership_role="admin")
    auth.login("org.admin@example.org")
    before = counts()

    assert client.get("/billing/accounts").status_code == 403
    assert client.post(f"/billing/accounts/{partner.id}",
                       data={"on_account": "0"}).status_code == 403
    assert counts() == before
