"""The booking form shows the quote; a held booking's page leads to Stripe Checkout."""
from urllib.parse import urlencode

import sqlalchemy as sa

from billing.models import Payment
from bookings.services import create_booking
from core.time import format_instant, utcnow
from extensions import db
from tests.billing.conftest import hours_on, next_weekday, set_price


def test_the_booking_form_shows_vat_total_and_policy(client, auth, make):
    unit = make.unit(make.site(), "desk", max_length=12)
    set_price(unit, 1_000, free_hours=24, fee_bp=5000)
    user = make.user()
    starts_at, ends_at = hours_on(next_weekday(1), 9, 11)
    auth.login(user.email)
    query = urlencode({"unit": unit.id, "start": format_instant(starts_at),
                       "end": format_instant(ends_at), "lang": "en"})
    page = client.get(f"/book/new?{query}").get_data(as_text=True)
    assert "19.00 % VAT: 3.80 €, total 23.80 €" in page
    assert "Free cancellation until 24 hours before the start" in page


def test_pay_now_leads_to_checkout(client, auth, make, stripe_server):
    unit = make.unit(make.site(), "desk", max_length=12)
    set_price(unit, 1_000)
    user = make.user()
    starts_at, ends_at = hours_on(next_weekday(1), 9, 11)
    booking = create_booking(user, unit=unit, starts_at=starts_at, ends_at=ends_at,
                             now=utcnow(), terms_accepted=True)
    auth.login(user.email)
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/billing/bookings/{booking.id}/pay" in detail
    answer = client.get(f"/billing/bookings/{booking.id}/pay")
    assert answer.status_code == 303
    payment = db.session.scalar(sa.select(Payment))
    assert answer.headers["Location"] == payment.checkout_url
    assert stripe_server.session(payment.checkout_session_id)["amount_total"] == 2_380
    stranger = make.user()
    auth.logout()
    auth.login(stranger.email)
    assert client.get(f"/billing/bookings/{booking.id}/pay").status_code == 403
