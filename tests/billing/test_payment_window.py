"""The payment window after a manager approves a request that needs payment: the hold lasts
APPROVAL_PAYMENT_HOURS (at most until the start), the mail links to the booking's page, and
"Pay now" always gets a usable Checkout Session while the hold lasts (renewed when expired,
applied when it was paid meanwhile)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from billing.checkout import checkout_url, start_checkout
from billing.models import Payment
from bookings.approvals import approve_booking
from bookings.availability import blocking_ranges
from bookings.models import Booking
from bookings.services import create_booking
from core.models import AuditEntry
from core.time import utcnow
from extensions import db
from tests.billing.conftest import hours_on, next_weekday, set_price
from tests.billing.test_payments import actions, deliver, fresh, mails

SESSIONS = "/v1/checkout/sessions"


@pytest.fixture
def room(make):
    unit = make.unit(make.site(), "desk", name="Besprechungsplatz", needs_approval=True,
                     max_length=12)
    set_price(unit, 1_000)  # 2 hours: 20.00 + 3.80 VAT
    return unit


@pytest.fixture
def manager(make, room):
    return make.user(role="manager", sites=[room.site])


def approved(booker, room, manager, *, now, day=None):
    """A request for 9-11 on ``day`` made and approved at ``now`` (held for payment)."""
    starts_at, ends_at = hours_on(day or next_weekday(1), 9, 11)
    request = create_booking(booker, unit=room, starts_at=starts_at, ends_at=ends_at,
                             now=now, terms_accepted=True)
    assert request.status == "requested"
    booking = approve_booking(manager, request, now=now)
    assert booking.status == "held"
    return fresh(Booking, booking.id)


def window(app):
    return timedelta(hours=app.config["APPROVAL_PAYMENT_HOURS"])


def the_payment():
    db.session.rollback()
    return db.session.scalar(sa.select(Payment))


def test_the_hold_after_approval_ends_with_the_window_or_at_the_start(app, make, room,
                                                                      manager, stripe_server):
    booker = make.user(email="retailer@example.org")
    now = utcnow()
    booking = approved(booker, room, manager, now=now)
    assert booking.starts_at > now + window(app)
    assert booking.hold_expires_at == now + window(app)

    day = next_weekday(3)
    starts_at, _ = hours_on(day, 9, 11)
    soon = approved(booker, room, manager, now=starts_at - window(app) / 2, day=day)
    assert soon.hold_expires_at == starts_at


def test_the_approval_mail_links_to_the_booking_page_not_to_stripe(make, room, manager,
                                                                   stripe_server):
    booker = make.user(email="retailer@example.org")
    booking = approved(booker, room, manager, now=utcnow())
    [mail] = mails("booking_approved")
    assert mail.recipient == "retailer@example.org"
    assert f"/bookings/{booking.id}\n" in mail.body_text
    assert "/pay/" not in mail.body_text and "stripe" not in mail.body_text.lower()
    # No session is opened before the booker wants to pay.
    assert stripe_server.requests_to("POST", SESSIONS) == []


def test_pay_now_opens_a_session_that_lives_as_long_as_stripe_allows(client, auth, make, room,
                                                                    manager, stripe_server):
    booker = make.user()
    booking = approved(booker, room, manager, now=utcnow())
    auth.login(booker.email)
    answer = client.get(f"/billing/bookings/{booking.id}/pay")
    assert answer.status_code == 303
    assert answer.headers["Location"] == the_payment().checkout_url
    [created] = stripe_server.requests_to("POST", SESSIONS)
    # The hold outlasts Stripe's limit of 24 hours: the session gets the full 24 hours.
    day_later = (utcnow() + timedelta(hours=24)).timestamp()
    assert day_later - 60 < int(created.params["expires_at"]) <= day_later


def test_an_expired_session_inside_the_window_is_renewed(app, make, room, manager,
                                                         stripe_server):
    now = utcnow()
    booking = approved(make.user(), room, manager, now=now)
    first = start_checkout(booking, now)
    first_id, first_url, payment_id = first.checkout_session_id, first.checkout_url, first.id

    # A day and an hour later the first session is past its expiry; the hold is not.
    later = now + timedelta(hours=25)
    assert later < booking.hold_expires_at
    url = checkout_url(fresh(Booking, booking.id), later)
    payment = the_payment()
    assert url == payment.checkout_url != first_url
    assert payment.id == payment_id and payment.status == "open"
    assert payment.checkout_session_id != first_id
    assert stripe_server.session(payment.checkout_session_id)["url"] == url
    # The old session's real state was looked up before renewing.
    assert stripe_server.requests_to("GET", f"{SESSIONS}/{first_id}")
    initial, renewal = stripe_server.requests_to("POST", SESSIONS)
    assert renewal.idempotency_key != initial.idempotency_key
    assert renewal.idempotency_key.endswith("-2")
    assert renewal.params["metadata[checkout_attempt]"] == "2"
    # The session ends with the hold (less than 24 hours after the renewal).
    assert int(renewal.params["expires_at"]) == int(booking.hold_expires_at.timestamp())
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "payment.checkout_renewed")).all()
    assert entry.before["checkout_session_id"] == first_id
    assert entry.after["checkout_session_id"] == payment.checkout_session_id

    # While the stored expiry is ahead, the session is handed out without asking Stripe.
    reads = len(stripe_server.requests_to("GET", f"{SESSIONS}/{payment.checkout_session_id}"))
    assert checkout_url(fresh(Booking, booking.id), later + timedelta(minutes=5)) == url
    assert len(stripe_server.requests_to(
        "GET", f"{SESSIONS}/{payment.checkout_session_id}")) == reads

    # A session Stripe expired early (its webhook came) is renewed too; the new one is
    # handed out again.
    stripe_server.expire(payment.checkout_session_id)
    payment.status = "expired"  # what the expiry webhook records inside the hold
    db.session.commit()
    third = checkout_url(fresh(Booking, booking.id), later)
    assert third not in (url, first_url) and third == the_payment().checkout_url
    assert checkout_url(fresh(Booking, booking.id), later) == third
    assert len(stripe_server.requests_to("POST", SESSIONS)) == 3
    assert stripe_server.requests_to("POST", SESSIONS)[-1] \
        .params["metadata[checkout_attempt]"] == "3"
    assert fresh(Booking, booking.id).status == "held"


def test_a_session_paid_meanwhile_is_applied_not_renewed(make, room, manager, stripe_server):
    now = utcnow()
    booking = approved(make.user(email="payer@example.org"), room, manager, now=now)
    session_id = start_checkout(booking, now).checkout_session_id
    stripe_server.complete(session_id)  # paid; the webhook never arrived
    # Past the session's stored expiry its real state is looked up before any renewal.
    assert checkout_url(fresh(Booking, booking.id), now + timedelta(hours=25)) is None
    assert fresh(Booking, booking.id).status == "confirmed"
    payment = the_payment()
    assert (payment.status, payment.checkout_session_id) == ("paid", session_id)
    assert len(stripe_server.requests_to("POST", SESSIONS)) == 1
    assert "payment.paid" in actions() and "payment.checkout_renewed" not in actions()
    [mail] = mails("booking_confirmed")
    assert mail.recipient == "payer@example.org"


def test_session_expiry_inside_the_window_keeps_the_hold(client, auth, make, room, manager,
                                                         stripe_server):
    booker = make.user()
    booking = approved(booker, room, manager, now=utcnow())
    hold_end = booking.hold_expires_at
    session_id = start_checkout(booking, utcnow()).checkout_session_id
    stripe_server.expire(session_id)
    answer = deliver(client, stripe_server, "checkout.session.expired", session_id)
    assert answer.status_code == 200
    assert answer.get_json()["outcome"] == "session_expired_hold_kept"
    kept = fresh(Booking, booking.id)
    assert (kept.status, kept.hold_expires_at) == ("held", hold_end)
    assert blocking_ranges([room.id], kept.starts_at, kept.ends_at, utcnow())[room.id]
    assert the_payment().status == "expired"

    # The next "Pay now" renews the session.
    auth.login(booker.email)
    answer = client.get(f"/billing/bookings/{booking.id}/pay")
    assert answer.status_code == 303
    payment = the_payment()
    assert payment.status == "open" and payment.checkout_session_id != session_id
    assert answer.headers["Location"] == payment.checkout_url


def test_session_expiry_after_the_window_releases_the_hold(client, app, make, room, manager,
                                                          stripe_server):
    long_ago = utcnow() - window(app) - timedelta(hours=1)
    booking = approved(make.user(), room, manager, now=long_ago)
    assert booking.hold_expires_at < utcnow()
    session_id = start_checkout(booking, long_ago).checkout_session_id
    stripe_server.expire(session_id)
    answer = deliver(client, stripe_server, "checkout.session.expired", session_id)
    assert answer.get_json()["outcome"] == "released"
    assert fresh(Booking, booking.id).status == "expired"
    assert the_payment().status == "expired"


def test_without_stripe_an_approval_confirms_as_before(make, room, manager):
    booker = make.user(email="onsite@example.org")
    starts_at, ends_at = hours_on(next_weekday(1), 9, 11)
    request = create_booking(booker, unit=room, starts_at=starts_at, ends_at=ends_at,
                             now=utcnow(), terms_accepted=True)
    assert request.price["settlement"] == "invoice"
    approve_booking(manager, request, now=utcnow())
    booking = fresh(Booking, request.id)
    assert (booking.status, booking.hold_expires_at) == ("confirmed", None)
    assert mails("booking_approved") == []
    assert [mail.recipient for mail in mails("booking_confirmed")] == ["onsite@example.org"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
