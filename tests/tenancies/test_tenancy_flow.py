"""Apply, see the clashes, resolve them, approve: the manager's tenancy workflow."""
from datetime import date, time, timedelta

import pytest

from bookings.availability import free_intervals
from bookings.models import Booking
from bookings.moves import move_booking
from bookings.services import cancel_booking, create_booking
from bookings.tenancies import (
    approve_tenancy, clash_alternatives, end_tenancy, reject_tenancy, tenancy_clashes,
)
from bookings.tenancy_models import Tenancy
from core.errors import BookingConflict, InvalidTransition, NotAllowed, ValidationError
from tests.tenancies.conftest import (
    NOW, audit, berlin, fresh, mails, occurrences, thursdays,
)


def test_clash_is_listed_refused_then_moved_and_the_tenancy_approved(make, lab, counts):
    clash = make.booking(lab.desk_a, user=lab.member, starts_at=berlin(2027, 3, 11, 10),
                         ends_at=berlin(2027, 3, 11, 12))
    # A booking on the other desk, or outside the tenancy's hours, is no clash.
    make.booking(lab.desk_b, user=lab.member, starts_at=berlin(2027, 3, 18, 10),
                 ends_at=berlin(2027, 3, 18, 11))
    make.booking(lab.desk_a, user=lab.member, starts_at=berlin(2027, 3, 11, 16),
                 ends_at=berlin(2027, 3, 11, 18))
    tenancy = thursdays(lab)
    assert [booking.id for booking in tenancy_clashes(tenancy, NOW)] == [clash.id]

    before = counts()
    with pytest.raises(BookingConflict) as refused:
        approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=40_000)
    assert refused.value.conflicts == [(berlin(2027, 3, 11, 10), berlin(2027, 3, 11, 12))]
    assert counts() == before
    assert fresh(Tenancy, tenancy.id).status == "requested"

    tenancy = fresh(Tenancy, tenancy.id)
    [(listed, alternatives)] = clash_alternatives(tenancy, NOW)
    # Desk B is free then; Desk C too; the meeting room is another kind.
    assert listed.id == clash.id
    assert [unit.name for unit in alternatives] == ["Desk B", "Desk C"]
    move_booking(lab.witten_manager, listed, unit=lab.desk_b, now=NOW)

    tenancy = fresh(Tenancy, tenancy.id)
    assert tenancy_clashes(tenancy, NOW) == []
    approved = approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=40_000)
    assert (approved.status, approved.monthly_fee_cents) == ("approved", 40_000)

    booked = occurrences(tenancy.id)
    assert [(b.starts_at, b.ends_at) for b in booked] == [
        (berlin(2027, 3, day, 9), berlin(2027, 3, day, 16)) for day in (4, 11, 18, 25)]
    assert {(b.unit_id, b.status, b.booked_by_id, b.billed_organisation_id) for b in booked} == {
        (lab.desk_a.id, "confirmed", lab.partner_admin.id, lab.partner.id)}
    # The occurrences block the desk like any booking.
    free = free_intervals([fresh(type(lab.desk_a), lab.desk_a.id)], berlin(2027, 3, 11),
                          berlin(2027, 3, 12), NOW)[lab.desk_a.id]
    # (16:00-18:00 is the member's own booking.)
    assert free == [(berlin(2027, 3, 11, 8), berlin(2027, 3, 11, 9)),
                    (berlin(2027, 3, 11, 18), berlin(2027, 3, 11, 20))]
    with pytest.raises(BookingConflict):
        create_booking(lab.member, unit=lab.desk_a, starts_at=berlin(2027, 3, 18, 15),
                       ends_at=berlin(2027, 3, 18, 17), now=NOW, terms_accepted=True)

    assert [m.recipient for m in mails("tenancy_approved")] == ["partner@example.org"]
    assert [m.recipient for m in mails("tenancy_requested")] == ["manager.witten@example.org"]
    [moved_mail] = mails("booking_moved")
    assert moved_mail.recipient == "member@example.org" and "Desk B" in moved_mail.body_text
    [entry] = audit("tenancy.approved")
    assert entry.actor_id == lab.witten_manager.id and entry.after["occurrences"] == 4
    assert entry.before["status"] == "requested" and entry.after["status"] == "approved"


def test_cancelling_the_clash_instead_also_clears_the_way(make, lab):
    clash = make.booking(lab.desk_a, user=lab.member, starts_at=berlin(2027, 3, 18, 14),
                         ends_at=berlin(2027, 3, 18, 17))
    tenancy = thursdays(lab)
    cancel_booking(lab.witten_manager, clash, now=NOW, reason="Partner tenancy")
    assert fresh(Booking, clash.id).status_reason == "Partner tenancy"
    approve_tenancy(lab.witten_manager, fresh(Tenancy, tenancy.id), now=NOW,
                    monthly_fee_cents=45_000)
    assert len(occurrences(tenancy.id)) == 4


