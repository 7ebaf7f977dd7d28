"""Paying a recurring series at once: one Checkout Session for its held occurrences, one
line item each, one Payment row per occurrence sharing the session; the webhook acts on
every row; refunds stay per occurrence (several partial refunds on one PaymentIntent).

Against the local Stripe-compatible server (tests/stripe_server.py), webhooks signed as
Stripe signs them (``deliver``).
"""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from billing.checkout import start_checkout, start_series_checkout
from billing.models import CancellationCharge, Payment
from bookings.forms import WEEKDAY_CODES
from bookings.models import Booking, BookingSeries
from bookings.services import cancel_booking, create_booking, create_series
from core.models import AuditEntry
from core.time import UTC, to_local, utcnow
from extensions import db
from tests.billing.conftest import WEBHOOK_SECRET, hours_on, next_weekday, set_price
from tests.billing.test_payments import WEBHOOK, actions, deliver, fresh, mails

SESSIONS = "/v1/checkout/sessions"
GROSS = 2_380  # 2 hours at 10.00 net + 19 % VAT
COUNT = 3


@pytest.fixture
def desk(make):
    unit = make.unit(make.site(), "desk", max_length=12, name="Desk Ruhr")
    set_price(unit, 1_000, free_hours=48, fee_bp=5000)
    return unit


def weekly_series(user, desk, *, now=None, count=COUNT):
    day = next_weekday(1)
    starts_at, ends_at = hours_on(day, 9, 11)
    result = create_series(user, unit=desk, starts_at=starts_at, ends_at=ends_at,
                           now=now or utcnow(), terms_accepted=True,
                           recurrence={"freq": "weekly", "byday": [WEEKDAY_CODES[day.weekday()]],
                                       "count": count})
    assert [booking.status for booking in result.bookings] == ["held"] * count
    return result.series.id, [booking.id for booking in result.bookings]


def series(series_id):
    db.session.rollback()
    return db.session.get(BookingSeries, series_id)


def rows():
    db.session.rollback()
    return db.session.scalars(sa.select(Payment).order_by(Payment.booking_id)).all()


def statuses(booking_ids):
    db.session.rollback()
    return [db.session.get(Booking, booking_id).status for booking_id in booking_ids]


def paid_series(client, user, desk, stripe_server):
    series_id, booking_ids = weekly_series(user, desk)
    [payment, *_] = start_series_checkout(series(series_id), utcnow())
    stripe_server.complete(payment.checkout_session_id)
    answer = deliver(client, stripe_server, "checkout.session.completed",
                     payment.checkout_session_id)
    assert answer.get_json()["outcome"] == "confirmed"
    return series_id, booking_ids, payment.checkout_session_id


