"""Pages, downloads and who may see them."""
import csv
import io
from datetime import timedelta

import pytest

from core.time import local_date, utcnow
from reports.dashboard import site_dashboard
from tests.reports.helpers import TEN_HOURS, day, local

QUERY = "from=2027-03-16&to=2027-03-16"


@pytest.fixture
def labs(make):
    herne = make.site("herne", hours=TEN_HOURS, name="Stadtlabor Herne")
    witten = make.site("witten", hours=TEN_HOURS, name="Stadtlabor Witten")
    desk = make.unit(herne, "desk", name="Desk 1")
    make.unit(witten, "desk", name="Desk W")
    tuesday = day("2027-03-16")
    make.booking(desk, starts_at=local(tuesday, 9), ends_at=local(tuesday, 13))
    make.user("herne@example.org", role="manager", sites=[herne])
    make.user("admin@example.org", role="admin")
    make.user("member@example.org")
    return {"herne": herne, "witten": witten, "desk": desk}


def rows_of(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_member_may_not_see_dashboards_or_reports(client, auth, labs):
    auth.login("member@example.org")
    assert client.get("/manage/herne/dashboard").status_code == 403
    assert client.get("/manage/dashboard").status_code == 403
    assert client.get(f"/reports?{QUERY}").status_code == 403
    assert client.get(f"/reports/occupancy.csv?{QUERY}").status_code == 403
    assert client.get(f"/reports/summary.pdf?{QUERY}").status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, labs):
    response = client.get("/manage/herne/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_herne_manager_sees_herne_but_not_witten(client, auth, labs):
    auth.login("herne@example.org")
    assert client.get("/manage/herne/dashboard").status_code == 200
    assert client.get("/manage/witten/dashboard").status_code == 403
    assert client.get(f"/reports?site=witten&{QUERY}").status_code == 403
    assert client.get(f"/reports?site=herne&site=witten&{QUERY}").status_code == 403
    assert client.get(f"/reports/occupancy.csv?site=witten&{QUERY}").status_code == 403
    # Without a site: only Herne, never Witten's units.
    page = client.get(f"/reports?{QUERY}").get_data(as_text=True)
    assert "Desk 1" in page and "Desk W" not in page
    assert client.get("/manage/nowhere/dashboard").status_code == 404


def test_report_page_has_accessible_charts_and_tables(client, auth, labs):
    auth.login("herne@example.org")
    response = client.get(f"/reports?site=herne&{QUERY}&lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<svg' in page and 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "40.0 %" in page  # 4 of 10 open hours, in the table beside the chart
    assert "Stadtlabor Witten" not in page.split("<main")[1].split("</form>")[1]


def test_invalid_dates_are_refused(client, auth, labs):
    auth.login("herne@example.org")
    assert client.get("/reports?from=2027-13-01").status_code == 422
    assert client.get("/reports?from=2027-03-10&to=2027-03-01").status_code == 422
    assert client.get("/reports/nothing.csv").status_code == 404


def test_occupancy_csv_holds_the_figures(client, auth, labs):
    auth.login("herne@example.org")
    response = client.get(f"/reports/occupancy.csv?site=herne&{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == ["site", "unit", "kind", "booked_hours", "open_hours", "occupancy"]
    assert rows[1:] == [["Stadtlabor Herne", "Desk 1", "desk", "4.00", "10.00", "0.4000"]]


def test_heatmap_and_cancellation_csv(client, auth, labs):
    auth.login("herne@example.org")
    rows = rows_of(client.get(f"/reports/heatmap.csv?site=herne&{QUERY}"))
    cells = {(row[1], row[2]): row[3:] for row in rows[1:]}
    assert cells[("Tue", "9")] == ["1.00", "1.00", "1.0000"]
    assert cells[("Tue", "13")] == ["0.00", "1.00", "0.0000"]
    assert cells[("Wed", "9")] == ["0.00", "0.00", ""]  # outside the period: nothing open
    rows = rows_of(client.get(f"/reports/cancellations.csv?site=herne&{QUERY}"))
    assert rows[1][:5] == ["Stadtlabor Herne", "desk", "1", "0", "0"]


@pytest.mark.parametrize("section, first_row", [
    ("occupancy-weekly", ["desk", "2027-W11", "4.00", "20.00", "0.2000"]),
    ("occupancy-monthly", ["desk", "2027-03", "4.00", "20.00", "0.2000"]),
    ("organisations", ["all", "0", "0", "0"]),
    ("revenue", ["2027-03", "0", "1", "0", "0", "0", "0"]),
    ("invoices", ["0", "0", "0", "0"]),
])
def test_every_section_downloads(client, auth, labs, section, first_row):
    auth.login("admin@example.org")
    response = client.get(f"/reports/{section}.csv?{QUERY}")
    assert response.status_code == 200
    # Both labs: two desks open 10 h on the day, one booked 4 h.
    assert rows_of(response)[1] == first_row


def test_summary_pdf(client, auth, labs):
    auth.login("herne@example.org")
    response = client.get(f"/reports/summary.pdf?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_chamber_admin_compares_all_sites(client, auth, labs):
    auth.login("admin@example.org")
    page = client.get(f"/reports?{QUERY}&lang=en").get_data(as_text=True)
    assert "Comparison of the labs" in page
    assert "Stadtlabor Herne" in page and "Stadtlabor Witten" in page
    overview = client.get("/manage/dashboard?lang=en")
    assert overview.status_code == 200
    assert "Stadtlabor Witten" in overview.get_data(as_text=True)
    assert client.get("/manage/witten/dashboard").status_code == 200


def test_dashboard_figures(make, app):
    site = make.site(hours={d: (__import__("datetime").time(0), __import__("datetime").time(23))
                            for d in range(7)})
    desk = make.unit(site, "desk")
    room = make.unit(site, "event_space", needs_approval=True)
    now = local(day("2027-03-16"), 12)
    make.booking(desk, starts_at=local(day("2027-03-16"), 9), ends_at=local(day("2027-03-16"), 11),
                 checked_in_at=local(day("2027-03-16"), 9, 5))
    make.booking(desk, starts_at=local(day("2027-03-16"), 14), ends_at=local(day("2027-03-16"), 15))
    make.booking(desk, starts_at=local(day("2027-03-16"), 16), ends_at=local(day("2027-03-16"), 17),
                 status="cancelled")
    # One request made long ago (overdue), one made today.
    make.booking(room, status="requested", starts_at=local(day("2027-03-30"), 9),
                 ends_at=local(day("2027-03-30"), 12), created_at=now - timedelta(days=20))
    make.booking(room, status="requested", starts_at=local(day("2027-03-31"), 9),
                 ends_at=local(day("2027-03-31"), 12), created_at=now - timedelta(hours=1))

    figures = site_dashboard(site, now)

    assert figures["today_count"] == 2 and figures["checked_in"] == 1
    assert len(figures["pending"]) == 2 and len(figures["overdue"]) == 1
    # Week 15-21 March: desk open 23 h x 7 = 161 h, booked 3 h.
    desk_share = next(row["share"] for row in figures["week"]["by_kind"] if row["kind"] == "desk")
    assert desk_share.booked_hours == 3 and desk_share.open_hours == 161
    assert figures["tenancies"] == []


def test_dashboard_lists_tenancies_ending_soon(make):
    from bookings.tenancy_models import Tenancy
    from extensions import db

    site = make.site()
    partner = make.organisation("Bank", kind="partner")
    today = local_date(utcnow())
    for offset, status in ((10, "approved"), (60, "approved"), (5, "requested")):
        db.session.add(Tenancy(organisation_id=partner.id, site_id=site.id, weekdays="TH",
                               whole_days=True, starts_on=today - timedelta(days=100),
                               ends_on=today + timedelta(days=offset), status=status,
                               proposed_monthly_fee_cents=10000))
    db.session.commit()

    ending = site_dashboard(site, utcnow())["tenancies"]

    assert [tenancy.ends_on for tenancy in ending] == [today + timedelta(days=10)]
