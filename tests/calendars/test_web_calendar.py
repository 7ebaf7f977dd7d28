"""The web calendar: week and month grids per site and unit, what each viewer sees, links
to the booking form, navigation and the two daylight-saving weeks of 2027."""
import html
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from calendars import grid
from core.time import BERLIN, UTC, at_local, format_instant, local_date, local_midnight, utcnow

EVERY_DAY = {weekday: (time(8), time(20)) for weekday in range(7)}
NOW = datetime(2027, 1, 1, 12, tzinfo=UTC)


def berlin(*parts):
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def hour_cell(data, unit, day, hour):
    return data.cell(unit, *grid.hour_bounds(day, hour))


def viewer_for(user, managed=()):
    return grid.Viewer(user_id=user.id if user else None, managed_site_ids=set(managed))


def calendar_links(body):
    """[(path, {parameter: value})] of every link in the page."""
    links = []
    for href in re.findall(r'href="([^"]+)"', body):
        parts = urlsplit(html.unescape(href))
        links.append((parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}))
    return links


def page(client, url):
    """The English page (the tests read its labels)."""
    response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def booking_form_links(body):
    return [query for path, query in calendar_links(body) if path == "/book/new"]


# --- cells ------------------------------------------------------------------------------------

def test_cells_show_busy_own_pending_closed_and_outside_hours(make):
    site = make.site(hours={weekday: (time(8), time(20)) for weekday in range(5)})
    manager = make.user(role="manager", sites=[site])
    booker = make.user(name="Erika Booker")
    stranger = make.user()
    unit = make.unit(site)
    # Tue 16 March 2027, 11:00-13:00 Berlin; a request on Wed 17 March, 11:00-12:00.
    make.booking(unit, user=booker, starts_at=berlin(2027, 3, 16, 11), ends_at=berlin(2027, 3, 16, 13))
    request = make.booking(unit, user=booker, status="requested",
                           starts_at=berlin(2027, 3, 17, 11), ends_at=berlin(2027, 3, 17, 12))
    make.closure(site, date(2027, 3, 18), reason="Betriebsausflug")
    tuesday, wednesday, thursday = date(2027, 3, 16), date(2027, 3, 17), date(2027, 3, 18)

    def data(viewer):
        return grid.CalendarData([unit], date(2027, 3, 15), date(2027, 3, 21), NOW, viewer)

    as_stranger, as_booker = data(viewer_for(stranger)), data(viewer_for(booker))
    as_manager = data(viewer_for(manager, managed=[site.id]))

    assert hour_cell(as_stranger, unit, tuesday, 11).state == grid.BUSY
    assert hour_cell(as_stranger, unit, tuesday, 12).booker_name is None
    assert hour_cell(as_stranger, unit, tuesday, 13).state == grid.FREE
    assert hour_cell(as_booker, unit, tuesday, 12).state == grid.OWN
    assert hour_cell(as_manager, unit, tuesday, 11).state == grid.BUSY
    assert hour_cell(as_manager, unit, tuesday, 11).booker_name == "Erika Booker"

    pending = hour_cell(as_manager, unit, wednesday, 11)
    assert (pending.state, pending.booker_name, pending.booking_id) == (
        grid.PENDING, "Erika Booker", request.id)
    assert hour_cell(as_stranger, unit, wednesday, 11).state == grid.BUSY
    assert hour_cell(as_stranger, unit, wednesday, 11).booking_id is None

    assert {hour_cell(as_stranger, unit, thursday, hour).state for hour in range(8, 20)} == {grid.CLOSED}
    assert as_stranger.closure_reason(site.id, thursday) == "Betriebsausflug"

    assert hour_cell(as_stranger, unit, tuesday, 7).state == grid.OUTSIDE
    assert hour_cell(as_stranger, unit, tuesday, 20).state == grid.OUTSIDE
    assert hour_cell(as_stranger, unit, date(2027, 3, 20), 10).state == grid.OUTSIDE  # Saturday

    free = hour_cell(as_stranger, unit, tuesday, 14)
    assert (free.state, free.book_start, free.book_end) == (
        grid.FREE, berlin(2027, 3, 16, 14), berlin(2027, 3, 16, 15))


def test_lapsed_hold_and_cancelled_booking_leave_the_cell_free(make):
    site = make.site(hours=EVERY_DAY)
    unit = make.unit(site)
    make.booking(unit, status="held", hold_expires_at=NOW - timedelta(minutes=1),
                 starts_at=berlin(2027, 3, 16, 9), ends_at=berlin(2027, 3, 16, 10))
    make.booking(unit, status="cancelled",
                 starts_at=berlin(2027, 3, 16, 10), ends_at=berlin(2027, 3, 16, 11))
    make.booking(unit, status="held", hold_expires_at=NOW + timedelta(minutes=10),
                 starts_at=berlin(2027, 3, 16, 11), ends_at=berlin(2027, 3, 16, 12))
    data = grid.CalendarData([unit], date(2027, 3, 16), date(2027, 3, 16), NOW, grid.Viewer())
    states = [cell.state for cell in data.hour_cells(unit, date(2027, 3, 16), [9, 10, 11])]
    assert states == [grid.FREE, grid.FREE, grid.BUSY]