def test_pay_now_creates_one_session_with_a_line_item_per_occurrence(client, auth, make, desk,
                                                                      stripe_server):
    user = make.user()
    series_id, booking_ids = weekly_series(user, desk)
    auth.login(user.email)
    page = client.get(f"/series/{series_id}?lang=en").get_data(as_text=True)
    assert f"/billing/series/{series_id}/pay" in page
    assert "71.40 €" in page  # 3 × 23.80
    german = client.get(f"/series/{series_id}?lang=de").get_data(as_text=True)
    assert "insgesamt 71,40 €" in german and "Jetzt bezahlen" in german
    before = utcnow()
    answer = client.get(f"/billing/series/{series_id}/pay")
    assert answer.status_code == 303

    [created] = stripe_server.requests_to("POST", SESSIONS)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    session = stripe_server.session(session_id)
    assert session["amount_total"] == COUNT * GROSS
    assert session["metadata"]["series_id"] == str(series_id)
    assert created.idempotency_key and str(series_id) in created.idempotency_key
    # Stripe's minimum lifetime applies (the 15-minute hold is shorter), as for one booking.
    expires_at = datetime.fromtimestamp(session["expires_at"], UTC)
    assert before.replace(microsecond=0) + timedelta(minutes=31) <= expires_at \
        <= utcnow() + timedelta(minutes=31)
    items = stripe_server.line_items(session_id)
    assert [item["amount_total"] for item in items] == [GROSS] * COUNT
    occurrences = [fresh(Booking, booking_id) for booking_id in booking_ids]
    for item, booking in zip(items, occurrences):
        local_start = to_local(booking.starts_at)
        assert "Desk Ruhr" in item["description"]
        assert str(local_start.day) in item["description"]
        assert "11:00" in item["description"]  # the local end (UTC would read 10:00 or 09:00)
    assert len({item["description"] for item in items}) == COUNT

    payments = rows()
    assert [payment.booking_id for payment in payments] == booking_ids
    assert {payment.checkout_session_id for payment in payments} == {session_id}
    assert [payment.amount_cents for payment in payments] == [GROSS] * COUNT
    assert actions().count("payment.checkout_started") == COUNT

    # Pressing again hands out the same session: no new one, no request per page view.
    again = client.get(f"/billing/series/{series_id}/pay")
    assert again.headers["Location"] == answer.headers["Location"]
    assert len(stripe_server.requests_to("POST", SESSIONS)) == 1
    assert stripe_server.requests_to("GET", f"{SESSIONS}/{session_id}") == []
    # An occurrence's page leads to the series payment.
    detail = client.get(f"/bookings/{booking_ids[1]}").get_data(as_text=True)
    assert f"/billing/series/{series_id}/pay" in detail


def test_the_paid_session_confirms_every_occurrence(client, auth, make, desk, stripe_server):
    user = make.user()
    series_id, booking_ids, session_id = paid_series(client, user, desk, stripe_server)
    assert statuses(booking_ids) == ["confirmed"] * COUNT
    payments = rows()
    assert {(payment.status, payment.payment_intent) for payment in payments} == \
        {("paid", f"pi_{session_id[3:]}")}
    assert actions().count("payment.paid") == COUNT
    assert actions().count("booking.paid") == COUNT
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "stripe.event"))
    assert entry.after["booking_ids"] == booking_ids
    auth.login(user.email)
    page = client.get(f"/series/{series_id}").get_data(as_text=True)
    assert f"/billing/series/{series_id}/pay" not in page


def test_a_taken_occurrence_is_refunded_its_share_and_the_others_confirmed(client, make, desk,
                                                                          stripe_server):
    late_payer = make.user(email="late@example.org")
    an_hour_ago = utcnow() - timedelta(hours=1)
    series_id, booking_ids = weekly_series(late_payer, desk, now=an_hour_ago)
    [payment, *_] = start_series_checkout(series(series_id), an_hour_ago)
    session_id = payment.checkout_session_id
    taken = fresh(Booking, booking_ids[1])
    winner = create_booking(make.user(), unit=desk, starts_at=taken.starts_at,
                            ends_at=taken.ends_at, now=utcnow(), terms_accepted=True)
    assert winner.status == "held"

    stripe_server.complete(session_id)
    answer = deliver(client, stripe_server, "checkout.session.completed", session_id)
    assert answer.get_json()["outcome"] == "confirmed_late:2,refunded:1"
    assert statuses(booking_ids) == ["confirmed", "expired", "confirmed"]
    [refund] = stripe_server.refunds
    assert refund["amount"] == GROSS and refund["payment_intent"] == f"pi_{session_id[3:]}"
    assert refund["metadata"]["booking_id"] == str(booking_ids[1])
    payments = {payment.booking_id: payment for payment in rows()}
    assert (payments[booking_ids[1]].status, payments[booking_ids[1]].refunded_cents) == \
        ("refunded", GROSS)
    assert [(payments[i].status, payments[i].refunded_cents)
            for i in (booking_ids[0], booking_ids[2])] == [("paid", 0), ("paid", 0)]
    [mail] = mails("payment_refunded")
    assert mail.recipient == "late@example.org" and "23.80" in mail.body_text


