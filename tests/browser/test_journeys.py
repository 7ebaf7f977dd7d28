"""The three journeys of issue 8 in a real Chromium against the app on 127.0.0.1.

Each step is screenshotted to test-artifacts/browser/<test>/ and checked with axe-core
(no serious or critical WCAG 2.1 AA violation); a console error fails the test.
"""
import re
import urllib.request
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Organisation, User
from billing.models import Payment
from bookings.models import Booking
from bookings.services import create_booking
from bookings.tenancies import request_tenancy
from bookings.tenancy_models import Tenancy
from core.time import BERLIN, local_date, localize, utcnow
from extensions import db
from spaces.models import Site, Unit
from tests.stripe_server import stripe_configured

pytestmark = pytest.mark.browser

WEBHOOK_SECRET = "whsec_browser_test"
RETAILER = "retailer@stadtlabor.example"
COWORKER = "coworker@stadtlabor.example"
PARTNER = "partner@stadtlabor.example"
MANAGER = "manager.bochum@stadtlabor.example"


def upcoming(weekday, days_ahead=7):
    """The first ``weekday`` (0 = Monday) at least ``days_ahead`` days from today in Berlin."""
    day = local_date(utcnow()) + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def fetch(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def unit_named(site_slug, name):
    return db.session.scalar(sa.select(Unit).join(Site).where(
        Site.slug == site_slug, Unit.name == name))


def search(journey, *, kind, day, until=None, from_time=None, to_time=None):
    page = journey.page
    journey.goto("/book")
    form = page.locator("form.booking-search")
    form.locator("select[name=site]").select_option(label="Stadtlabor Bochum")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=date]").fill(day.isoformat())
    if until:
        form.locator("input[name=until]").fill(until.isoformat())
    if from_time:
        form.locator("input[name=from_time]").fill(from_time)
        form.locator("input[name=to_time]").fill(to_time)
    journey.step("search form")
    page.get_by_role("button", name="Show free times").click()
    page.wait_for_load_state()
    journey.step("search results")


@pytest.fixture
def stripe(app):
    with stripe_configured(app, WEBHOOK_SECRET, api_key="sk_test_browser") as server:
        yield server


def test_retailer_books_a_popup_shelf_for_two_weeks_and_pays(app, demo, journey, stripe):
    page = journey.page
    first_day = upcoming(0)
    last_day = first_day + timedelta(days=13)
    journey.login(RETAILER, demo)
    search(journey, kind="popup_shelf", day=first_day, until=last_day)

    page.locator("a.slot-whole[aria-label^='Book Pop-up-Regal 1:']").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Book Pop-up-Regal 1").is_visible()
    page.get_by_label("Bill to").select_option(label="Ruhrbeans Kaffeerösterei")
    page.get_by_label(re.compile("I accept the terms")).check()
    journey.step("booking form")
    page.get_by_role("button", name="Book now").click()
    page.wait_for_load_state()
    assert re.search(r"/bookings/\d+$", page.url), page.url
    booking_id = int(page.url.rsplit("/", 1)[1])
    journey.step("booking held")
    pay_now = page.get_by_role("link", name="Pay now")
    assert pay_now.is_visible()

    # The Checkout page is Stripe's; the browser gets a stand-in page for its address.
    page.route("https://checkout.stripe.test/**", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body="<!doctype html><html lang='en'><title>Checkout</title><main><h1>Stripe test "
             "checkout</h1></main></html>"))
    pay_now.click()
    page.wait_for_url(re.compile(r"^https://checkout\.stripe\.test/c/pay/cs_test_"))
    session_id = page.url.rsplit("/", 1)[1]
    journey.step("stripe checkout", axe=False)
    session = stripe.session(session_id)
    assert session["metadata"]["booking_id"] == str(booking_id)

    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking.status == "held"
        assert (booking.unit.name, local_date(booking.starts_at), local_date(booking.ends_at)) \
            == ("Pop-up-Regal 1", first_day, last_day + timedelta(days=1))
        # 14 days at 15.00 net plus 19 % VAT.
        assert session["amount_total"] == booking.price["payable_cents"] == 24_990
        assert booking.billed_organisation.name == "Ruhrbeans Kaffeerösterei"
        db.session.remove()

    stripe.complete(session_id)
    payload, headers = stripe.signed_event("checkout.session.completed", session_id,
                                           WEBHOOK_SECRET)
    status, _, _ = fetch(journey.base_url + "/billing/stripe/webhook", payload.encode(), headers)
    assert status == 200

    page.goto(session["success_url"])
    journey.step("booking confirmed")
    assert page.get_by_text("Your booking is confirmed").is_visible()
    assert page.get_by_role("link", name="Pay now").count() == 0
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"
        assert db.session.scalar(sa.select(Payment.status).where(
            Payment.booking_id == booking_id)) == "paid"
        db.session.remove()
    journey.assert_clean()