def test_past_hours_are_not_free(make):
    site = make.site(hours=EVERY_DAY)
    unit = make.unit(site)
    now = berlin(2027, 3, 16, 12, 30)
    data = grid.CalendarData([unit], date(2027, 3, 16), date(2027, 3, 16), now, grid.Viewer())
    assert hour_cell(data, unit, date(2027, 3, 16), 11).state == grid.UNAVAILABLE
    assert hour_cell(data, unit, date(2027, 3, 16), 13).state == grid.FREE


# --- pages: who sees what ---------------------------------------------------------------------

def test_site_week_page_shows_names_to_managers_only(make, client, auth):
    site = make.site(hours=EVERY_DAY)
    manager = make.user("manager@example.org", role="manager", sites=[site])
    make.user("stranger@example.org")
    booker = make.user("booker@example.org", name="Erika Booker")
    unit = make.unit(site, name="Desk Fenster")
    make.unit(site, kind="popup_shelf", granularity="day", name="Regal Eins")
    make.booking(unit, user=booker, status="requested",
                 starts_at=berlin(2027, 3, 17, 11), ends_at=berlin(2027, 3, 17, 12))
    url = f"/calendar/{site.slug}/week?date=2027-03-17"

    anonymous = page(client, url)
    assert "Desk Fenster" in anonymous and "Regal Eins" in anonymous
    assert "Erika Booker" not in anonymous and "Booked" in anonymous

    auth.login("stranger@example.org")
    stranger = page(client, url)
    assert "Erika Booker" not in stranger and "Request:" not in stranger
    assert 'class="cell cell-busy">Booked</td>' in stranger
    auth.logout()

    auth.login("manager@example.org")
    managed = page(client, url)
    assert "Request: Erika Booker" in managed
    auth.logout()

    auth.login("booker@example.org")
    own = page(client, url)
    assert '<td class="cell cell-own"><a href="/bookings/' in own
    assert 'scope="col"' in own and 'scope="row"' in own and "<caption>" in own


def test_closure_is_shown_on_the_week_page(make, client):
    site = make.site(hours=EVERY_DAY)
    make.unit(site)
    make.closure(site, date(2027, 3, 18), reason="Betriebsausflug")
    body = page(client, f"/calendar/{site.slug}/week?date=2027-03-15")
    assert "Closed: Betriebsausflug" in body
    assert body.count('class="cell cell-closed"') == 12  # the 12 opening hours of that day


# --- navigation -------------------------------------------------------------------------------

def test_week_navigation_and_iso_week_number(make, client):
    site = make.site()
    make.unit(site)
    body = page(client, f"/calendar/{site.slug}/week?date=2027-01-06")
    assert "Week 1, 2027" in body
    links = calendar_links(body)
    week_path = f"/calendar/{site.slug}/week"
    assert (week_path, {"date": "2026-12-28"}) in links
    assert (week_path, {"date": "2027-01-11"}) in links
    assert (week_path, {}) in links  # today
    assert grid.iso_week(date(2027, 1, 4)) == (2027, 1)
    assert grid.iso_week(date(2027, 1, 3)) == (2026, 53)

    last_week = page(client, f"/calendar/{site.slug}/week?date=2027-01-03")
    assert "Week 53, 2026" in last_week


def test_month_navigation_crosses_the_year(make, client):
    unit = make.unit(make.site())
    body = page(client, f"/calendar/units/{unit.id}/month?month=2027-01")
    links = calendar_links(body)
    month_path = f"/calendar/units/{unit.id}/month"
    assert (month_path, {"month": "2026-12"}) in links
    assert (month_path, {"month": "2027-02"}) in links


def test_bad_dates_are_refused(make, client):
    site = make.site()
    assert client.get(f"/calendar/{site.slug}/week?date=2027-02-30").status_code in (400, 422)
    assert client.get(f"/calendar/{site.slug}/month?month=2027-13").status_code in (400, 422)
    assert client.get("/calendar/no-such-site/week").status_code == 404


# --- free cells start a booking ---------------------------------------------------------------

def test_free_cell_links_to_the_booking_form(make, client, auth):
    site = make.site(hours=EVERY_DAY)
    unit = make.unit(site)
    make.user("booker@example.org")
    # Two weeks ahead: past the lead time, well within the horizon, whenever the test runs.
    monday = grid.week_start(local_date(utcnow())) + timedelta(days=14)
    body = page(client, f"/calendar/units/{unit.id}/week?date={monday.isoformat()}")
    links = booking_form_links(body)
    assert len(links) == 7 * 12
    first = {"unit": str(unit.id), "start": format_instant(at_local(monday, time(8))),
             "end": format_instant(at_local(monday, time(9)))}
    assert first in links

    auth.login("booker@example.org")
    form = client.get("/book/new", query_string=first)
    assert form.status_code == 200
    assert unit.name in form.get_data(as_text=True)


