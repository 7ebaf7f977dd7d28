"""The booking pages: search, two-click booking, confirmation, my bookings, cancel, series.

The pages use the real clock (core.time.utcnow), so the tests book days well ahead of
today (inside the 366-day horizon) and never on a Sunday (the labs are closed then).
"""
import html
import re
from datetime import time, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bookings import services
from bookings.models import Booking, BookingStatus
from core.time import at_local, format_instant, local_date, parse_instant, to_local, utcnow
from extensions import db


def weekday_ahead(weekday, weeks=2):
    """A local date on ``weekday`` (0 = Monday) at least ``weeks`` weeks from today."""
    day = local_date(utcnow()) + timedelta(weeks=weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day, hour):
    return at_local(day, time(hour))


def slot_links(page):
    """{(unit_id, start, end)} of every slot link on a search page (instants parsed)."""
    links = set()
    for href in re.findall(r'href="(/book/new\?[^"]+)"', page):
        query = parse_qs(urlsplit(html.unescape(href)).query)
        links.add((int(query["unit"][0]), parse_instant(query["start"][0]),
                   parse_instant(query["end"][0])))
    return links


def book_url(unit, starts_at, ends_at):
    return "/book/new?" + urlencode(
        {"unit": unit.id, "start": format_instant(starts_at), "end": format_instant(ends_at)}
    )


def fresh_booking(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def book_directly(user, unit, starts_at, ends_at, now=None):
    return services.create_booking(user, unit=unit, starts_at=starts_at, ends_at=ends_at,
                                   now=now or utcnow(), terms_accepted=True)


@pytest.fixture
def lab(make):
    site = make.site("witten", name="Stadtlabor Witten")
    desk = make.unit(site, "desk", name="Schreibtisch 1", min_length=1, max_length=12,
                     price_cents=400)
    return site, desk


def search_page(client, site, day, **extra):
    response = client.get("/book", query_string={"site": site.slug, "kind": "desk",
                                                 "date": day.isoformat(), **extra})
    return response, response.get_data(as_text=True)


def test_search_shows_free_slots_and_hides_a_taken_one(client, make, lab):
    site, desk = lab
    other = make.user()
    tuesday = weekday_ahead(1)
    book_directly(other, desk, at(tuesday, 10), at(tuesday, 11))

    response, page = search_page(client, site, tuesday)

    assert response.status_code == 200
    links = slot_links(page)
    assert (desk.id, at(tuesday, 9), at(tuesday, 10)) in links
    assert (desk.id, at(tuesday, 11), at(tuesday, 12)) in links
    assert (desk.id, at(tuesday, 10), at(tuesday, 11)) not in links
    # Opening hours 8-20: the first slot starts at 8, the last ends at 20.
    assert min(start for _, start, _ in links) == at(tuesday, 8)
    assert max(end for _, _, end in links) == at(tuesday, 20)
    assert "Schreibtisch 1" in page


def test_search_offers_the_chosen_time_range_only(client, lab):
    site, desk = lab
    tuesday = weekday_ahead(1)
    _, page = search_page(client, site, tuesday, from_time="09:00", to_time="12:00")
    assert slot_links(page) == {(desk.id, at(tuesday, 9), at(tuesday, 12))}

    _, page = search_page(client, site, tuesday, from_time="09:00", to_time="12:00", hours=2)
    assert slot_links(page) == {(desk.id, at(tuesday, 9), at(tuesday, 11)),
                                (desk.id, at(tuesday, 10), at(tuesday, 12))}


def test_search_of_day_units_offers_days_and_the_whole_period(client, make, lab):
    site, _ = lab
    shelf = make.unit(site, "popup_shelf", granularity="day", min_length=1, max_length=31)
    other = make.user()
    monday = weekday_ahead(0)
    wednesday = monday + timedelta(days=2)
    book_directly(other, shelf, at(wednesday, 0), at(wednesday + timedelta(days=1), 0))

    response = client.get("/book", query_string={
        "site": site.slug, "kind": "popup_shelf", "date": monday.isoformat(),
        "until": (monday + timedelta(days=1)).isoformat()})
    links = slot_links(response.get_data(as_text=True))
    assert links == {
        (shelf.id, at(monday, 0), at(monday + timedelta(days=2), 0)),  # the whole period
        (shelf.id, at(monday, 0), at(monday + timedelta(days=1), 0)),
        (shelf.id, at(monday + timedelta(days=1), 0), at(monday + timedelta(days=2), 0)),
    }

    # Across the taken Wednesday the whole period is not offered, the free days are.
    response = client.get("/book", query_string={
        "site": site.slug, "kind": "popup_shelf", "date": monday.isoformat(),
        "until": (monday + timedelta(days=3)).isoformat()})
    links = slot_links(response.get_data(as_text=True))
    assert (shelf.id, at(monday, 0), at(monday + timedelta(days=4), 0)) not in links
    starts = sorted(local_date(start) for _, start, _ in links)
    assert starts == [monday, monday + timedelta(days=1), monday + timedelta(days=3)]


def test_search_refuses_a_day_in_the_past(client, lab):
    site, _ = lab
    response, page = search_page(client, site, local_date(utcnow()) - timedelta(days=3))
    assert response.status_code == 422
    assert slot_links(page) == set()


def test_booking_form_requires_login(client, lab):
    _, desk = lab
    tuesday = weekday_ahead(1)
    url = book_url(desk, at(tuesday, 9), at(tuesday, 10))
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]


