"""The tenancy pages: apply as an organisation admin, resolve and decide as a manager."""
from datetime import timedelta

from bookings.models import Booking
from bookings.tenancy_models import Tenancy
from core.time import parse_instant
from extensions import db
from tests.api.conftest import local, next_weekday
from tests.tenancies.conftest import fresh, mails, occurrences


def _apply(client, lab, thursday):
    return client.post("/tenancies/apply", data={
        "organisation": str(lab.partner.id), "units": [str(lab.desk_a.id)], "weekdays": ["TH"],
        "start_time": "09:00", "end_time": "16:00", "starts_on": thursday.isoformat(),
        "ends_on": (thursday + timedelta(weeks=1)).isoformat(), "purpose": "Advice desk",
        "proposed_fee": "450,00",
    })


def test_apply_then_move_the_clash_and_approve_on_the_pages(client, auth, lab, make):
    thursday = next_weekday(3)
    clash = make.booking(lab.desk_a, user=lab.member, starts_at=parse_instant(local(thursday, 10)),
                         ends_at=parse_instant(local(thursday, 11)))
    auth.login("partner@example.org")
    assert client.get("/tenancies/apply").status_code == 200
    response = _apply(client, lab, thursday)
    assert response.status_code == 302, response.get_data(as_text=True)
    tenancy = db.session.scalar(db.select(Tenancy))
    assert (tenancy.proposed_monthly_fee_cents, tenancy.status) == (45_000, "requested")
    mine = client.get("/tenancies").get_data(as_text=True)
    assert "Advice desk" in mine
    auth.logout()

    auth.login("manager.witten@example.org")
    page = client.get("/manage/witten/tenancies?lang=en").get_data(as_text=True)
    assert "Max Member" in page and "Move to Desk B" in page and "Cancel with reason" in page
    moved = client.post(f"/manage/bookings/{clash.id}/move",
                        data={"unit_id": lab.desk_b.id, "tenancy_id": tenancy.id})
    assert moved.status_code == 302
    assert fresh(Booking, clash.id).unit_id == lab.desk_b.id
    assert len(mails("booking_moved")) == 1

    page = client.get("/manage/witten/tenancies?lang=en").get_data(as_text=True)
    assert "No clashes" in page
    approved = client.post(f"/manage/tenancies/{tenancy.id}/approve",
                           data={"monthly_fee": "400", "ends_on": ""})
    assert approved.status_code == 302
    tenancy = fresh(Tenancy, tenancy.id)
    assert (tenancy.status, tenancy.monthly_fee_cents) == ("approved", 40_000)
    assert len(occurrences(tenancy.id)) == 2


def test_cancel_a_clash_and_reject_on_the_pages(client, auth, lab, make):
    thursday = next_weekday(3)
    clash = make.booking(lab.desk_a, user=lab.member, starts_at=parse_instant(local(thursday, 10)),
                         ends_at=parse_instant(local(thursday, 11)))
    auth.login("partner@example.org")
    _apply(client, lab, thursday)
    tenancy = db.session.scalar(db.select(Tenancy))
    auth.logout()
    auth.login("manager.witten@example.org")
    # Without a reason nothing happens.
    client.post(f"/manage/bookings/{clash.id}/cancel-clash",
                data={"reason": "", "tenancy_id": tenancy.id})
    assert fresh(Booking, clash.id).status == "confirmed"
    client.post(f"/manage/bookings/{clash.id}/cancel-clash",
                data={"reason": "Partner tenancy", "tenancy_id": tenancy.id})
    assert fresh(Booking, clash.id).status == "cancelled"
    client.post(f"/manage/tenancies/{tenancy.id}/reject", data={"reason": ""})
    assert fresh(Tenancy, tenancy.id).status == "requested"
    client.post(f"/manage/tenancies/{tenancy.id}/reject", data={"reason": "No room"})
    assert fresh(Tenancy, tenancy.id).status == "rejected"


def test_other_labs_and_plain_members_are_kept_out(client, auth, lab):
    auth.login("manager.herne@example.org")
    assert client.get("/manage/witten/tenancies").status_code == 403
    assert client.get("/manage/herne/tenancies").status_code == 200
    assert client.get("/tenancies/apply").status_code == 403
    auth.logout()
    auth.login("member@example.org")
    assert client.get("/tenancies").status_code == 403
