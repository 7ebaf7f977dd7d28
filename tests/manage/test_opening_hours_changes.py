"""Changing opening hours: bookings left outside are listed first, then kept or cancelled.

The lab at Witten (factory hours) is open Mon-Fri 08:00-20:00 and Sat 10:00-16:00. The new
hours in most tests are Mon-Fri 09:00-18:00 with Saturday closed.
"""
from datetime import time

import pytest
import sqlalchemy as sa

from core.errors import NotAllowed
from extensions import db
from spaces import editing
from spaces.models import Site
from tests.manage.conftest import NOW, audit_entries, berlin, fresh, outbox

URL = "/manage/witten/hours"
WEEKDAYS_9_TO_18 = {day: (time(9), time(18)) for day in range(5)}


def hours_form(hours):
    form = {}
    for day in range(7):
        opens, closes = hours.get(day) or (None, None)
        form[f"opens-{day}"] = opens.strftime("%H:%M") if opens else ""
        form[f"closes-{day}"] = closes.strftime("%H:%M") if closes else ""
    return form


NEW_FORM = hours_form(WEEKDAYS_9_TO_18)


def hours_of(site_id):
    db.session.rollback()
    site = db.session.get(Site, site_id)
    return {row.weekday: (row.opens_at, row.closes_at) for row in site.opening_hours}


def listed_ids(response):
    """Booking ids on the confirmation page (each row carries one hidden ``confirmed``)."""
    text = response.get_data(as_text=True)
    return {int(part.split('"', 1)[0]) for part in text.split('id="affected-')[1:]}


@pytest.fixture
def desk(make, witten):
    return make.unit(witten, "desk", name="Desk 7")


@pytest.fixture
def booker(make):
    return make.user("bea@example.org", name="Bea Booker", locale="en")


@pytest.fixture
def clash(make, witten, desk, booker):
    """Tuesday 16 March 2027: one booking inside the new hours, two partly outside; a
    Saturday booking (Saturday becomes closed); a day booking; a cancelled one."""
    other = make.user("otto@example.org", name="Otto Other", locale="en")
    shelf = make.unit(witten, "popup_shelf", granularity="day", name="Shelf")
    return {
        "inside": make.booking(desk, user=booker, starts_at=berlin(2027, 3, 16, 10),
                               ends_at=berlin(2027, 3, 16, 12)),
        "evening": make.booking(desk, user=booker, starts_at=berlin(2027, 3, 16, 17),
                                ends_at=berlin(2027, 3, 16, 19)),
        "early": make.booking(desk, user=other, starts_at=berlin(2027, 3, 17, 8),
                              ends_at=berlin(2027, 3, 17, 9)),
        "saturday": make.booking(desk, user=other, starts_at=berlin(2027, 3, 20, 11),
                                 ends_at=berlin(2027, 3, 20, 13)),
        "day_unit": make.booking(shelf, user=booker, starts_at=berlin(2027, 3, 16),
                                 ends_at=berlin(2027, 3, 18)),
        "cancelled": make.booking(desk, user=booker, status="cancelled",
                                  starts_at=berlin(2027, 3, 16, 18),
                                  ends_at=berlin(2027, 3, 16, 20)),
    }


def outside_ids(clash):
    return {clash[name].id for name in ("evening", "early", "saturday")}


def test_bookings_outside_the_new_hours_are_listed_and_nothing_is_written(
        witten, witten_manager, clash, browser, counts):
    old_hours = hours_of(witten.id)
    browser.login(witten_manager)
    before = counts()
    response = browser.post(URL, data=NEW_FORM)
    assert response.status_code == 200
    assert listed_ids(response) == outside_ids(clash)
    text = response.get_data(as_text=True)
    assert "Bea Booker" in text and "Otto Other" in text and "Desk 7" in text
    assert 'name="decision" value="keep"' in text and 'name="decision" value="cancel"' in text
    # The new hours travel along so the decision repeats exactly this change.
    assert 'name="closes-0" value="18:00"' in text and 'name="opens-5" value=""' in text
    assert counts() == before
    assert hours_of(witten.id) == old_hours
    assert audit_entries("site.opening_hours_changed") == []


