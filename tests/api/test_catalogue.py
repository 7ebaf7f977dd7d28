"""Sites, units and the caller."""
from datetime import date, time, timedelta

from core.time import local_date, utcnow
from tests.api.conftest import error_of


def test_sites_are_listed_with_hours_and_upcoming_closures(api, make):
    witten = make.site("witten", name="Stadtlabor Witten")
    make.site("bochum", name="Stadtlabor Bochum")
    today = local_date(utcnow())
    make.closure(witten, today - timedelta(days=30), reason="Vergangen")
    make.closure(witten, today + timedelta(days=3), today + timedelta(days=4), reason="Inventur")

    response = api.get("/sites")

    assert response.status_code == 200
    body = response.get_json()
    assert body["next"] is None
    assert [site["slug"] for site in body["items"]] == ["bochum", "witten"]
    site = body["items"][1]
    assert site["name"] == "Stadtlabor Witten"
    assert site["address"] == "Teststraße 1"
    assert (site["postcode"], site["city"]) == ("44787", "Bochum")
    assert {"weekday": 5, "opens": "10:00", "closes": "16:00"} in site["opening_hours"]
    assert len(site["opening_hours"]) == 6
    assert site["closures"] == [{
        "starts_on": (today + timedelta(days=3)).isoformat(),
        "ends_on": (today + timedelta(days=4)).isoformat(),
        "reason": "Inventur",
    }]


def test_one_site_and_an_unknown_one(api, make):
    make.site("herne", hours={0: (time(9), time(17))})
    body = api.get("/sites/herne").get_json()
    assert body["slug"] == "herne"
    assert body["opening_hours"] == [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]
    error = error_of(api.get("/sites/atlantis"), 404, "not_found")
    assert "atlantis" in error["message"]


def test_units_of_a_site_filtered_by_kind(api, make):
    site = make.site("witten")
    desk = make.unit(site, "desk", name="Desk 1", group_name="Desk area", min_length=2,
                     max_length=8, lead_time_minutes=30, horizon_days=400)
    make.unit(site, "popup_shelf", granularity="day", name="Shelf A", needs_approval=True)
    make.unit(site, "desk", name="Retired desk", active=False)
    make.unit(make.site("bochum"), "desk", name="Bochum desk")

    body = api.get("/sites/witten/units").get_json()
    assert [unit["name"] for unit in body["items"]] == ["Desk 1", "Shelf A"]

    desks = api.get("/sites/witten/units?kind=desk").get_json()["items"]
    assert desks == [{
        "id": desk.id, "site": "witten", "kind": "desk", "name": "Desk 1",
        "group": "Desk area", "granularity": "hour", "needs_approval": False,
        "min_length": 2, "max_length": 8, "lead_time_minutes": 30, "horizon_days": 400,
        "capacity": 1, "description": "",
        "ical_url": f"http://localhost/ical/units/{desk.id}.ics",
    }]
    shelves = api.get("/sites/witten/units?kind=popup_shelf").get_json()["items"]
    assert shelves[0]["granularity"] == "day" and shelves[0]["needs_approval"] is True


def test_units_with_an_unknown_kind_or_site(api, make):
    make.site("witten")
    error = error_of(api.get("/sites/witten/units?kind=spaceship"), 422, "validation")
    assert error["details"]["fields"] == {"kind": "unknown"}
    error_of(api.get("/sites/atlantis/units"), 404, "not_found")


def test_one_unit_and_an_unknown_one(api, make):
    unit = make.unit(make.site("herne"), "meeting_room", name="Room Ruhr", capacity=8)
    body = api.get(f"/units/{unit.id}").get_json()
    assert (body["name"], body["site"], body["capacity"]) == ("Room Ruhr", "herne", 8)
    error_of(api.get(f"/units/{unit.id + 1000}"), 404, "not_found")
    error_of(api.get("/units/not-a-number"), 404, "not_found")


def test_me_describes_the_caller(api, make):
    witten, bochum = make.site("witten"), make.site("bochum")
    make.site("herne")
    startup = make.organisation("Flusslicht GmbH")
    user = make.user("Anna@Example.org", role="manager", sites=[witten, bochum],
                     organisation=startup, membership_role="admin", name="Anna Berg")

    body = api.as_user(user).get("/me").get_json()

    assert body.pop("ical_url").startswith(f"http://localhost/ical/users/{user.id}-")
    assert body == {
        "id": user.id,
        "email": "anna@example.org",
        "name": "Anna Berg",
        "roles": {"chamber_admin": False, "manager_of": ["bochum", "witten"]},
        "organisations": [{"id": startup.id, "name": "Flusslicht GmbH", "role": "admin"}],
    }


def test_a_chamber_admin_manages_every_site(api, make):
    make.site("witten")
    make.site("bochum")
    admin = make.user(role="admin")
    roles = api.as_user(admin).get("/me").get_json()["roles"]
    assert roles == {"chamber_admin": True, "manager_of": ["bochum", "witten"]}


def test_me_needs_a_caller(api, make):
    error = error_of(api.get("/me"), 401, "unauthenticated")
    assert error["details"] == {}


def test_unknown_routes_and_methods_answer_json(api, make):
    error_of(api.get("/nothing-here"), 404, "not_found")
    response = api.request("DELETE", "/sites")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_renewing_the_private_feed_token_revokes_the_old_url(api, make, client):
    user = make.user()
    api.as_user(user)
    old_url = api.get("/me").get_json()["ical_url"]
    assert client.get(old_url).status_code == 200

    renewed = api.post("/me/ical-token", json={}).get_json()["ical_url"]

    assert renewed != old_url
    assert api.get("/me").get_json()["ical_url"] == renewed
    assert client.get(old_url).status_code == 404
    response = client.get(renewed)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"


def test_sites_link_their_public_feed(api, make, client):
    make.site("witten")
    site = api.get("/sites/witten").get_json()
    assert site["ical_url"] == "http://localhost/ical/sites/witten.ics"
    assert client.get(site["ical_url"]).status_code == 200
