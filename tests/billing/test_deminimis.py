"""De-minimis: aid summed over any three years, the ceiling refused whole, the certificate."""
from datetime import date

import sqlalchemy as sa

from billing.deminimis import Aid, declare_aid, window_total
from billing.models import DeminimisDeclaration, SubsidyGrant
from bookings.services import create_booking
from core.models import OutboxMessage
from core.time import add_steps, local_midnight, utcnow
from extensions import db
from tests.billing.conftest import add_programme, next_weekday, set_price, startup


def aid(day, cents):
    return Aid(day, cents, "Land", "")


def test_any_three_year_window_counts():
    aids = [aid(date(2024, 1, 10), 100), aid(date(2026, 6, 1), 200), aid(date(2027, 1, 9), 50)]
    # A window containing 2027-01-09 can reach back to 2024-01-10 (three years less a day).
    assert window_total(aids, date(2027, 1, 9)) == 350
    # From 2027-01-10 on the 2024 aid has left every window that contains the day.
    assert window_total(aids, date(2027, 1, 10)) == 250
    # A later aid in a window that contains the day counts too.
    assert window_total(aids + [aid(date(2027, 6, 1), 40)], date(2027, 1, 10)) == 290


def test_a_subsidy_past_the_ceiling_is_refused_and_the_manager_warned(make, ceiling):
    ceiling.config["DEMINIMIS_CEILING_CENTS"] = 10_000
    site = make.site()
    manager = make.user(email="manager@example.org", role="manager", sites=[site])
    shelf = make.unit(site, "popup_shelf", granularity="day", max_length=60)
    set_price(shelf, 2_000)
    add_programme(budget_cents=1_000_000)
    organisation = startup(make)
    user = make.user(organisation=organisation)
    declare_aid(make.user(role="admin"), organisation, granted_on=date(2025, 1, 1),
                amount_cents=8_000, grantor="Stadt Bochum", now=utcnow())
    start = local_midnight(next_weekday(0))
    booking = create_booking(user, unit=shelf, starts_at=start,
                             ends_at=add_steps(start, "day", 3), now=utcnow(),
                             organisation=organisation, terms_accepted=True)
    # 30.00 subsidy on top of 80.00 declared would pass the 100.00 ceiling: none of it.
    assert booking.price["subsidy_cents"] == 0
    assert booking.price["notices"] == ["deminimis_ceiling"]
    assert booking.price["net_cents"] == 6_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubsidyGrant)) == 0
    [mail] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "payment_subsidy_refused")).all()
    assert mail.recipient == manager.email


def test_the_record_page_and_the_certificate(client, auth, make):
    admin = make.user(email="admin@example.org", role="admin")
    organisation = startup(make, name="Flusslicht GmbH")
    shelf = make.unit(make.site(), "popup_shelf", granularity="day", max_length=60)
    set_price(shelf, 2_000)
    add_programme(name="Anschubfinanzierung")
    member = make.user(organisation=organisation)
    start = local_midnight(next_weekday(0))
    create_booking(member, unit=shelf, starts_at=start, ends_at=add_steps(start, "day", 3),
                   now=utcnow(), organisation=organisation, terms_accepted=True)
    auth.login(admin.email)
    page = client.get(f"/billing/organisations/{organisation.id}/deminimis?lang=en")
    assert page.status_code == 200
    assert "Anschubfinanzierung" in page.get_data(as_text=True)
    answer = client.post(f"/billing/organisations/{organisation.id}/deminimis", data={
        "granted_on": "2025-05-01", "amount": "1.234,50", "grantor": "Land NRW"})
    assert answer.status_code == 302
    declared = db.session.scalar(sa.select(DeminimisDeclaration))
    assert (declared.amount_cents, declared.grantor) == (123_450, "Land NRW")
    pdf = client.get(f"/billing/organisations/{organisation.id}/deminimis.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_strangers_see_no_de_minimis_record(client, auth, make):
    organisation = startup(make)
    stranger = make.user()
    auth.login(stranger.email)
    assert client.get(f"/billing/organisations/{organisation.id}/deminimis").status_code == 403
    assert client.get(f"/billing/organisations/{organisation.id}/deminimis.pdf") \
        .status_code == 403


def test_funding_admin_pages(client, auth, make, counts):
    admin = make.user(email="admin2@example.org", role="admin")
    auth.login(admin.email)
    answer = client.post("/billing/funding/new", data={
        "name": "Gründungsförderung", "kind": "third_party", "share_percent": "40",
        "budget": "5000", "cap": "250", "eligible_kinds": ["startup"], "active": "on"})
    assert answer.status_code == 302
    from billing.models import FundingProgramme

    programme = db.session.scalar(sa.select(FundingProgramme))
    assert (programme.share_bp, programme.budget_cents, programme.cap_per_booking_cents,
            programme.kind) == (4_000, 500_000, 25_000, "third_party")
    assert "Gründungsförderung" in client.get("/billing/funding").get_data(as_text=True)
    before = counts()
    bad = client.post("/billing/funding/new", data={"name": "", "kind": "gift",
                                                    "share_percent": "0", "budget": "1"})
    assert bad.status_code == 422 and counts() == before
    member = make.user()
    auth.logout()
    auth.login(member.email)
    assert client.get("/billing/funding").status_code == 403
