"""The Stripe test server is down when a booker presses "Pay now": the booking stays held,
no payment row is stored, the booker is told that payment could not be started, and
"Pay now" works once Stripe is back."""
import sqlalchemy as sa

from billing.models import Payment
from bookings.models import Booking, BookingStatus
from bookings.services import create_booking
from core.time import utcnow
from extensions import db
from tests.billing.conftest import hours_on, next_weekday, set_price
from tests.stripe_server import StripeServer


def test_pay_now_with_stripe_down_keeps_the_hold_and_a_retry_works(app, client, auth, make):
    unit = make.unit(make.site(), "desk", max_length=12)
    set_price(unit, 1_000)
    user = make.user()
    starts_at, ends_at = hours_on(next_weekday(2), 9, 11)
    saved = {key: app.config.get(key) for key in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE")}
    dead = StripeServer()
    try:
        with dead:
            app.config.update(STRIPE_SECRET_KEY="sk_test_local", STRIPE_API_BASE=dead.url)
        # The server is shut down now: its port refuses connections.
        booking = create_booking(user, unit=unit, starts_at=starts_at, ends_at=ends_at,
                                 now=utcnow(), terms_accepted=True)
        booking_id = booking.id
        assert booking.status == BookingStatus.HELD
        auth.login(user.email)
        answer = client.get(f"/billing/bookings/{booking_id}/pay?lang=en")
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith(f"/bookings/{booking_id}")
        page = client.get(f"/bookings/{booking_id}?lang=en").get_data(as_text=True)
        assert "Payment could not be started" in page
        assert "Pay now" in page
        db.session.rollback()
        assert db.session.get(Booking, booking_id).status == BookingStatus.HELD
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0

        with StripeServer() as stripe:
            app.config["STRIPE_API_BASE"] = stripe.url
            retry = client.get(f"/billing/bookings/{booking_id}/pay?lang=en")
            assert retry.status_code == 303
            db.session.rollback()
            payments = db.session.scalars(sa.select(Payment)).all()
            assert len(payments) == 1
            assert retry.headers["Location"] == payments[0].checkout_url
            assert stripe.session(payments[0].checkout_session_id)["amount_total"] == 2_380
            assert db.session.get(Booking, booking_id).status == BookingStatus.HELD
    finally:
        app.config.update(saved)