def test_two_clicks_book_and_show_the_confirmation(client, auth, make, lab, counts):
    site, desk = lab
    member = make.user("member@example.org")
    auth.login("member@example.org")
    tuesday = weekday_ahead(1)
    _, page = search_page(client, site, tuesday)
    slot = (desk.id, at(tuesday, 14), at(tuesday, 15))
    href = next(html.unescape(h) for h in re.findall(r'href="(/book/new\?[^"]+)"', page)
                if slot_links(f'href="{h}"') == {slot})

    form_page = client.get(href)  # click 1
    assert form_page.status_code == 200
    text = form_page.get_data(as_text=True)
    assert "Schreibtisch 1" in text and "Stadtlabor Witten" in text
    assert 'name="accept_terms"' in text and "2026-11" in text
    assert "14:00" in text and "15:00" in text

    response = client.post(href, data={"accept_terms": "y", "purpose": "Workshop prep"})  # click 2
    assert response.status_code == 302
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    booking = fresh_booking(booking_id)
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.unit_id, booking.starts_at, booking.ends_at) == slot
    assert booking.booked_by_id == member.id
    assert booking.terms_version == "2026-11"
    assert booking.purpose == "Workshop prep"

    confirmation = client.get(response.headers["Location"])
    text = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert 'class="booking-status status-confirmed"' in text
    assert "Teststraße 1, 44787 Bochum" in text
    assert f'action="/bookings/{booking_id}/cancel' in text


def test_a_slot_taken_meanwhile_gives_409_and_writes_nothing(client, auth, make, lab, counts):
    site, desk = lab
    make.user("member@example.org")
    other = make.user()
    auth.login("member@example.org")
    tuesday = weekday_ahead(1)
    url = book_url(desk, at(tuesday, 9), at(tuesday, 11))
    assert client.get(url).status_code == 200
    book_directly(other, desk, at(tuesday, 10), at(tuesday, 12))  # someone is faster
    before = counts()

    response = client.post(url, data={"accept_terms": "y"})

    assert response.status_code == 409
    assert counts() == before
    text = response.get_data(as_text=True)
    assert 'role="alert"' in text
    # A link back to the search on that day, to pick another time.
    assert re.search(rf'href="/book\?[^"]*date={tuesday.isoformat()}', text)
    assert f"site={site.slug}" in text


