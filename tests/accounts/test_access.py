"""Every demo role can log in; the manager pages follow the site roles."""
import pytest

import bootstrap
from tests.accounts.helpers import app_ctx, login

MANAGER_OF = {
    "manager.bochum@stadtlabor.example": "bochum",
    "manager.hattingen@stadtlabor.example": "hattingen",
    "manager.herne@stadtlabor.example": "herne",
    "manager.witten@stadtlabor.example": "witten",
}


@pytest.fixture
def demo(app):
    with app_ctx(app):
        bootstrap.load_demo_data()


def test_each_demo_role_can_log_in(app, demo):
    # One demo load for all roles keeps the suite fast.
    for email, *_ in bootstrap.USERS:
        client = app.test_client()
        response = login(client, email, bootstrap.DEMO_PASSWORD)
        assert response.status_code == 302, email
        profile = client.get("/account")
        assert profile.status_code == 200, email
        assert email in profile.get_data(as_text=True)


def test_wrong_demo_password_is_refused(app, demo):
    client = app.test_client()
    response = login(client, "admin@stadtlabor.example", "wrong-password")
    assert response.status_code == 422
    assert client.get("/account").status_code == 302


def test_member_gets_403_on_manager_pages(app, demo):
    client = app.test_client()
    login(client, "coworker@stadtlabor.example", bootstrap.DEMO_PASSWORD)
    assert client.get("/manage/herne").status_code == 403
    assert client.get("/manage/").status_code == 403


def test_herne_manager_manages_herne_only(app, demo):
    client = app.test_client()
    login(client, "manager.herne@stadtlabor.example", bootstrap.DEMO_PASSWORD)
    assert client.get("/manage/witten").status_code == 403
    page = client.get("/manage/herne")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Stadtlabor Herne" in text
    assert "Schaufenster" in text  # a unit of the site
    assert "Henrik Herne" in text  # its manager
    overview = client.get("/manage/").get_data(as_text=True)
    assert "/manage/herne" in overview
    assert "/manage/witten" not in overview


def test_each_manager_is_refused_at_the_other_sites(app, demo):
    for email, slug in MANAGER_OF.items():
        client = app.test_client()
        login(client, email, bootstrap.DEMO_PASSWORD)
        for other in MANAGER_OF.values():
            expected = 200 if other == slug else 403
            assert client.get(f"/manage/{other}").status_code == expected, (email, other)


def test_chamber_admin_manages_every_site(app, demo):
    client = app.test_client()
    login(client, "admin@stadtlabor.example", bootstrap.DEMO_PASSWORD)
    assert client.get("/manage/herne").status_code == 200
    assert client.get("/manage/witten").status_code == 200
    overview = client.get("/manage/").get_data(as_text=True)
    for slug in MANAGER_OF.values():
        assert f"/manage/{slug}" in overview


def test_anonymous_is_sent_to_the_login(app, demo):
    client = app.test_client()
    for path in ("/manage/", "/manage/herne"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_unknown_site_is_404_for_a_manager(app, demo):
    client = app.test_client()
    login(client, "admin@stadtlabor.example", bootstrap.DEMO_PASSWORD)
    assert client.get("/manage/dortmund").status_code == 404


def test_manager_page_lists_upcoming_closures(app):
    from datetime import date, timedelta

    from core.time import local_date, utcnow
    from tests.accounts.helpers import build

    today = local_date(utcnow())

    def work(make):
        site = make.site("herne", name="Stadtlabor Herne")
        make.closure(site, today + timedelta(days=3), reason="Inventur")
        make.closure(site, date(2020, 1, 1), reason="Lange vorbei")
        make.user("m@example.org", role="manager", sites=[site])

    build(app, work)
    client = app.test_client()
    login(client, "m@example.org")
    text = client.get("/manage/herne").get_data(as_text=True)
    assert "Inventur" in text
    assert "Lange vorbei" not in text