def test_cancelling_one_paid_occurrence_refunds_its_share_under_the_policy(client, make, desk,
                                                                           stripe_server):
    user = make.user()
    series_id, booking_ids, session_id = paid_series(client, user, desk, stripe_server)
    first = fresh(Booking, booking_ids[0])
    # 24 hours before the start: inside the 48 hours, 50 % of the net (10.00 + VAT) is kept.
    cancel_booking(user, first, now=first.starts_at - timedelta(hours=24))
    second = fresh(Booking, booking_ids[1])
    cancel_booking(user, second, now=second.starts_at - timedelta(hours=72))

    refunds = stripe_server.refunds
    assert [refund["amount"] for refund in refunds] == [GROSS - 1_190, GROSS]
    assert {refund["payment_intent"] for refund in refunds} == {f"pi_{session_id[3:]}"}
    keys = [request.idempotency_key for request in stripe_server.requests_to("POST",
                                                                              "/v1/refunds")]
    payments = {payment.booking_id: payment for payment in rows()}
    # Each occurrence's refund has its own key (its own Payment row), so two refunds from
    # one PaymentIntent never collide.
    assert keys == [f"refund-payment-{payments[booking_id].id}-cancelled"
                    for booking_id in booking_ids[:2]]
    assert [(payments[i].status, payments[i].refunded_cents) for i in booking_ids] == \
        [("paid", GROSS - 1_190), ("refunded", GROSS), ("paid", 0)]
    charges = {charge.booking_id: charge.refund_cents
               for charge in db.session.scalars(sa.select(CancellationCharge))}
    assert charges == {booking_ids[0]: GROSS - 1_190, booking_ids[1]: GROSS}
    assert statuses(booking_ids) == ["cancelled", "cancelled", "confirmed"]


def test_a_replayed_or_later_event_changes_nothing(client, make, desk, stripe_server):
    user = make.user()
    series_id, booking_ids = weekly_series(user, desk)
    [payment, *_] = start_series_checkout(series(series_id), utcnow())
    session_id = payment.checkout_session_id
    stripe_server.complete(session_id)
    payload, headers = stripe_server.signed_event("checkout.session.completed", session_id,
                                                  WEBHOOK_SECRET, event_id="evt_series")
    assert client.post(WEBHOOK, data=payload, headers=headers).get_json()["outcome"] \
        == "confirmed"
    audit_before = len(actions())
    replay = client.post(WEBHOOK, data=payload, headers=headers)
    assert replay.get_json()["outcome"] == "duplicate"
    assert len(actions()) == audit_before
    later = deliver(client, stripe_server, "checkout.session.async_payment_succeeded",
                    session_id)
    assert later.get_json()["outcome"] == "already_paid"
    assert deliver(client, stripe_server, "checkout.session.expired", session_id) \
        .status_code == 200
    assert statuses(booking_ids) == ["confirmed"] * COUNT
    assert {payment.status for payment in rows()} == {"paid"}
    assert stripe_server.refunds == []
    assert actions().count("payment.paid") == COUNT


def test_an_expired_session_keeps_the_holds_and_pay_now_renews_it_for_all(client, auth, make,
                                                                         desk, stripe_server):
    user = make.user()
    series_id, booking_ids = weekly_series(user, desk)
    first_rows = start_series_checkout(series(series_id), utcnow())
    old_session = first_rows[0].checkout_session_id
    payment_ids = [payment.id for payment in first_rows]
    stripe_server.expire(old_session)
    answer = deliver(client, stripe_server, "checkout.session.expired", old_session)
    assert answer.get_json()["outcome"] == "session_expired_hold_kept"
    assert statuses(booking_ids) == ["held"] * COUNT
    assert {payment.status for payment in rows()} == {"expired"}

    auth.login(user.email)
    renewed = client.get(f"/billing/series/{series_id}/pay")
    assert renewed.status_code == 303
    payments = rows()
    new_session = payments[0].checkout_session_id
    assert new_session != old_session
    assert renewed.headers["Location"] == stripe_server.session(new_session)["url"]
    assert [payment.id for payment in payments] == payment_ids  # updated in place
    assert {(payment.checkout_session_id, payment.status) for payment in payments} == \
        {(new_session, "open")}
    assert len(stripe_server.line_items(new_session)) == COUNT
    assert stripe_server.session(new_session)["metadata"]["checkout_attempt"] == "2"
    first, second = stripe_server.requests_to("POST", SESSIONS)
    assert first.idempotency_key != second.idempotency_key
    assert actions().count("payment.checkout_renewed") == COUNT


