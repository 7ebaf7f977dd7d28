"""Organisation pages: details, invitations, roles, the last admin."""
from accounts.models import Membership, Organisation, User
from core.models import AuditEntry
from extensions import db
from tests.accounts.helpers import build, english, links_in, login, mails, path_of, query, table_counts

EN = {"Accept-Language": "en"}


def setup_org(app):
    def work(make):
        organisation = make.organisation("Flusslicht GmbH", kind="startup")
        make.user("chefin@example.org", organisation=organisation, membership_role="admin",
                  name="Chefin")
        make.user("mitglied@example.org", organisation=organisation, name="Mitglied")
        make.user("fremd@example.org", name="Fremd")
        return organisation.id
    return build(app, work)


def membership_id(app, email):
    return query(app, lambda: db.session.scalar(
        db.select(Membership.id).join(User).where(User.email == email)))


def roles(app, organisation_id):
    return dict(query(app, lambda: db.session.execute(
        db.select(User.email, Membership.role).join(Membership)
        .where(Membership.organisation_id == organisation_id)).all()))


def test_members_see_the_page_outsiders_get_403(app):
    org_id = setup_org(app)
    member = app.test_client()
    login(member, "mitglied@example.org")
    page = member.get(f"/organisations/{org_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Flusslicht GmbH" in text and "chefin@example.org" in text
    assert "/invitations" not in text  # no invite form for plain members
    outsider = app.test_client()
    login(outsider, "fremd@example.org")
    assert outsider.get(f"/organisations/{org_id}").status_code == 403
    assert app.test_client().get(f"/organisations/{org_id}").status_code == 302


def test_only_admins_edit_the_details(app):
    org_id = setup_org(app)
    values = {"name": "Flusslicht GmbH", "kind": "startup", "founded_on": "2025-02-15",
              "street": "Ruhrstraße 3", "postcode": "58452", "municipality": "Witten",
              "vat_id": "de 987654321", "chamber_member_number": "IHK-1",
              "public_routing_id": "", "billing_email": "rechnung@flusslicht.example"}
    member = app.test_client()
    login(member, "mitglied@example.org")
    assert member.post(f"/organisations/{org_id}/edit", data=values).status_code == 403

    admin = app.test_client()
    login(admin, "chefin@example.org")
    assert admin.post(f"/organisations/{org_id}/edit", data=values).status_code == 302

    def saved():
        organisation = db.session.get(Organisation, org_id)
        return (organisation.municipality, organisation.postcode, organisation.vat_id,
                organisation.public_routing_id, str(organisation.founded_on))

    assert query(app, saved) == ("Witten", "58452", "DE987654321", None, "2025-02-15")


def test_bad_organisation_details_write_nothing(app):
    org_id = setup_org(app)
    admin = english(app.test_client())
    login(admin, "chefin@example.org")
    before = table_counts(app)
    response = admin.post(f"/organisations/{org_id}/edit", headers=EN, data={
        "name": "", "kind": "startup", "public_routing_id": "keine-id", "vat_id": "123"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please enter the name of the organisation." in text
    assert "Leitweg-ID" in text
    assert "VAT ID such as" in text
    assert table_counts(app) == before


def test_a_user_creates_an_organisation_and_becomes_its_admin(app):
    build(app, lambda make: make.user("gruender@example.org"))
    client = app.test_client()
    login(client, "gruender@example.org")
    response = client.post("/organisations/new", data={
        "name": "Neue Idee UG", "kind": "startup", "postcode": "44787", "municipality": "Bochum"})
    assert response.status_code == 302
    org_id = query(app, lambda: db.session.scalar(
        db.select(Organisation.id).where(Organisation.name == "Neue Idee UG")))
    assert roles(app, org_id) == {"gruender@example.org": "admin"}
    assert "Neue Idee UG" in client.get("/account").get_data(as_text=True)


def test_invitation_of_an_existing_account(app):
    org_id = setup_org(app)
    admin = app.test_client()
    login(admin, "chefin@example.org")
    response = admin.post(f"/organisations/{org_id}/invitations",
                          data={"email": "Fremd@Example.org", "role": "member"})
    assert response.status_code == 302
    [mail] = mails(app, "fremd@example.org")
    assert mail["kind"] == "account_invitation"
    link = path_of(next(link for link in links_in(mail) if "/invitations/" in link))

    # Anyone else logged in cannot use it.
    other = app.test_client()
    login(other, "mitglied@example.org")
    assert other.post(link).status_code == 403

    invitee = app.test_client()
    assert "/login" in invitee.get(link).get_data(as_text=True)  # asks to log in first
    login(invitee, "fremd@example.org")
    assert invitee.post(link).status_code == 302
    assert roles(app, org_id)["fremd@example.org"] == "member"
    assert invitee.get(f"/organisations/{org_id}").status_code == 200
    # Accepted once; the link is used up.
    assert invitee.post(link).status_code == 422


def test_invitation_of_a_new_person_who_registers_first(app):
    org_id = setup_org(app)
    admin = app.test_client()
    login(admin, "chefin@example.org")
    admin.post(f"/organisations/{org_id}/invitations",
               data={"email": "neu@example.org", "role": "admin"})
    [mail] = mails(app, "neu@example.org")
    link = path_of(next(link for link in links_in(mail) if "/invitations/" in link))
    assert any("/register" in url for url in links_in(mail))

    newcomer = app.test_client()
    newcomer.post("/register", data={"email": "neu@example.org", "display_name": "Neu",
                                     "password": "lang-genug-1", "password_repeat": "lang-genug-1",
                                     "locale": "de"})
    login(newcomer, "neu@example.org", "lang-genug-1")
    assert newcomer.post(link).status_code == 302
    assert roles(app, org_id)["neu@example.org"] == "admin"


def test_inviting_a_member_again_is_a_form_error(app):
    org_id = setup_org(app)
    admin = english(app.test_client())
    login(admin, "chefin@example.org")
    before = table_counts(app)
    response = admin.post(f"/organisations/{org_id}/invitations", headers=EN,
                          data={"email": "mitglied@example.org", "role": "member"})
    assert response.status_code == 422
    assert "already a member" in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_members_cannot_invite(app):
    org_id = setup_org(app)
    member = app.test_client()
    login(member, "mitglied@example.org")
    before = table_counts(app)
    response = member.post(f"/organisations/{org_id}/invitations",
                           data={"email": "x@example.org", "role": "admin"})
    assert response.status_code == 403
    assert table_counts(app) == before


def test_admin_changes_a_role_and_it_is_audited(app):
    org_id = setup_org(app)
    admin = app.test_client()
    login(admin, "chefin@example.org")
    target = membership_id(app, "mitglied@example.org")
    response = admin.post(f"/organisations/{org_id}/members/{target}/role", data={"role": "admin"})
    assert response.status_code == 302
    assert roles(app, org_id)["mitglied@example.org"] == "admin"
    entry = query(app, lambda: db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "organisation.member_role_changed")))
    assert entry.before["role"] == "member" and entry.after["role"] == "admin"


def test_members_cannot_change_roles(app):
    org_id = setup_org(app)
    member = app.test_client()
    login(member, "mitglied@example.org")
    own = membership_id(app, "mitglied@example.org")
    assert member.post(f"/organisations/{org_id}/members/{own}/role",
                       data={"role": "admin"}).status_code == 403
    assert roles(app, org_id)["mitglied@example.org"] == "member"


def test_the_last_admin_can_be_neither_demoted_nor_removed(app):
    org_id = setup_org(app)
    admin = english(app.test_client())
    login(admin, "chefin@example.org")
    own = membership_id(app, "chefin@example.org")
    before = table_counts(app)
    demote = admin.post(f"/organisations/{org_id}/members/{own}/role", headers=EN,
                        data={"role": "member"})
    assert demote.status_code == 422
    assert "at least one admin" in demote.get_data(as_text=True)
    remove = admin.post(f"/organisations/{org_id}/members/{own}/remove", headers=EN)
    assert remove.status_code == 422
    assert table_counts(app) == before
    assert roles(app, org_id)["chefin@example.org"] == "admin"

    # With a second admin, the first may step down.
    other = membership_id(app, "mitglied@example.org")
    admin.post(f"/organisations/{org_id}/members/{other}/role", data={"role": "admin"})
    assert admin.post(f"/organisations/{org_id}/members/{own}/role",
                      data={"role": "member"}).status_code == 302
    assert roles(app, org_id)["chefin@example.org"] == "member"


def test_admin_removes_a_member(app):
    org_id = setup_org(app)
    admin = app.test_client()
    login(admin, "chefin@example.org")
    target = membership_id(app, "mitglied@example.org")
    assert admin.post(f"/organisations/{org_id}/members/{target}/remove").status_code == 302
    assert "mitglied@example.org" not in roles(app, org_id)
    actions = query(app, lambda: db.session.scalars(db.select(AuditEntry.action)).all())
    assert "organisation.member_removed" in actions


def test_membership_of_another_organisation_is_404(app):
    org_id = setup_org(app)

    def other_org(make):
        organisation = make.organisation("Andere GmbH")
        make.user("andere@example.org", organisation=organisation)
        return organisation.id

    build(app, other_org)
    admin = app.test_client()
    login(admin, "chefin@example.org")
    foreign = membership_id(app, "andere@example.org")
    assert admin.post(f"/organisations/{org_id}/members/{foreign}/remove").status_code == 404
