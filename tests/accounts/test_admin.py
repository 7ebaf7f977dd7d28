"""The chamber admin's user pages: roles, audit, and 403 for everyone else."""
import pytest

from accounts.models import SiteRole, User
from core.models import AuditEntry
from extensions import db
from tests.accounts.helpers import build, english, login, query, table_counts

EN = {"Accept-Language": "en"}


@pytest.fixture
def people(app):
    def work(make):
        herne = make.site("herne", name="Stadtlabor Herne")
        witten = make.site("witten", name="Stadtlabor Witten")
        make.user("chef@example.org", role="admin", name="Chef")
        make.user("herne@example.org", role="manager", sites=[herne], name="Henrik")
        make.user("mia@example.org", name="Mia Mitglied")
        return {"herne": herne.id, "witten": witten.id}
    return build(app, work)


def user_id(app, email):
    return query(app, lambda: db.session.scalar(db.select(User.id).where(User.email == email)))


def site_ids_of(app, email):
    return set(query(app, lambda: db.session.scalars(
        db.select(SiteRole.site_id).join(User).where(User.email == email)).all()))


def is_admin(app, email):
    return query(app, lambda: db.session.scalar(
        db.select(User.is_chamber_admin).where(User.email == email)))


@pytest.mark.parametrize("email", ["herne@example.org", "mia@example.org"])
def test_non_admins_get_403(app, people, email):
    client = app.test_client()
    login(client, email)
    target = user_id(app, "mia@example.org")
    before = table_counts(app)
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target}").status_code == 403
    assert client.post(f"/admin/users/{target}/chamber-admin",
                       data={"make_admin": "1"}).status_code == 403
    assert client.post(f"/admin/users/{target}/site-roles",
                       data={"site_id": people["witten"], "action": "grant"}).status_code == 403
    assert table_counts(app) == before
    assert is_admin(app, "mia@example.org") is False


def test_anonymous_is_sent_to_the_login(app, people):
    response = app.test_client().get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_lists_and_searches_users(app, people):
    client = app.test_client()
    login(client, "chef@example.org")
    everyone = client.get("/admin/users").get_data(as_text=True)
    assert all(email in everyone for email in
               ("chef@example.org", "herne@example.org", "mia@example.org"))
    found = client.get("/admin/users?q=MITGLIED").get_data(as_text=True)
    assert "mia@example.org" in found
    assert "herne@example.org" not in found
    # A LIKE wildcard in the query is taken literally.
    assert "mia@example.org" not in client.get("/admin/users?q=%25").get_data(as_text=True)


def test_admin_grants_and_revokes_lab_manager_with_audit(app, people):
    client = app.test_client()
    login(client, "chef@example.org")
    mia = user_id(app, "mia@example.org")
    response = client.post(f"/admin/users/{mia}/site-roles",
                           data={"site_id": people["witten"], "action": "grant"})
    assert response.status_code == 302
    assert site_ids_of(app, "mia@example.org") == {people["witten"]}

    manager = app.test_client()
    login(manager, "mia@example.org")
    assert manager.get("/manage/witten").status_code == 200

    client.post(f"/admin/users/{mia}/site-roles",
                data={"site_id": people["witten"], "action": "revoke"})
    assert site_ids_of(app, "mia@example.org") == set()
    assert manager.get("/manage/witten").status_code == 403
    actions = query(app, lambda: db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.site_id)
        .where(AuditEntry.subject_id == mia).order_by(AuditEntry.id)).all())
    chef = user_id(app, "chef@example.org")
    assert [tuple(row) for row in actions] == [
        ("site_role.granted", chef, people["witten"]),
        ("site_role.revoked", chef, people["witten"]),
    ]


def test_unknown_site_is_a_form_error(app, people):
    client = app.test_client()
    login(client, "chef@example.org")
    mia = user_id(app, "mia@example.org")
    before = table_counts(app)
    response = client.post(f"/admin/users/{mia}/site-roles", data={"site_id": 9999,
                                                                   "action": "grant"})
    assert response.status_code == 422
    assert table_counts(app) == before


def test_admin_makes_and_unmakes_chamber_admins(app, people):
    client = app.test_client()
    login(client, "chef@example.org")
    mia = user_id(app, "mia@example.org")
    assert client.post(f"/admin/users/{mia}/chamber-admin",
                       data={"make_admin": "1"}).status_code == 302
    assert is_admin(app, "mia@example.org") is True
    mia_client = app.test_client()
    login(mia_client, "mia@example.org")
    assert mia_client.get("/admin/users").status_code == 200

    assert client.post(f"/admin/users/{mia}/chamber-admin",
                       data={"make_admin": "0"}).status_code == 302
    assert is_admin(app, "mia@example.org") is False
    assert mia_client.get("/admin/users").status_code == 403
    actions = query(app, lambda: db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.subject_id == mia)).all())
    assert actions == ["user.chamber_admin_granted", "user.chamber_admin_revoked"]


def test_the_last_chamber_admin_stays(app, people):
    client = english(app.test_client())
    login(client, "chef@example.org")
    chef = user_id(app, "chef@example.org")
    before = table_counts(app)
    response = client.post(f"/admin/users/{chef}/chamber-admin", data={"make_admin": "0"},
                           headers=EN)
    assert response.status_code == 422
    assert "at least one chamber admin" in response.get_data(as_text=True)
    assert is_admin(app, "chef@example.org") is True
    assert table_counts(app) == before
