"""``flask users create``, ``flask users token`` and ``flask demo-data``."""
import pytest

import bootstrap
from accounts.auth import hash_token
from accounts.models import ApiToken, SiteRole, User
from extensions import db
from tests.accounts.helpers import app_ctx, build, query, table_counts


@pytest.fixture
def herne(app):
    return build(app, lambda make: make.site("herne", name="Stadtlabor Herne").id)


def user_facts(app, email):
    def work():
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            return None
        sites = set(db.session.scalars(db.select(SiteRole.site_id).where(
            SiteRole.user_id == user.id)))
        return {"admin": user.is_chamber_admin, "confirmed": user.is_confirmed, "sites": sites}
    return query(app, work)


def test_create_member(app, runner):
    result = runner.invoke(args=["users", "create", "m@example.org", "--password", "lang-genug-1"])
    assert result.exit_code == 0, result.output
    assert user_facts(app, "m@example.org") == {"admin": False, "confirmed": True, "sites": set()}
    client = app.test_client()
    assert client.post("/login", data={"email": "m@example.org",
                                       "password": "lang-genug-1"}).status_code == 302


def test_create_manager_with_site(app, runner, herne):
    result = runner.invoke(args=["users", "create", "mgr@example.org", "--password",
                                 "lang-genug-1", "--role", "manager", "--site", "herne"])
    assert result.exit_code == 0, result.output
    assert user_facts(app, "mgr@example.org")["sites"] == {herne}


def test_create_admin(app, runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--password", "lang-genug-1",
                                 "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert user_facts(app, "a@example.org")["admin"] is True


@pytest.mark.parametrize("args,fragment", [
    (["--role", "manager"], "--site"),
    (["--role", "manager", "--site", "dortmund"], "dortmund"),
])
def test_manager_without_a_known_site_fails_and_writes_nothing(app, runner, herne, args, fragment):
    before = table_counts(app)
    result = runner.invoke(args=["users", "create", "x@example.org", "--password",
                                 "lang-genug-1", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert table_counts(app) == before


def test_duplicate_email_fails_with_one_line(app, runner):
    build(app, lambda make: make.user("dup@example.org"))
    before = table_counts(app)
    result = runner.invoke(args=["users", "create", "DUP@example.org", "--password",
                                 "lang-genug-1"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "dup@example.org" in lines[0]
    assert table_counts(app) == before


@pytest.mark.parametrize("email,password", [("kein-at", "lang-genug-1"), ("ok@example.org", "kurz")])
def test_bad_email_or_password_fails(app, runner, email, password):
    before = table_counts(app)
    result = runner.invoke(args=["users", "create", email, "--password", password])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert table_counts(app) == before


def test_token_authenticates_and_only_its_hash_is_stored(app, runner, herne):
    build(app, lambda make: make.user("mgr@example.org", role="manager",
                                      sites=[make_site(herne)]))
    result = runner.invoke(args=["users", "token", "mgr@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 32 and " " not in token

    stored = query(app, lambda: db.session.scalars(db.select(ApiToken.token_hash)).all())
    assert stored == [hash_token(token)]
    assert token not in stored

    client = app.test_client()
    assert client.get("/manage/").status_code == 302  # no credential: login page
    page = client.get("/manage/", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200
    assert "/manage/herne" in page.get_data(as_text=True)
    wrong = client.get("/manage/", headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status_code == 302


def make_site(site_id):
    from spaces.models import Site

    return db.session.get(Site, site_id)


def test_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "token", "niemand@example.org"])
    assert result.exit_code == 1
    assert "niemand@example.org" in result.output


def test_demo_data_is_idempotent(app, runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    after_first = table_counts(app)
    assert after_first["sites"] == 4
    assert after_first["users"] == len(bootstrap.USERS)
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0, second.output
    assert table_counts(app) == after_first
    with app_ctx(app):
        assert db.session.scalar(db.select(db.func.count()).select_from(SiteRole)) == 4
