"""Tenancy fees per calendar month, prorated by days for part months (worked by hand)."""
from datetime import date

from bookings.tenancies import approve_tenancy, end_tenancy
from bookings.tenancy_fees import billable_tenancy_fees
from tests.tenancies.conftest import NOW, berlin, thursdays


def _cents(lines):
    return [(line["tenancy_id"], line["net_cents"], line["period_start"], line["period_end"])
            for line in lines]


def test_the_monthly_fee_is_prorated_for_part_months(lab, make):
    # 16 April to 10 June 2027 at 450.00 EUR a month.
    spring = thursdays(lab, starts_on=date(2027, 4, 16), ends_on=date(2027, 6, 10))
    approve_tenancy(lab.witten_manager, spring, now=NOW, monthly_fee_cents=45_000)
    org = lab.partner.id

    # April has 30 days; 16-30 April are 15 of them: 45000 * 15 / 30 = 22500.
    assert _cents(billable_tenancy_fees(org, 2027, 4)) == [
        (spring.id, 22_500, date(2027, 4, 16), date(2027, 4, 30))]
    # May is covered in full.
    assert _cents(billable_tenancy_fees(org, 2027, 5)) == [
        (spring.id, 45_000, date(2027, 5, 1), date(2027, 5, 31))]
    # 1-10 June: 45000 * 10 / 30 = 15000.
    assert _cents(billable_tenancy_fees(org, 2027, 6)) == [
        (spring.id, 15_000, date(2027, 6, 1), date(2027, 6, 10))]
    assert billable_tenancy_fees(org, 2027, 3) == []
    assert billable_tenancy_fees(org, 2027, 7) == []
    [line] = billable_tenancy_fees(org, 2027, 4)
    assert line["organisation_id"] == org and str(spring.id) in line["description"]


def test_a_part_month_pays_its_share_of_days_in_whole_cents(lab):
    # 10.01 EUR a month; 1-14 March 2027 are 14 of 31 days: 1001 * 14 / 31 = 452.06 -> 452.
    tenancy = thursdays(lab, starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 14), fee=1001)
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=1001)
    assert _cents(billable_tenancy_fees(lab.partner.id, 2027, 3)) == [
        (tenancy.id, 452, date(2027, 3, 1), date(2027, 3, 14))]


def test_half_a_cent_rounds_up(lab, make):
    from bookings.tenancy_models import Tenancy
    from extensions import db

    # Written directly: a February term lies before the tests' clock.
    tenancy = Tenancy(organisation_id=lab.partner.id, site_id=lab.witten.id, weekdays="TH",
                      whole_days=True, starts_on=date(2027, 2, 15), ends_on=date(2027, 2, 28),
                      purpose="Corner", proposed_monthly_fee_cents=1001,
                      monthly_fee_cents=1001, status="approved", created_at=NOW)
    db.session.add(tenancy)
    db.session.commit()
    # 15-28 February 2027 are 14 of 28 days: 1001 / 2 = 500.5 -> 501.
    assert _cents(billable_tenancy_fees(lab.partner.id, 2027, 2)) == [
        (tenancy.id, 501, date(2027, 2, 15), date(2027, 2, 28))]


def test_only_decided_tenancies_of_the_organisation_are_billed(lab, make):
    other = make.organisation("Uni Witten", kind="public_body")
    other_admin = make.user(organisation=other, membership_role="admin")
    from bookings.tenancies import request_tenancy
    from datetime import time

    theirs = request_tenancy(other_admin, organisation=other, units=[lab.desk_b],
                             weekdays=["MO"], start_time=time(9), end_time=time(12),
                             starts_on=date(2027, 5, 1), ends_on=date(2027, 5, 31),
                             purpose="Transfer office", proposed_monthly_fee_cents=9_000,
                             now=NOW)
    approve_tenancy(lab.witten_manager, theirs, now=NOW, monthly_fee_cents=8_000)
    thursdays(lab, starts_on=date(2027, 5, 1), ends_on=date(2027, 5, 31))  # still requested
    assert billable_tenancy_fees(lab.partner.id, 2027, 5) == []
    assert _cents(billable_tenancy_fees(other.id, 2027, 5)) == [
        (theirs.id, 8_000, date(2027, 5, 1), date(2027, 5, 31))]


def test_an_ended_tenancy_is_billed_up_to_its_new_last_day(lab):
    tenancy = thursdays(lab, starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=31_000)
    end_tenancy(lab.witten_manager, tenancy, ends_on=date(2027, 5, 10),
                now=berlin(2027, 4, 20, 12))
    # May has 31 days; 1-10 May: 31000 * 10 / 31 = 10000.
    assert _cents(billable_tenancy_fees(lab.partner.id, 2027, 5)) == [
        (tenancy.id, 10_000, date(2027, 5, 1), date(2027, 5, 10))]
    assert billable_tenancy_fees(lab.partner.id, 2027, 6) == []