def test_a_thursday_tenancy_across_the_dst_change_stays_at_nine_to_four(lab):
    # Clocks go forward on Sunday 2027-03-28.
    tenancy = thursdays(lab, starts_on=date(2027, 3, 18), ends_on=date(2027, 4, 8))
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=1)
    booked = occurrences(tenancy.id)
    assert [(b.starts_at.hour, b.ends_at.hour) for b in booked] == [
        (8, 15), (8, 15), (7, 14), (7, 14)]  # UTC: +01:00, then +02:00
    assert all(b.starts_at == berlin(day.year, day.month, day.day, 9) and
               b.ends_at == berlin(day.year, day.month, day.day, 16)
               for b, day in zip(booked, [date(2027, 3, 18), date(2027, 3, 25),
                                          date(2027, 4, 1), date(2027, 4, 8)]))


def test_whole_day_tenancy_runs_from_local_midnight_to_midnight(make, lab):
    clash = make.booking(lab.shelf, user=lab.member, starts_at=berlin(2027, 3, 29),
                         ends_at=berlin(2027, 3, 31))
    tenancy = thursdays(lab, units=[lab.shelf], weekdays=["SU", "MO"], whole_days=True,
                        start_time=None, end_time=None, starts_on=date(2027, 3, 22),
                        ends_on=date(2027, 4, 5))
    assert [b.id for b in tenancy_clashes(tenancy, NOW)] == [clash.id]
    cancel_booking(lab.witten_manager, clash, now=NOW, reason="Tenancy")
    approve_tenancy(lab.witten_manager, fresh(Tenancy, tenancy.id), now=NOW,
                    monthly_fee_cents=20_000)
    booked = occurrences(tenancy.id)
    days = [date(2027, 3, 22), date(2027, 3, 28), date(2027, 3, 29), date(2027, 4, 4),
            date(2027, 4, 5)]
    assert [(b.starts_at, b.ends_at) for b in booked] == [
        (berlin(d.year, d.month, d.day), berlin(*(d + timedelta(days=1)).timetuple()[:3]))
        for d in days]
    # The Sunday of the clock change has 23 hours.
    assert booked[1].ends_at - booked[1].starts_at == timedelta(hours=23)


def test_ending_early_frees_only_the_later_occurrences(lab, counts):
    tenancy = thursdays(lab, ends_on=date(2027, 4, 29))
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=45_000)
    later = berlin(2027, 3, 20, 12)

    before = counts()
    with pytest.raises(ValidationError) as past:
        end_tenancy(lab.witten_manager, fresh(Tenancy, tenancy.id), ends_on=date(2027, 3, 19),
                    now=later)
    assert past.value.fields == {"ends_on": "out_of_range"}
    with pytest.raises(NotAllowed):
        end_tenancy(lab.herne_manager, fresh(Tenancy, tenancy.id), ends_on=date(2027, 4, 1),
                    now=later)
    assert counts() == before

    ended = end_tenancy(lab.witten_manager, fresh(Tenancy, tenancy.id),
                        ends_on=date(2027, 4, 1), now=later, reason="Desk moves to Bochum")
    assert (ended.status, ended.ends_on) == ("ended", date(2027, 4, 1))
    statuses = {b.starts_at.date(): b.status for b in occurrences(tenancy.id)}
    kept = [date(2027, 3, 4), date(2027, 3, 11), date(2027, 3, 18), date(2027, 3, 25),
            date(2027, 4, 1)]
    freed = [date(2027, 4, 8), date(2027, 4, 15), date(2027, 4, 22), date(2027, 4, 29)]
    assert {day for day, status in statuses.items() if status == "confirmed"} == set(kept)
    assert {day for day, status in statuses.items() if status == "cancelled"} == set(freed)
    # The freed Thursday can be booked again.
    create_booking(lab.member, unit=lab.desk_a, starts_at=berlin(2027, 4, 8, 10),
                   ends_at=berlin(2027, 4, 8, 12), now=later, terms_accepted=True)
    assert [m.recipient for m in mails("tenancy_ended")] == ["partner@example.org"]
    assert len(audit("tenancy.ended")) == 1


