"""Running a site: units, opening hours, closures, NRW holidays; nothing cancelled silently."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from core.errors import NotAllowed, ValidationError
from core.time import utcnow
from extensions import db
from spaces import editing
from spaces.holidays import easter_sunday, nrw_public_holidays
from spaces.models import Closure, Site, Unit
from tests.manage.conftest import NOW, audit_entries, berlin, fresh, outbox

UNIT_FORM = {
    "kind": "meeting_room", "name": "Raum Ruhr", "group_name": "", "position": "0",
    "granularity": "hour", "min_length": "1", "max_length": "8", "lead_time_minutes": "60",
    "horizon_days": "180", "needs_approval": "y", "capacity": "8",
    "description": "Beamer und Whiteboard",
}


def units_of(site_id):
    db.session.rollback()
    return db.session.scalars(sa.select(Unit).where(Unit.site_id == site_id)).all()


def closures_of(site_id):
    db.session.rollback()
    return db.session.scalars(
        sa.select(Closure).where(Closure.site_id == site_id).order_by(Closure.starts_on)).all()


# --- units ----------------------------------------------------------------------------------

def test_a_manager_adds_and_edits_a_unit(witten, witten_manager, browser, counts):
    browser.login(witten_manager)
    response = browser.post("/manage/witten/units/new", data=UNIT_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    [unit] = units_of(witten.id)
    assert (unit.name, unit.kind, unit.needs_approval, unit.capacity, unit.lead_time_minutes) == (
        "Raum Ruhr", "meeting_room", True, 8, 60)
    [created] = audit_entries("unit.created")
    assert created.after["name"] == "Raum Ruhr" and created.actor_id == witten_manager.id

    before = counts()
    refused = browser.post(f"/manage/witten/units/{unit.id}/edit",
                           data=dict(UNIT_FORM, min_length="5", max_length="2"))
    assert refused.status_code == 422
    assert counts() == before

    edited = browser.post(f"/manage/witten/units/{unit.id}/edit",
                          data=dict(UNIT_FORM, name="Raum Emscher", needs_approval=""))
    assert edited.status_code == 302
    unit = units_of(witten.id)[0]
    assert (unit.name, unit.needs_approval) == ("Raum Emscher", False)
    [updated] = audit_entries("unit.updated")
    assert (updated.before["name"], updated.after["name"]) == ("Raum Ruhr", "Raum Emscher")
    assert (updated.before["needs_approval"], updated.after["needs_approval"]) == (True, False)


def test_unit_values_are_checked_by_the_service(witten, witten_manager, herne_manager):
    values = {"kind": "spaceship", "name": " ", "group_name": None, "position": 0,
              "granularity": "hour", "min_length": 3, "max_length": 2,
              "lead_time_minutes": 0, "horizon_days": 30, "needs_approval": False,
              "capacity": 0, "description": ""}
    with pytest.raises(ValidationError) as caught:
        editing.create_unit(witten_manager, witten, values, now=NOW)
    assert set(caught.value.fields) == {"kind", "name", "max_length", "capacity"}
    with pytest.raises(NotAllowed):
        editing.create_unit(herne_manager, witten, dict(values, kind="desk"), now=NOW)
    assert units_of(witten.id) == []


def test_deactivating_a_unit_lists_its_bookings_and_cancels_only_after_confirmation(
        make, witten, witten_manager, browser, counts):
    unit = make.unit(witten, "meeting_room", name="Raum Ruhr")
    booker = make.user("ben@example.org", name="Ben Booker", locale="en")
    future = utcnow() + timedelta(days=10)
    upcoming = make.booking(unit, user=booker, starts_at=future,
                            ends_at=future + timedelta(hours=2))
    past = make.booking(unit, user=booker, starts_at=utcnow() - timedelta(days=3),
                        ends_at=utcnow() - timedelta(days=3) + timedelta(hours=1))
    cancelled = make.booking(unit, user=booker, status="cancelled", starts_at=future,
                             ends_at=future + timedelta(hours=1))
    browser.login(witten_manager)
    url = f"/manage/witten/units/{unit.id}/deactivate"

    before = counts()
    listing = browser.post(url)
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f'id="affected-{upcoming.id}"' in text and "Ben Booker" in text
    assert f'id="affected-{past.id}"' not in text and f'id="affected-{cancelled.id}"' not in text
    assert counts() == before  # nothing written yet
    assert fresh(upcoming.id).status == "confirmed"

    no_notice = browser.post(url, data={"confirmed": [str(upcoming.id)], "notice": " "})
    assert no_notice.status_code == 422
    assert counts() == before

    done = browser.post(url, data={"confirmed": [str(upcoming.id)],
                                   "notice": "The room is being refurbished."})
    assert done.status_code == 302
    assert units_of(witten.id)[0].active is False
    assert fresh(upcoming.id).status == "cancelled"
    assert fresh(upcoming.id).status_reason == "The room is being refurbished."
    assert fresh(past.id).status == "confirmed"
    [mail] = outbox("booking_cancelled")
    assert mail.recipient == "ben@example.org"
    assert "The room is being refurbished." in mail.body_text
    [cancellation] = audit_entries("booking.cancelled")
    assert cancellation.subject_id == upcoming.id and cancellation.actor_id == witten_manager.id
    [deactivation] = audit_entries("unit.deactivated")
    assert (deactivation.before["active"], deactivation.after["active"]) == (True, False)


def test_a_booking_made_after_the_listing_is_not_cancelled_unseen(make, witten, witten_manager):
    unit = make.unit(witten, "meeting_room")
    future = utcnow() + timedelta(days=10)
    seen = make.booking(unit, starts_at=future, ends_at=future + timedelta(hours=1))
    first = editing.deactivate_unit(witten_manager, unit, now=utcnow())
    assert not first.done and [b.id for b in first.affected] == [seen.id]
    unseen = make.booking(unit, starts_at=future + timedelta(hours=2),
                          ends_at=future + timedelta(hours=3))
    second = editing.deactivate_unit(witten_manager, unit, now=utcnow(),
                                     confirmed_ids={seen.id}, notice="Sorry")
    assert not second.done
    assert {b.id for b in second.affected} == {seen.id, unseen.id}
    assert fresh(seen.id).status == "confirmed" and fresh(unseen.id).status == "confirmed"
    assert units_of(witten.id)[0].active is True


def test_a_unit_without_bookings_is_deactivated_at_once_and_can_come_back(
        make, witten, witten_manager, browser):
    unit = make.unit(witten, "desk")
    browser.login(witten_manager)
    assert browser.post(f"/manage/witten/units/{unit.id}/deactivate").status_code == 302
    assert units_of(witten.id)[0].active is False
    assert browser.post(f"/manage/witten/units/{unit.id}/reactivate").status_code == 302
    assert units_of(witten.id)[0].active is True
    assert [e.action for e in audit_entries() if e.action.startswith("unit.")] == [
        "unit.deactivated", "unit.reactivated"]


# --- opening hours --------------------------------------------------------------------------

def test_opening_hours_are_saved_per_weekday(witten, witten_manager, browser, counts):
    browser.login(witten_manager)
    form = {f"opens-{day}": "09:00" for day in range(5)}
    form.update({f"closes-{day}": "18:00" for day in range(5)})
    before = counts()
    bad = browser.post("/manage/witten/hours", data=dict(form, **{"closes-2": "08:00"}))
    assert bad.status_code == 422
    assert counts() == before

    assert browser.post("/manage/witten/hours", data=form).status_code == 302
    db.session.rollback()
    site = db.session.get(Site, witten.id)
    hours = {row.weekday: (row.opens_at, row.closes_at) for row in site.opening_hours}
    assert hours == {day: (time(9), time(18)) for day in range(5)}  # Saturday now closed
    [entry] = audit_entries("site.opening_hours_changed")
    assert entry.before["5"] == ["10:00", "16:00"] and "5" not in entry.after


# --- closures -------------------------------------------------------------------------------

def test_a_closure_clashing_with_hourly_bookings_lists_them_first(
        make, witten, witten_manager, browser, counts):
    day = (utcnow() + timedelta(days=20)).date()
    desk = make.unit(witten, "desk", name="Desk 7")
    shelf = make.unit(witten, "popup_shelf", granularity="day", name="Shelf")
    booker = make.user("bea@example.org", name="Bea Booker")
    start = berlin(day.year, day.month, day.day, 10)
    hourly = make.booking(desk, user=booker, starts_at=start, ends_at=start + timedelta(hours=2))
    daily = make.booking(shelf, user=booker, starts_at=berlin(day.year, day.month, day.day),
                         ends_at=berlin(day.year, day.month, day.day) + timedelta(days=2))
    browser.login(witten_manager)
    data = {"starts_on": day.isoformat(), "ends_on": "", "reason": "Wasserschaden"}

    before = counts()
    listing = browser.post("/manage/witten/closures", data=data)
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f'id="affected-{hourly.id}"' in text
    assert f'id="affected-{daily.id}"' not in text  # day bookings span closures
    assert counts() == before

    done = browser.post("/manage/witten/closures",
                        data=dict(data, ends_on=day.isoformat(), confirmed=[str(hourly.id)],
                                  notice="Water damage, we are sorry."))
    assert done.status_code == 302
    [closure] = closures_of(witten.id)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (day, day, "Wasserschaden")
    assert fresh(hourly.id).status == "cancelled"
    assert fresh(daily.id).status == "confirmed"
    [mail] = outbox("booking_cancelled")
    assert mail.recipient == "bea@example.org" and "Water damage" in mail.body_text
    [added] = audit_entries("closure.added")
    assert added.after["reason"] == "Wasserschaden"


def test_a_closure_without_bookings_is_added_and_removed(witten, witten_manager, browser):
    browser.login(witten_manager)
    response = browser.post("/manage/witten/closures",
                            data={"starts_on": "2027-08-02", "ends_on": "2027-08-06",
                                  "reason": "Sommerpause"})
    assert response.status_code == 302
    [closure] = closures_of(witten.id)
    assert (closure.starts_on, closure.ends_on) == (date(2027, 8, 2), date(2027, 8, 6))
    assert browser.post("/manage/witten/closures",
                        data={"starts_on": "2027-08-06", "ends_on": "2027-08-02"}
                        ).status_code == 422
    assert browser.post(f"/manage/witten/closures/{closure.id}/remove").status_code == 302
    assert closures_of(witten.id) == []
    [removed] = audit_entries("closure.removed")
    assert removed.before["starts_on"] == "2027-08-02"


# --- public holidays ------------------------------------------------------------------------

@pytest.mark.parametrize("year, easter", [
    (2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)),
    (2285, date(2285, 3, 22)),
])
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_nrw_holidays_2027_become_closures_once(make, witten, witten_manager, browser):
    make.closure(witten, date(2027, 12, 24), date(2027, 12, 26), reason="Weihnachten")
    browser.login(witten_manager)
    assert browser.post("/manage/witten/closures/holidays", data={"year": "2027"}
                        ).status_code == 302
    days = {closure.starts_on for closure in closures_of(witten.id)}
    for expected in (date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 1),
                     date(2027, 5, 6), date(2027, 5, 17), date(2027, 5, 27),
                     date(2027, 10, 3), date(2027, 11, 1)):
        assert expected in days
    # 25 and 26 December were closed already: not added again.
    assert len(closures_of(witten.id)) == 1 + 9
    assert len(nrw_public_holidays(2027)) == 11
    again = editing.add_public_holidays(witten_manager, fresh_site(witten.id), 2027, now=NOW)
    assert again.done and again.result == []
    assert len(closures_of(witten.id)) == 10
    assert len(audit_entries("closure.added")) == 9


def fresh_site(site_id):
    db.session.rollback()
    return db.session.get(Site, site_id)


def test_holidays_clashing_with_bookings_ask_first(make, witten, witten_manager):
    desk = make.unit(witten, "desk")
    good_friday = make.booking(desk, starts_at=berlin(2027, 3, 26, 9),
                               ends_at=berlin(2027, 3, 26, 11))
    change = editing.add_public_holidays(witten_manager, witten, 2027, now=NOW)
    assert not change.done and [b.id for b in change.affected] == [good_friday.id]
    assert closures_of(witten.id) == []
    done = editing.add_public_holidays(witten_manager, fresh_site(witten.id), 2027, now=NOW,
                                       confirmed_ids={good_friday.id}, notice="Karfreitag")
    assert done.done and len(done.result) == 11
    assert fresh(good_friday.id).status == "cancelled"


# --- access ---------------------------------------------------------------------------------

def test_a_herne_manager_gets_403_on_every_witten_page(
        make, witten, herne_manager, browser, counts):
    unit = make.unit(witten, "desk")
    closure = make.closure(witten, date(2027, 8, 2))
    browser.login(herne_manager)
    for path in ("/manage/witten", "/manage/witten/units", "/manage/witten/units/new",
                 f"/manage/witten/units/{unit.id}/edit", "/manage/witten/hours",
                 "/manage/witten/closures", "/manage/witten/audit",
                 "/manage/witten/requests", "/manage/witten/day"):
        assert browser.get(path).status_code == 403, path
    before = counts()
    for path, data in ((f"/manage/witten/units/{unit.id}/deactivate", {}),
                       ("/manage/witten/units/new", UNIT_FORM),
                       ("/manage/witten/hours", {"opens-0": "09:00", "closes-0": "10:00"}),
                       ("/manage/witten/closures", {"starts_on": "2027-09-01"}),
                       (f"/manage/witten/closures/{closure.id}/remove", {}),
                       ("/manage/witten/closures/holidays", {"year": "2027"})):
        assert browser.post(path, data=data).status_code == 403, path
    assert counts() == before
    # A unit of Witten is not reachable through Herne's own pages either.
    assert browser.get(f"/manage/herne/units/{unit.id}/edit").status_code == 404
    assert browser.post(f"/manage/herne/units/{unit.id}/deactivate").status_code == 404
    assert browser.post(f"/manage/herne/closures/{closure.id}/remove").status_code == 404
    assert counts() == before


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_manager_page_renders(make, witten, witten_manager, request_at_witten, browser,
                                    lang):
    unit = make.unit(witten, "desk", name="Desk 3")
    make.closure(witten, (utcnow() + timedelta(days=3)).date())
    browser.login(witten_manager)
    for path in ("/manage/", "/manage/witten", "/manage/witten/units",
                 "/manage/witten/units/new", f"/manage/witten/units/{unit.id}/edit",
                 "/manage/witten/hours", "/manage/witten/closures", "/manage/witten/audit",
                 "/manage/witten/requests", "/manage/witten/day",
                 "/manage/witten/day?date=2027-03-16"):
        separator = "&" if "?" in path else "?"
        response = browser.get(f"{path}{separator}lang={lang}")
        assert response.status_code == 200, path
    day = browser.get("/manage/witten/day?date=2027-03-16").get_data(as_text=True)
    assert "Saal" in day  # the requested booking of that day
