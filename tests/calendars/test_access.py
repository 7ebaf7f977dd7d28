"""Private feeds behind revocable tokens, manager feeds for managers only, public feeds
without personal data, and the .ics download of one booking."""
from datetime import timedelta

import icalendar

from calendars import tokens
from core.time import local_date, local_midnight, utcnow
from tests.calendars.conftest import add_booking, read_feed


def soon(days=7, hour=9):
    return local_midnight(local_date(utcnow()) + timedelta(days=days)) + timedelta(hours=hour)


def path_of(url):
    return url.replace("http://localhost", "")


def feed_url(app, function, *args):
    with app.test_request_context():
        return path_of(function(*args))


def test_regenerating_the_token_revokes_the_old_url_at_once(app, client, make):
    user = make.user()
    add_booking(make.unit(), soon(), soon(hour=10), user=user)
    old = feed_url(app, tokens.private_feed_url, user)
    assert client.get(old).status_code == 200

    tokens.regenerate_ical_token(user)
    new = feed_url(app, tokens.private_feed_url, user)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert len(read_feed(client.get(new).data)) == 1


def test_regenerate_through_the_page_and_wrong_tokens_are_404(app, client, auth, make):
    user = make.user("owner@example.org")
    old = feed_url(app, tokens.private_feed_url, user)
    auth.login("owner@example.org")
    assert old in client.get("/calendars").get_data(as_text=True).replace("http://localhost", "")
    assert client.post("/calendars/token").status_code == 302
    assert client.get(old).status_code == 404
    user_id, secret = old.rsplit("/", 1)[1].removesuffix(".ics").split("-", 1)
    for wrong in (f"{user_id}-{secret[:-1]}x", f"{int(user_id) + 1}-{secret}", "garbage",
                  f"{user_id}-"):
        assert client.get(f"/ical/users/{wrong}.ics").status_code == 404


def test_organisation_feed_token_is_for_its_admins_and_revocable(app, client, auth, make):
    organisation = make.organisation()
    admin = make.user("admin@org.example", organisation=organisation, membership_role="admin")
    make.user("member@org.example", organisation=organisation)
    add_booking(make.unit(), soon(), soon(hour=10), user=admin, organisation=organisation)
    old = feed_url(app, tokens.organisation_feed_url, organisation)
    assert len(read_feed(client.get(old).data)) == 1

    auth.login("member@org.example")
    assert client.post(f"/calendars/organisations/{organisation.id}/token").status_code == 403
    assert client.get(old).status_code == 200
    auth.logout()
    auth.login("admin@org.example")
    assert client.post(f"/calendars/organisations/{organisation.id}/token").status_code == 302
    assert client.get(old).status_code == 404


def test_manager_feed_only_for_managers_of_that_site(app, client, make):
    site, other = make.site(), make.site()
    manager = make.user(role="manager", sites=[site])
    member = make.user()
    booker = make.user(name="Erika Mustermann")
    add_booking(make.unit(site), soon(), soon(hour=10), user=booker, status="requested")
    url = feed_url(app, tokens.manager_feed_url, manager, site)
    body = client.get(url).get_data(as_text=True)
    assert "Erika Mustermann" in body and "STATUS:TENTATIVE" in body
    assert client.get(feed_url(app, tokens.manager_feed_url, manager, other)).status_code == 404
    assert client.get(feed_url(app, tokens.manager_feed_url, member, site)).status_code == 404
    tokens.regenerate_ical_token(manager)
    assert client.get(url).status_code == 404


def test_public_feeds_show_no_names_emails_or_purposes(app, client, make):
    site = make.site()
    unit = make.unit(site)
    organisation = make.organisation(name="Geheimfirma GmbH")
    booker = make.user("erika.private@example.org", name="Erika Mustermann",
                       organisation=organisation)
    add_booking(unit, soon(), soon(hour=10), user=booker, organisation=organisation,
                purpose="Vertrauliches Gespräch")
    add_booking(unit, soon(hour=11), soon(hour=12), user=booker, status="requested",
                purpose="Bewerbung Müller")
    for url in (f"/ical/units/{unit.id}.ics", f"/ical/sites/{site.slug}.ics",
                f"/ical/units/{unit.id}.ics?lang=en"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert len(read_feed(response.data)) == 2
        for secret in ("Erika", "Mustermann", "erika.private", "@example.org", "Geheimfirma",
                       "Vertrauliches", "Bewerbung", "Müller", "/bookings/"):
            assert secret not in body, (url, secret)


def test_booking_ics_download_for_those_who_may_see_the_booking(app, client, auth, make):
    site = make.site()
    booker = make.user("booker@example.org")
    make.user("stranger@example.org")
    make.user("manager@example.org", role="manager", sites=[site])
    booking = add_booking(make.unit(site), soon(), soon(hour=10), user=booker, purpose="Pitch")

    assert client.get(f"/bookings/{booking.id}/ics").status_code in (302, 401)
    auth.login("stranger@example.org")
    assert client.get(f"/bookings/{booking.id}/ics").status_code == 403
    auth.logout()
    for email in ("booker@example.org", "manager@example.org"):
        auth.login(email)
        response = client.get(f"/bookings/{booking.id}/ics")
        assert response.status_code == 200
        assert response.content_type == "text/calendar; charset=utf-8"
        calendar = icalendar.Calendar.from_ical(response.data)
        assert str(calendar["METHOD"]) == "PUBLISH"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"booking-{booking.id}@localhost"
        assert event["DTSTART"].dt == soon()
        auth.logout()
    assert client.get("/bookings/999999/ics").status_code in (302, 401)


def test_urls_use_public_base_url_when_set(app, make):
    unit = make.unit()
    app.config["PUBLIC_BASE_URL"] = "https://buchen.stadtlabor.example"
    try:
        with app.test_request_context(base_url="http://internal:8000"):
            assert tokens.unit_feed_url(unit) == (
                f"https://buchen.stadtlabor.example/ical/units/{unit.id}.ics")
            assert tokens.site_feed_url(unit.site).startswith("https://buchen.stadtlabor.example/")
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    with app.test_request_context(base_url="http://labs.local:8000"):
        assert tokens.unit_feed_url(unit) == f"http://labs.local:8000/ical/units/{unit.id}.ics"


def test_unit_and_site_pages_offer_their_public_feed_with_a_copy_button(client, make):
    unit = make.unit(make.site("witten"))
    for page, feed in ((f"/units/{unit.id}", f"http://localhost/ical/units/{unit.id}.ics"),
                       ("/sites/witten", "http://localhost/ical/sites/witten.ics")):
        html = client.get(page).get_data(as_text=True)
        assert f'value="{feed}"' in html
        assert 'data-copy="' in html and "copy.js" in html
        assert client.get(feed).status_code == 200
    assert client.get("/static/copy.js").status_code == 200