def test_day_unit_free_cell_books_the_local_day(make, client):
    site = make.site()
    unit = make.unit(site, kind="popup_shelf", granularity="day")
    monday = grid.week_start(local_date(utcnow())) + timedelta(days=14)
    body = page(client, f"/calendar/units/{unit.id}/week?date={monday.isoformat()}")
    links = booking_form_links(body)
    assert len(links) == 7
    assert {"unit": str(unit.id), "start": format_instant(local_midnight(monday)),
            "end": format_instant(local_midnight(monday + timedelta(days=1)))} in links


# --- daylight saving --------------------------------------------------------------------------

def test_daylight_saving_weeks_have_seven_local_days(make, client):
    site = make.site(hours=EVERY_DAY)
    hourly = make.unit(site)
    daily = make.unit(site, kind="popup_shelf", granularity="day")
    for monday, change_day, hours_long in ((date(2027, 3, 22), date(2027, 3, 28), 23),
                                           (date(2027, 10, 25), date(2027, 10, 31), 25)):
        days = grid.week_days(monday + timedelta(days=3))
        assert days[0] == monday and days[-1] == change_day and len(days) == 7
        data = grid.CalendarData([hourly, daily], monday, change_day, NOW, grid.Viewer())
        cell = data.day_cell(daily, change_day)
        assert cell.state == grid.FREE
        assert (cell.book_start, cell.book_end) == (
            datetime.combine(change_day, time(0), tzinfo=BERLIN),
            datetime.combine(change_day + timedelta(days=1), time(0), tzinfo=BERLIN))
        assert cell.book_end - cell.book_start == timedelta(hours=hours_long)
        # Hourly cells inside the opening hours are whole local hours on the change day too.
        eight = hour_cell(data, hourly, change_day, 8)
        assert eight.state == grid.FREE
        assert eight.book_start.astimezone(BERLIN).hour == 8
        assert eight.book_end - eight.book_start == timedelta(hours=1)

        body = page(client, f"/calendar/{site.slug}/week?date={monday.isoformat()}")
        header = body.split('class="calendar calendar-days"')[1].split("</thead>")[0]
        shown = re.findall(r'<time datetime="([0-9-]+)">', header)
        assert shown == [(monday + timedelta(days=offset)).isoformat() for offset in range(7)]
        hourly_table = body.split('class="calendar calendar-hours"')[1].split("</table>")[0]
        assert hourly_table.count('<tr class="calendar-day">') == 7


def test_hour_that_does_not_exist_has_no_cell():
    assert grid.hour_bounds(date(2027, 3, 28), 2) is None
    start, end = grid.hour_bounds(date(2027, 10, 31), 2)
    assert end - start == timedelta(hours=2)  # 02:00 twice: the cell covers both


# --- month ------------------------------------------------------------------------------------

def test_month_of_february_2027_has_four_monday_first_rows(make, client):
    site = make.site()
    make.unit(site)
    weeks = grid.month_weeks(2027, 2)
    assert len(weeks) == 4 and weeks[0][0] == date(2027, 2, 1) and weeks[-1][-1] == date(2027, 2, 28)
    body = page(client, f"/calendar/{site.slug}/month?month=2027-02")
    assert body.count('<tr class="calendar-week">') == 4
    days = re.findall(r'<time datetime="([0-9-]+)">', body)
    assert days[0] == "2027-02-01" and days[-1] == "2027-02-28" and len(days) == 28
    assert "W 5" in body  # 1 February 2027 is in ISO week 5
    march = grid.month_weeks(2027, 3)
    assert march[0][0] == date(2027, 3, 1) and len(march) == 5
    assert grid.month_weeks(2027, 8)[0][0] == date(2027, 7, 26)


def test_unit_month_shows_own_booking_and_site_month_counts_free_units(make, client, auth):
    site = make.site(hours=EVERY_DAY)
    booker = make.user("booker@example.org")
    unit = make.unit(site, kind="popup_shelf", granularity="day", name="Regal Eins")
    make.unit(site, kind="popup_shelf", granularity="day", name="Regal Zwei")
    make.booking(unit, user=booker, starts_at=local_midnight(date(2027, 2, 10)),
                 ends_at=local_midnight(date(2027, 2, 11)))
    auth.login("booker@example.org")
    body = page(client, f"/calendar/units/{unit.id}/month?month=2027-02")
    day_cell = body.split('<time datetime="2027-02-10">')[1].split("</td>")[0]
    assert "Your booking" in day_cell
    site_body = page(client, f"/calendar/{site.slug}/month?month=2027-02")
    day_cell = site_body.split('<time datetime="2027-02-10">')[1].split("</td>")[0]
    assert "of 2 free" in day_cell and "2 of 2 free" not in day_cell


def test_site_and_unit_pages_link_to_the_calendars(make, client):
    site = make.site()
    unit = make.unit(site)
    site_links = [path for path, _ in calendar_links(page(client, f"/sites/{site.slug}"))]
    assert f"/calendar/{site.slug}/week" in site_links and f"/calendar/{site.slug}/month" in site_links
    unit_links = [path for path, _ in calendar_links(page(client, f"/units/{unit.id}"))]
    assert f"/calendar/units/{unit.id}/week" in unit_links