def test_keeping_the_bookings_applies_the_hours_and_leaves_them_alone(
        witten, witten_manager, clash, browser):
    browser.login(witten_manager)
    confirmed = [str(booking_id) for booking_id in outside_ids(clash)]
    done = browser.post(URL, data=dict(NEW_FORM, confirmed=confirmed, decision="keep"))
    assert done.status_code == 302
    assert hours_of(witten.id) == WEEKDAYS_9_TO_18
    assert {fresh(booking.id).status for name, booking in clash.items()
            if name != "cancelled"} == {"confirmed"}
    assert outbox("booking_cancelled") == []
    assert audit_entries("booking.cancelled") == []
    [entry] = audit_entries("site.opening_hours_changed")
    assert entry.actor_id == witten_manager.id
    assert entry.before["5"] == ["10:00", "16:00"] and "5" not in entry.after
    assert entry.after["1"] == ["09:00", "18:00"]
    assert set(entry.after["kept_bookings"]) == outside_ids(clash)


def test_cancelling_with_a_notice_cancels_exactly_the_listed_bookings(
        witten, witten_manager, clash, browser, counts):
    browser.login(witten_manager)
    confirmed = [str(booking_id) for booking_id in outside_ids(clash)]
    before = counts()
    no_notice = browser.post(URL, data=dict(NEW_FORM, confirmed=confirmed, decision="cancel",
                                            notice="  "))
    assert no_notice.status_code == 422
    assert counts() == before

    done = browser.post(URL, data=dict(NEW_FORM, confirmed=confirmed, decision="cancel",
                                       notice="We now close at six, sorry."))
    assert done.status_code == 302
    assert hours_of(witten.id) == WEEKDAYS_9_TO_18
    for name, booking in clash.items():
        expected = "cancelled" if booking.id in outside_ids(clash) or name == "cancelled" \
            else "confirmed"
        assert fresh(booking.id).status == expected, name
    assert fresh(clash["evening"].id).status_reason == "We now close at six, sorry."
    mails = outbox("booking_cancelled")
    assert sorted(mail.recipient for mail in mails) == [
        "bea@example.org", "otto@example.org", "otto@example.org"]
    assert all("We now close at six, sorry." in mail.body_text for mail in mails)
    cancellations = audit_entries("booking.cancelled")
    assert {entry.subject_id for entry in cancellations} == outside_ids(clash)
    assert {entry.actor_id for entry in cancellations} == {witten_manager.id}
    [entry] = audit_entries("site.opening_hours_changed")
    assert "kept_bookings" not in entry.after


def test_bookings_inside_the_new_hours_do_not_stop_the_change(
        make, witten, witten_manager, desk, booker, browser):
    inside = make.booking(desk, user=booker, starts_at=berlin(2027, 3, 16, 9),
                          ends_at=berlin(2027, 3, 16, 18))
    browser.login(witten_manager)
    assert browser.post(URL, data=NEW_FORM).status_code == 302
    assert hours_of(witten.id) == WEEKDAYS_9_TO_18
    assert fresh(inside.id).status == "confirmed"
    assert len(audit_entries("site.opening_hours_changed")) == 1


def test_ended_bookings_and_unchanged_weekdays_are_not_looked_at(
        make, witten, witten_manager, desk):
    ended = make.booking(desk, starts_at=berlin(2027, 3, 1, 5), ends_at=berlin(2027, 3, 1, 6))
    # Already outside the hours (kept earlier); Tuesday's hours stay as they are.
    old_exception = make.booking(desk, starts_at=berlin(2027, 3, 16, 6),
                                 ends_at=berlin(2027, 3, 16, 7))
    change = editing.set_opening_hours(
        witten_manager, witten, {0: (time(7), time(20)), 1: (time(8), time(20)),
                                 2: (time(8), time(20)), 3: (time(8), time(20)),
                                 4: (time(8), time(20)), 5: (time(10), time(16))}, now=NOW)
    assert change.done and change.kept == [] and change.cancelled == []
    assert hours_of(witten.id)[0] == (time(7), time(20))
    assert fresh(ended.id).status == fresh(old_exception.id).status == "confirmed"