def test_coworker_books_a_weekly_desk_and_copies_the_ical_link(app, demo, journey):
    page = journey.page
    monday = upcoming(0)
    journey.login(COWORKER, demo)
    search(journey, kind="desk", day=monday, from_time="09:00", to_time="11:00")

    page.locator("a.slot[aria-label^='Book Schreibtisch 1:']").first.click()
    page.wait_for_load_state()
    page.get_by_text("Repeat every week (optional)").click()
    page.locator("input[name=repeat_weekdays][value=MO]").check()
    page.get_by_label("Repeat until (inclusive)").fill((monday + timedelta(weeks=3)).isoformat())
    page.get_by_label(re.compile("I accept the terms")).check()
    journey.step("booking form with repetition")
    page.get_by_role("button", name="Book now").click()
    page.wait_for_load_state()
    assert re.search(r"/series/\d+$", page.url), page.url
    journey.step("series booked")
    assert page.get_by_text("4 dates booked.").is_visible()

    with app.app_context():
        bookings = db.session.scalars(sa.select(Booking).join(User, Booking.booked_by).where(
            User.email == COWORKER).order_by(Booking.starts_at)).all()
        assert [(local_date(b.starts_at), b.starts_at.astimezone(BERLIN).time(), b.unit.name)
                for b in bookings] == [(monday + timedelta(weeks=n), time(9), "Schreibtisch 1")
                                       for n in range(4)]
        db.session.remove()

    journey.goto("/calendars")
    field = page.get_by_label("Address of your private calendar")
    field.focus()
    field.press("Control+A")
    field.press("Control+C")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    journey.step("calendar addresses")
    assert copied == field.input_value()
    assert re.fullmatch(re.escape(journey.base_url) + r"/ical/users/[^/]+\.ics", copied), copied

    status, content_type, body = fetch(copied)
    calendar = body.decode()
    assert status == 200 and content_type.startswith("text/calendar")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert calendar.count("BEGIN:VEVENT") == 4
    assert "Schreibtisch 1" in calendar
    journey.assert_clean()


def test_manager_moves_the_clashing_booking_and_approves_a_tenancy(app, demo, journey):
    page = journey.page
    thursday = upcoming(3)
    with app.app_context():
        desk_1 = unit_named("bochum", "Schreibtisch 1")
        desk_2_id = unit_named("bochum", "Schreibtisch 2").id
        coworker = db.session.scalar(sa.select(User).where(User.email == COWORKER))
        partner = db.session.scalar(sa.select(User).where(User.email == PARTNER))
        organisation = db.session.scalar(sa.select(Organisation).where(
            Organisation.name.startswith("Sparkasse")))
        clash = create_booking(
            coworker, unit=desk_1, starts_at=localize(datetime.combine(thursday, time(10))),
            ends_at=localize(datetime.combine(thursday, time(12))), now=utcnow(),
            terms_accepted=True)
        clash_id = clash.id
        tenancy = request_tenancy(
            partner, organisation=organisation, units=[desk_1], weekdays=["TH"],
            start_time=time(9), end_time=time(13), starts_on=thursday,
            ends_on=thursday + timedelta(weeks=3), purpose="Beratungstag",
            proposed_monthly_fee_cents=20_000, now=utcnow())
        tenancy_id = tenancy.id
        db.session.remove()

    journey.login(MANAGER, demo)
    journey.goto("/manage/bochum/tenancies")
    request_section = page.locator(f"#tenancy-{tenancy_id}")
    approve = request_section.get_by_role("button", name="Approve")
    assert approve.is_disabled()
    clash_row = request_section.locator("table.clashes tbody tr")
    assert clash_row.count() == 1
    assert clash_row.get_by_role("cell", name=f"no. {clash_id} (confirmed)").is_visible()
    journey.step("tenancy request with a clash")

    request_section.get_by_role("button", name="Move to Schreibtisch 2").click()
    page.wait_for_load_state()
    journey.step("clashing booking moved")
    assert page.get_by_text(f"Booking no. {clash_id} moved to Schreibtisch 2").is_visible()
    request_section = page.locator(f"#tenancy-{tenancy_id}")
    assert request_section.get_by_text("No clashes: the tenancy can be approved.").is_visible()

    request_section.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    journey.step("tenancy approved")
    assert page.get_by_text("The tenancy is approved; its dates are booked.").is_visible()

    with app.app_context():
        assert db.session.get(Booking, clash_id).unit_id == desk_2_id
        assert db.session.get(Tenancy, tenancy_id).status == "approved"
        occurrences = db.session.scalars(sa.select(Booking).where(
            Booking.tenancy_id == tenancy_id)).all()
        assert len(occurrences) == 4
        db.session.remove()
    journey.assert_clean()


def test_the_checks_catch_an_inaccessible_page_and_a_console_error(app, journey):
    """The journeys' guards can fail: axe-core reports an unlabelled field and a low-contrast
    text as serious, and a script error is collected."""
    journey.goto("/terms")
    journey.page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
            '<input type="text" id="nameless"><p id="pale">pale</p>');
        document.getElementById('pale').style.color = '#ccc';  // CSSOM: allowed by the CSP
        console.error('broken script');
    }""")
    journey.check_accessibility("tampered terms page")
    found = " ".join(journey.violations)
    assert "label" in found and "color-contrast" in found
    assert any("broken script" in error for error in journey.errors)