def test_missing_terms_checkbox_is_refused_and_writes_nothing(client, auth, make, lab, counts):
    _, desk = lab
    make.user("member@example.org")
    auth.login("member@example.org")
    tuesday = weekday_ahead(1)
    before = counts()
    response = client.post(book_url(desk, at(tuesday, 9), at(tuesday, 10)),
                           data={"purpose": "no terms"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="accept_terms-errors"' in text  # the message sits at the checkbox
    assert "no terms" in text  # what was typed is kept
    assert counts() == before


def test_unconfirmed_account_cannot_book(client, auth, make, lab, counts):
    _, desk = lab
    make.user("new@example.org", confirmed=False)
    auth.login("new@example.org")
    tuesday = weekday_ahead(1)
    url = book_url(desk, at(tuesday, 9), at(tuesday, 10))
    before = counts()

    response = client.post(url, data={"accept_terms": "y"})

    assert response.status_code == 302
    assert counts() == before
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert 'class="flash flash-error"' in text
    assert 'href="/confirm"' in text  # the way to get a new confirmation mail
    assert 'name="accept_terms"' not in text  # no form to send


def test_my_bookings_lists_upcoming_and_past(client, auth, make, lab):
    _, desk = lab
    member = make.user("member@example.org")
    upcoming_day = weekday_ahead(1)
    upcoming = book_directly(member, desk, at(upcoming_day, 9), at(upcoming_day, 10))
    past_day = weekday_ahead(1, weeks=-3)
    past = book_directly(member, desk, at(past_day, 9), at(past_day, 10),
                         now=at(past_day, 0) - timedelta(days=7))
    someone_elses = book_directly(make.user(), desk, at(upcoming_day, 11), at(upcoming_day, 12))
    auth.login("member@example.org")

    response = client.get("/my/bookings")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    upcoming_part, past_part = text.split('id="past-heading"')
    assert f"/bookings/{upcoming.id}" in upcoming_part
    assert f"/bookings/{past.id}" not in upcoming_part
    assert f"/bookings/{past.id}" in past_part
    assert f"/bookings/{upcoming.id}\"" not in past_part
    assert f"/bookings/{someone_elses.id}" not in text
    # Only the upcoming booking can still be cancelled by its booker.
    assert f"/bookings/{upcoming.id}/cancel" in upcoming_part
    assert f"/bookings/{past.id}/cancel" not in text


def test_cancel_frees_the_slot(client, auth, make, lab):
    site, desk = lab
    member = make.user("member@example.org")
    tuesday = weekday_ahead(1)
    booking = book_directly(member, desk, at(tuesday, 9), at(tuesday, 10))
    slot = (desk.id, at(tuesday, 9), at(tuesday, 10))
    assert slot not in slot_links(search_page(client, site, tuesday)[1])
    auth.login("member@example.org")

    response = client.post(f"/bookings/{booking.id}/cancel")

    assert response.status_code == 302
    assert fresh_booking(booking.id).status == BookingStatus.CANCELLED
    assert slot in slot_links(search_page(client, site, tuesday)[1])
    # Cancelling again changes nothing and says so.
    again = client.post(f"/bookings/{booking.id}/cancel", follow_redirects=True)
    assert again.status_code == 200
    assert fresh_booking(booking.id).status == BookingStatus.CANCELLED


def test_someone_elses_booking_is_forbidden(client, auth, make, lab):
    _, desk = lab
    owner = make.user()
    make.user("nosy@example.org")
    tuesday = weekday_ahead(1)
    booking = book_directly(owner, desk, at(tuesday, 9), at(tuesday, 10))
    auth.login("nosy@example.org")

    assert client.get(f"/bookings/{booking.id}").status_code == 403
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 403
    assert fresh_booking(booking.id).status == BookingStatus.CONFIRMED
    assert client.get("/bookings/999999").status_code == 404


def test_weekly_series_can_be_booked_viewed_and_thinned(client, auth, make, lab):
    _, desk = lab
    make.user("member@example.org")
    auth.login("member@example.org")
    tuesday = weekday_ahead(1)
    url = book_url(desk, at(tuesday, 9), at(tuesday, 17))

    response = client.post(url, data={
        "accept_terms": "y", "repeat_weekdays": ["TU"],
        "repeat_until": (tuesday + timedelta(weeks=2)).isoformat(), "repeat_mode": "all",
    })

    assert response.status_code == 302
    series_url = response.headers["Location"]
    assert "/series/" in series_url
    series_id = int(series_url.rsplit("/", 1)[1])
    occurrences = db.session.scalars(
        db.select(Booking).where(Booking.series_id == series_id).order_by(Booking.starts_at)
    ).all()
    assert [local_date(b.starts_at) for b in occurrences] == [
        tuesday, tuesday + timedelta(weeks=1), tuesday + timedelta(weeks=2)]
    # Every date keeps 9:00 local time (also across a daylight-saving change).
    assert {at_local(local_date(b.starts_at), time(9)) for b in occurrences} == {
        b.starts_at for b in occurrences}

    page = client.get(series_url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for booking in occurrences:
        assert f"/bookings/{booking.id}/cancel" in text

    middle = occurrences[1]
    response = client.post(f"/bookings/{middle.id}/cancel", query_string={"next": series_url})
    assert response.status_code == 302 and response.headers["Location"].endswith(series_url)
    statuses = [fresh_booking(b.id).status for b in occurrences]
    assert statuses == ["confirmed", "cancelled", "confirmed"]

    # "Cancel this and all later dates" from the first one cancels the rest.
    response = client.post(f"/series/{series_id}/cancel",
                           data={"from_booking": str(occurrences[0].id)})
    assert response.status_code == 302
    assert [fresh_booking(b.id).status for b in occurrences] == ["cancelled"] * 3


def test_series_all_or_nothing_vs_book_the_free_ones(client, auth, make, lab, counts):
    _, desk = lab
    make.user("member@example.org")
    tuesday = weekday_ahead(1)
    book_directly(make.user(), desk, at(tuesday + timedelta(weeks=1), 9),
                  at(tuesday + timedelta(weeks=1), 10))
    auth.login("member@example.org")
    url = book_url(desk, at(tuesday, 9), at(tuesday, 12))
    data = {"accept_terms": "y", "repeat_weekdays": ["TU"],
            "repeat_until": (tuesday + timedelta(weeks=2)).isoformat(), "repeat_mode": "all"}
    before = counts()

    refused = client.post(url, data=data)
    assert refused.status_code == 409
    assert counts() == before

    booked = client.post(url, data={**data, "repeat_mode": "free"})
    assert booked.status_code == 302
    series_id = int(booked.headers["Location"].rsplit("/", 1)[1])
    days = db.session.scalars(
        db.select(Booking.starts_at).where(Booking.series_id == series_id)
        .order_by(Booking.starts_at)
    ).all()
    assert [local_date(day) for day in days] == [tuesday, tuesday + timedelta(weeks=2)]


def test_series_page_of_someone_else_is_forbidden(client, auth, make, lab):
    _, desk = lab
    owner = make.user()
    make.user("nosy@example.org")
    tuesday = weekday_ahead(1)
    result = services.create_series(
        owner, unit=desk, starts_at=at(tuesday, 9), ends_at=at(tuesday, 10), now=utcnow(),
        recurrence={"freq": "weekly", "byday": ["TU"], "count": 2}, terms_accepted=True)
    auth.login("nosy@example.org")
    assert client.get(f"/series/{result.series.id}").status_code == 403
    assert client.post(f"/series/{result.series.id}/cancel").status_code == 403



def test_search_from_a_unit_page_shows_that_unit(client, make, lab):
    site, desk = lab
    other_desk = make.unit(site, "desk", name="Schreibtisch 2")
    tuesday = weekday_ahead(1)
    page = client.get(f"/units/{desk.id}").get_data(as_text=True)
    assert f"unit={desk.id}" in page

    _, page = search_page(client, site, tuesday, unit=desk.id)
    assert {unit_id for unit_id, _, _ in slot_links(page)} == {desk.id}
    show_all = [html.unescape(h) for h in re.findall(r'href="(/book\?[^"]+)"', page)
                if "unit=" not in h]
    assert show_all and f"date={tuesday.isoformat()}" in show_all[0]
    _, page = search_page(client, site, tuesday)
    assert {unit_id for unit_id, _, _ in slot_links(page)} == {desk.id, other_desk.id}


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(
        app, client, auth, make, lab, monkeypatch):
    _, desk = lab
    member = make.user("member@example.org")
    tuesday = weekday_ahead(1)
    booking = book_directly(member, desk, at(tuesday, 9), at(tuesday, 10))
    auth.login("member@example.org")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    for url in (book_url(desk, at(tuesday, 11), at(tuesday, 12)), f"/bookings/{booking.id}",
                "/my/bookings"):
        assert 'name="csrf_token"' in client.get(url).get_data(as_text=True), url
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 400
    assert fresh_booking(booking.id).status == BookingStatus.CONFIRMED


def test_week_units_offer_monday_weeks_and_book_as_a_request(client, auth, make, lab):
    site, _ = lab
    window = make.unit(site, "shop_window", granularity="week", max_length=12,
                       needs_approval=True, lead_time_minutes=1440)
    make.user("member@example.org")
    monday = weekday_ahead(0)
    response = client.get("/book", query_string={
        "site": site.slug, "kind": "shop_window",
        "date": (monday + timedelta(days=2)).isoformat()})
    links = slot_links(response.get_data(as_text=True))
    # Four Monday weeks from the week of the chosen day.
    assert sorted(links) == [
        (window.id, at(monday + timedelta(weeks=n), 0), at(monday + timedelta(weeks=n + 1), 0))
        for n in range(4)]

    auth.login("member@example.org")
    response = client.post(book_url(window, at(monday, 0), at(monday + timedelta(weeks=1), 0)),
                           data={"accept_terms": "y"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="booking-status status-requested"' in page


def test_month_units_are_searched_across_several_months(client, make, lab):
    site, _ = lab
    corner = make.unit(site, "cafe_corner", granularity="month", max_length=12)
    first = (local_date(utcnow()).replace(day=1) + timedelta(days=62)).replace(day=1)
    months = [first]
    for _ in range(3):
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    book_directly(make.user(), corner, at(months[1], 0), at(months[2], 0))

    response = client.get("/book", query_string={
        "site": site.slug, "kind": "cafe_corner", "date": first.isoformat(),
        "until": months[2].isoformat()})
    assert response.status_code == 200
    links = slot_links(response.get_data(as_text=True))
    # The taken second month splits the range: no whole period, the first and third month.
    assert links == {(corner.id, at(months[0], 0), at(months[1], 0)),
                     (corner.id, at(months[2], 0), at(months[3], 0))}


def test_a_booking_awaiting_payment_says_until_when(client, auth, make, lab, payment_required):
    _, desk = lab
    make.user("member@example.org")
    auth.login("member@example.org")
    tuesday = weekday_ahead(1)
    response = client.post(book_url(desk, at(tuesday, 9), at(tuesday, 10)),
                           data={"accept_terms": "y"})
    assert response.status_code == 302
    booking = fresh_booking(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert booking.status == BookingStatus.HELD
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="booking-status status-held"' in page
    expires = to_local(booking.hold_expires_at)
    assert expires.strftime("%H:%M") in page or expires.strftime("%-I:%M") in page