def test_local_times_are_compared_across_the_change_to_summer_time(make, booker):
    """The week of 28 March 2027: clocks go forward on the Sunday (CET +1 -> CEST +2)."""
    site = make.site("bochum", hours={day: (time(7), time(20)) for day in range(7)})
    manager = make.user("manager.bochum@example.org", role="manager", sites=[site])
    first_desk, second_desk = make.unit(site, "desk"), make.unit(site, "desk")

    def book(desk, day, start, end):
        return make.booking(desk, user=booker, starts_at=berlin(2027, 3, day, start),
                            ends_at=berlin(2027, 3, day, end))

    inside = [book(first_desk, day, start, end)
              for day, start, end in ((25, 8, 10), (29, 8, 10), (25, 16, 18), (29, 16, 18),
                                      (28, 10, 12))]
    # Sunday night across the gap: 01:00-04:00 local.
    outside = [book(second_desk, day, start, end)
               for day, start, end in ((25, 7, 9), (29, 7, 9), (25, 18, 19), (29, 18, 19),
                                       (28, 1, 4))]
    # The Monday booking 08:00 local is 06:00 UTC, not 07:00 as in winter.
    assert inside[1].starts_at.hour == 6 and inside[0].starts_at.hour == 7

    new_hours = {day: (time(8), time(18)) for day in range(7)}
    change = editing.set_opening_hours(manager, site, new_hours, now=NOW)
    assert not change.done
    assert {booking.id for booking in change.affected} == {booking.id for booking in outside}
    assert hours_of(site.id)[0] == (time(7), time(20))


def test_a_booking_made_after_the_listing_forces_a_new_confirmation(
        make, witten, witten_manager, desk, booker, browser, counts):
    seen = make.booking(desk, user=booker, starts_at=berlin(2027, 3, 16, 18),
                        ends_at=berlin(2027, 3, 16, 20))
    first = editing.set_opening_hours(witten_manager, witten, WEEKDAYS_9_TO_18, now=NOW)
    assert not first.done and [b.id for b in first.affected] == [seen.id]
    unseen = make.booking(desk, user=booker, starts_at=berlin(2027, 3, 18, 8),
                          ends_at=berlin(2027, 3, 18, 10))

    before = counts()
    for decision in ({"keep_bookings": True}, {"notice": "Sorry"}):
        again = editing.set_opening_hours(witten_manager, fresh_site(witten.id),
                                          WEEKDAYS_9_TO_18, now=NOW,
                                          confirmed_ids={seen.id}, **decision)
        assert not again.done and not again.notice_missing
        assert {b.id for b in again.affected} == {seen.id, unseen.id}
    assert counts() == before

    browser.login(witten_manager)
    for decision in ("keep", "cancel"):
        response = browser.post(URL, data=dict(NEW_FORM, confirmed=[str(seen.id)],
                                               decision=decision, notice="Sorry"))
        assert response.status_code == 409
        assert listed_ids(response) == {seen.id, unseen.id}
    assert counts() == before
    assert fresh(seen.id).status == fresh(unseen.id).status == "confirmed"
    assert hours_of(witten.id)[1] == (time(8), time(20))


def test_only_managers_of_the_site_change_its_hours(witten, herne_manager, clash):
    with pytest.raises(NotAllowed):
        editing.set_opening_hours(herne_manager, witten, WEEKDAYS_9_TO_18, now=NOW,
                                  confirmed_ids=outside_ids(clash), keep_bookings=True)
    assert hours_of(witten.id)[1] == (time(8), time(20))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_confirmation_page_renders_in_both_languages(witten, witten_manager, clash,
                                                          browser, lang):
    browser.login(witten_manager)
    response = browser.post(f"{URL}?lang={lang}", data=NEW_FORM)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    keep = {"de": "bestehen lassen", "en": "keep these bookings"}[lang]
    assert keep in text


def fresh_site(site_id):
    db.session.rollback()
    return db.session.scalar(sa.select(Site).where(Site.id == site_id))