def test_an_expired_session_releases_the_holds_once_they_are_over(client, make, desk,
                                                                  stripe_server):
    an_hour_ago = utcnow() - timedelta(hours=1)
    series_id, booking_ids = weekly_series(make.user(), desk, now=an_hour_ago)
    [payment, *_] = start_series_checkout(series(series_id), an_hour_ago)
    stripe_server.expire(payment.checkout_session_id)
    answer = deliver(client, stripe_server, "checkout.session.expired",
                     payment.checkout_session_id)
    assert answer.get_json()["outcome"] == "released"
    assert statuses(booking_ids) == ["expired"] * COUNT


def test_an_occurrence_with_its_own_open_session_is_left_out(make, desk, stripe_server):
    user = make.user()
    series_id, booking_ids = weekly_series(user, desk)
    own = start_checkout(fresh(Booking, booking_ids[0]), utcnow())
    shared = start_series_checkout(series(series_id), utcnow())
    assert [payment.booking_id for payment in shared] == booking_ids[1:]
    session_id = shared[0].checkout_session_id
    assert session_id != own.checkout_session_id
    assert stripe_server.session(session_id)["amount_total"] == (COUNT - 1) * GROSS
    assert len(stripe_server.line_items(session_id)) == COUNT - 1


def test_only_who_may_see_the_series_may_pay_it(client, auth, make, desk, stripe_server):
    series_id, _booking_ids = weekly_series(make.user(), desk)
    auth.login(make.user().email)
    assert client.get(f"/billing/series/{series_id}/pay").status_code == 403
    assert stripe_server.requests == []


def test_nothing_due_leads_back_to_the_series(client, auth, make, desk, stripe_server):
    user = make.user()
    series_id, _booking_ids, _session_id = paid_series(client, user, desk, stripe_server)
    auth.login(user.email)
    answer = client.get(f"/billing/series/{series_id}/pay")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/series/{series_id}")
    assert len(stripe_server.requests_to("POST", SESSIONS)) == 1


def test_without_stripe_a_series_is_confirmed_with_nothing_to_pay(client, auth, make, desk):
    user = make.user()
    day = next_weekday(1)
    starts_at, ends_at = hours_on(day, 9, 11)
    result = create_series(user, unit=desk, starts_at=starts_at, ends_at=ends_at, now=utcnow(),
                           terms_accepted=True,
                           recurrence={"freq": "weekly", "byday": [WEEKDAY_CODES[day.weekday()]],
                                       "count": COUNT})
    assert [booking.status for booking in result.bookings] == ["confirmed"] * COUNT
    auth.login(user.email)
    page = client.get(f"/series/{result.series.id}").get_data(as_text=True)
    assert "/pay" not in page
    assert rows() == []


def test_rows_may_share_a_session_and_intent_but_not_a_booking(make, desk, stripe_server):
    series_id, booking_ids = weekly_series(make.user(), desk)
    now = utcnow()

    def row(booking_id):
        return Payment(booking_id=booking_id, checkout_session_id="cs_shared",
                       checkout_url="https://checkout.stripe.test/c/pay/cs_shared",
                       payment_intent="pi_shared", status="paid", amount_cents=GROSS,
                       created_at=now, updated_at=now)

    db.session.add_all([row(booking_ids[0]), row(booking_ids[1])])
    db.session.commit()
    assert len(rows()) == 2
    db.session.add(row(booking_ids[0]))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
