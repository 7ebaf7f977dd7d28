"""A member downloads all their data, and deletes their account (anonymised, not gone)."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from accounts.auth import hash_token, issue_api_token
from accounts.models import ApiToken, Invitation, Membership, User
from bookings.models import Booking
from core.errors import ValidationError
from core.models import AuditEntry, OutboxMessage
from core.time import utcnow
from extensions import db
from privacy.services import delete_account

PAST = datetime(2025, 3, 4, 9, tzinfo=timezone.utc)


def _mail(recipient, subject):
    db.session.add(OutboxMessage(message_id=f"<{subject}@x>", recipient=recipient,
                                 subject=subject, body_text="Hallo", kind="test"))


@pytest.fixture
def member(make):
    organisation = make.organisation("Flusslicht GmbH")
    user = make.user("anna@example.org", name="Anna Schmidt", organisation=organisation)
    booking = make.booking(user=user, organisation=organisation, starts_at=PAST,
                           ends_at=PAST + timedelta(hours=2), purpose="Team workshop Anna")
    db.session.add(AuditEntry(actor_id=user.id, action="user.password_changed",
                              subject_type="user", subject_id=user.id))
    db.session.add(AuditEntry(actor_id=None, action="organisation.member_invited",
                              subject_type="organisation", subject_id=organisation.id,
                              after={"email": "anna@example.org", "role": "member"}))
    _mail("anna@example.org", "Your booking is confirmed")
    _mail("someone.else@example.org", "Not for Anna")
    db.session.add(Invitation(organisation_id=organisation.id, email="anna@example.org"))
    db.session.commit()
    token = issue_api_token(user)
    return {"id": user.id, "booking": booking.id, "organisation": organisation.id,
            "token": token}


def test_a_member_downloads_all_their_data(client, auth, make, member):
    other = make.user("bernd@example.org")
    make.booking(user=other, purpose="Bernd's secret meeting",
                 starts_at=PAST + timedelta(days=1))
    auth.login("anna@example.org")

    response = client.get("/account/data.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["account"]["email"] == "anna@example.org"
    assert data["account"]["display_name"] == "Anna Schmidt"
    assert data["memberships"] == [{"organisation_id": member["organisation"],
                                    "organisation": "Flusslicht GmbH", "role": "member"}]
    assert [b["id"] for b in data["bookings"]] == [member["booking"]]
    assert data["bookings"][0]["purpose"] == "Team workshop Anna"
    assert [m["subject"] for m in data["mails"]] == ["Your booking is confirmed"]
    assert [e["action"] for e in data["audit_entries"]] == ["user.password_changed"]
    assert len(data["api_tokens"]) == 1
    assert data["invitations"][0]["organisation"] == "Flusslicht GmbH"
    # Secrets and other people's data stay out.
    assert "password_hash" not in text and hash_token(member["token"]) not in text
    assert "Bernd" not in text and "Not for Anna" not in text


def test_the_data_download_needs_a_login(client):
    response = client.get("/account/data.json")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _delete(client, password="secret-password", understood="y"):
    data = {"password": password}
    if understood:
        data["understood"] = understood
    return client.post("/account/delete", data=data, query_string={"lang": "en"})


@pytest.mark.parametrize("password, understood", [("wrong-password", "y"),
                                                  ("secret-password", None)])
def test_deleting_needs_the_password_and_the_tick(client, auth, member, counts, password,
                                                  understood):
    auth.login("anna@example.org")
    before = counts()
    response = _delete(client, password, understood)
    assert response.status_code == 422
    assert counts() == before
    assert db.session.get(User, member["id"]).email == "anna@example.org"


def test_deleting_the_account_anonymises_the_person(client, auth, member):
    auth.login("anna@example.org")
    response = _delete(client)
    assert response.status_code == 302

    db.session.expire_all()
    user = db.session.get(User, member["id"])
    assert "anna" not in user.email and user.display_name == "deleted user"
    assert not user.check_password("secret-password")
    assert db.session.scalar(db.select(db.func.count()).select_from(Membership)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0
    assert db.session.scalars(db.select(Invitation)).all() == []
    assert db.session.scalars(db.select(OutboxMessage.recipient)).all() == [
        "someone.else@example.org"]
    # The booking stays (statistics, invoices) but tells nothing about Anna.
    booking = db.session.get(Booking, member["booking"])
    assert booking.booked_by_id == user.id and booking.purpose == ""
    entries = db.session.scalars(db.select(AuditEntry)).all()
    assert "anna@example.org" not in json.dumps([[e.before, e.after] for e in entries])
    assert "user.deleted" in {e.action for e in entries}
    # Logged out, and the old password opens nothing.
    assert client.get("/account").status_code == 302
    assert auth.login("anna@example.org").status_code == 422


def test_an_api_token_stops_working_when_the_account_is_deleted(client, auth, member):
    headers = {"Authorization": f"Bearer {member['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    auth.login("anna@example.org")
    _delete(client)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_last_admin_of_an_organisation_with_members_cannot_delete(client, auth, make,
                                                                      counts):
    organisation = make.organisation("Ruhrbeans")
    make.user("admin@example.org", organisation=organisation, membership_role="admin")
    make.user("staff@example.org", organisation=organisation)
    auth.login("admin@example.org")
    before = counts()
    response = _delete(client)
    assert response.status_code == 422
    assert "only admin of Ruhrbeans" in response.get_data(as_text=True)
    assert counts() == before


def test_the_only_member_of_an_organisation_may_delete(client, auth, make):
    organisation = make.organisation("Solo GmbH")
    make.user("solo@example.org", organisation=organisation, membership_role="admin")
    auth.login("solo@example.org")
    assert _delete(client).status_code == 302


def test_upcoming_bookings_must_be_cancelled_first(client, auth, make, counts):
    user = make.user("busy@example.org")
    soon = utcnow() + timedelta(days=3)
    make.booking(user=user, starts_at=soon, ends_at=soon + timedelta(hours=1))
    auth.login("busy@example.org")
    before = counts()
    response = _delete(client)
    assert response.status_code == 422
    assert "1 upcoming booking" in response.get_data(as_text=True)
    assert counts() == before


def test_the_last_chamber_admin_cannot_delete_the_account(make):
    admin = make.user("chief@example.org", role="admin")
    with pytest.raises(ValidationError) as raised:
        delete_account(admin, now=utcnow())
    assert raised.value.message_key == "last_chamber_admin"
    make.user("deputy@example.org", role="admin")
    delete_account(db.session.get(User, admin.id), now=utcnow())
    assert db.session.get(User, admin.id).is_chamber_admin is False


def test_the_profile_links_to_the_privacy_pages(client, auth, make):
    make.user("anna@example.org")
    auth.login("anna@example.org")
    html = client.get("/account?lang=en").get_data(as_text=True)
    assert 'href="/account/data.json"' in html
    assert 'href="/account/delete"' in html
    assert client.get("/account/delete").status_code == 200