def test_rejection_needs_a_reason(lab, counts):
    tenancy = thursdays(lab)
    before = counts()
    for reason in (None, "  "):
        with pytest.raises(ValidationError) as missing:
            reject_tenancy(lab.witten_manager, tenancy, now=NOW, reason=reason)
        assert missing.value.fields == {"reason": "required"}
    assert counts() == before
    rejected = reject_tenancy(lab.witten_manager, tenancy, now=NOW, reason="Desk is reserved")
    assert (rejected.status, rejected.reason) == ("rejected", "Desk is reserved")
    assert occurrences(tenancy.id) == []
    [mail] = mails("tenancy_rejected")
    assert mail.recipient == "partner@example.org" and "Desk is reserved" in mail.body_text
    assert audit("tenancy.rejected")[0].after["reason"] == "Desk is reserved"


def test_a_decided_tenancy_cannot_be_decided_again(lab, counts):
    tenancy = thursdays(lab)
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=45_000)
    before = counts()
    with pytest.raises(InvalidTransition) as twice:
        approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=45_000)
    assert twice.value.message_key == "already_decided"
    with pytest.raises(InvalidTransition):
        reject_tenancy(lab.witten_manager, tenancy, now=NOW, reason="Changed my mind")
    assert counts() == before


def test_only_managers_of_the_lab_decide(lab, counts):
    tenancy = thursdays(lab)
    before = counts()
    for outsider in (lab.herne_manager, lab.partner_admin, lab.member):
        with pytest.raises(NotAllowed):
            approve_tenancy(outsider, tenancy, now=NOW, monthly_fee_cents=45_000)
        with pytest.raises(NotAllowed):
            reject_tenancy(outsider, tenancy, now=NOW, reason="No")
    assert counts() == before


def test_approval_may_shorten_the_term_and_sets_the_final_fee(lab):
    tenancy = thursdays(lab, units=[lab.desk_a, lab.desk_b])
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=30_000,
                    ends_on=date(2027, 3, 12))
    tenancy = fresh(Tenancy, tenancy.id)
    assert (tenancy.ends_on, tenancy.monthly_fee_cents) == (date(2027, 3, 12), 30_000)
    assert sorted((b.unit_id, b.starts_at.date()) for b in occurrences(tenancy.id)) == [
        (lab.desk_a.id, date(2027, 3, 4)), (lab.desk_a.id, date(2027, 3, 11)),
        (lab.desk_b.id, date(2027, 3, 4)), (lab.desk_b.id, date(2027, 3, 11))]


def test_applications_are_checked_field_by_field(lab, make, counts):
    before = counts()
    with pytest.raises(ValidationError) as wrong:
        thursdays(lab, units=[lab.desk_a, lab.herne_desk], weekdays=["XX"], end_time=time(8),
                  starts_on=date(2027, 2, 1), purpose=" ", proposed_monthly_fee_cents=-1)
    assert wrong.value.fields == {
        "unit_ids": "units_of_several_sites", "weekdays": "unknown",
        "end_time": "end_before_start", "starts_on": "in_past", "purpose": "required",
        "proposed_monthly_fee_cents": "out_of_range"}
    with pytest.raises(ValidationError) as no_times:
        thursdays(lab, start_time=None, end_time=None)
    assert no_times.value.fields == {"start_time": "required", "end_time": "required"}
    with pytest.raises(NotAllowed):
        plain_member = make.user(organisation=lab.partner, membership_role="member")
        from bookings.tenancies import request_tenancy
        request_tenancy(plain_member, organisation=lab.partner, units=[lab.desk_a],
                        weekdays=["TH"], start_time=time(9), end_time=time(16),
                        starts_on=date(2027, 3, 4), ends_on=date(2027, 3, 25),
                        purpose="Desk", proposed_monthly_fee_cents=1, now=NOW)
    assert counts()["tenancies"] == before["tenancies"]


def test_a_booking_that_wins_the_race_refuses_the_whole_approval(lab, make, counts,
                                                                  monkeypatch):
    """The database decides: when the check saw nothing but a booking was committed in
    between, nothing of the tenancy is written (PostgreSQL's exclusion constraint)."""
    from core.db import is_postgresql

    if not is_postgresql():
        pytest.skip("SQLite holds the write lock from the check to the insert")
    import bookings.tenancies as module

    tenancy = thursdays(lab)
    make.booking(lab.desk_a, user=lab.member, starts_at=berlin(2027, 3, 25, 15),
                 ends_at=berlin(2027, 3, 25, 17))
    looked = []
    original = module.clashing_bookings

    def blind_first_look(*args):
        looked.append(1)
        return [] if len(looked) == 1 else original(*args)

    monkeypatch.setattr(module, "clashing_bookings", blind_first_look)
    before = counts()
    with pytest.raises(BookingConflict) as lost:
        approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=1)
    assert lost.value.conflicts == [(berlin(2027, 3, 25, 15), berlin(2027, 3, 25, 17))]
    assert counts() == before
    assert fresh(Tenancy, tenancy.id).status == "requested"
