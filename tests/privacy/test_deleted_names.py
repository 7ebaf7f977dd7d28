"""An anonymised account keeps a stable stored name, shown in the reader's language
wherever people's names appear (German by default, English on request)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale

from accounts.models import User
from calendars import feeds, grid
from core.audit import record
from core.time import utcnow
from extensions import db
from privacy.services import DELETED_NAME, delete_account
from tests.calendars.conftest import read_feed

GERMAN, ENGLISH = "gelöschtes Konto", "deleted account"
PAST = datetime(2025, 3, 4, 9, tzinfo=timezone.utc)


@pytest.fixture
def gone(make):
    """Anna booked at the Witten lab and did something its audit log shows; then she
    deleted her account."""
    site = make.site("witten")
    unit = make.unit(site, name="Desk A")
    anna = make.user("anna@example.org", name="Anna Schmidt")
    booking = make.booking(unit, user=anna, starts_at=PAST, ends_at=PAST + timedelta(hours=2))
    record("booking.checked_in", booking, actor=anna, site_id=site.id, now=PAST)
    db.session.commit()
    delete_account(anna, now=utcnow())
    make.user("manager@example.org", role="manager", sites=[site])
    make.user("admin@example.org", role="admin")
    return site, unit, db.session.get(User, anna.id), booking


def test_the_stored_name_stays_stable(gone):
    _, _, anna, _ = gone
    assert anna.display_name == DELETED_NAME == "deleted user"


def _both_languages(client, path):
    german = client.get(path)
    english = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert german.status_code == english.status_code == 200
    return german.get_data(as_text=True), english.get_data(as_text=True)


@pytest.mark.parametrize("who, path", [
    ("admin@example.org", "/admin/users"),
    ("manager@example.org", "/manage/witten/day?date=2025-03-04"),
    ("manager@example.org", "/manage/witten/audit"),
])
def test_pages_show_the_deleted_name_in_the_readers_language(client, auth, gone, who, path):
    auth.login(who)
    german, english = _both_languages(client, path)
    assert GERMAN in german and ENGLISH not in german
    assert ENGLISH in english and GERMAN not in english
    assert DELETED_NAME not in german and DELETED_NAME not in english


def test_the_admins_user_page_shows_the_deleted_name_translated(client, auth, gone):
    _, _, anna, _ = gone
    auth.login("admin@example.org")
    german, english = _both_languages(client, f"/admin/users/{anna.id}")
    assert f"<h1>{GERMAN}</h1>" in german and f"<h1>{ENGLISH}</h1>" in english


def test_the_managers_calendar_grid_and_feed_show_the_deleted_name_translated(app, gone):
    site, unit, _, booking = gone
    viewer = grid.Viewer(user_id=None, managed_site_ids={site.id})
    day = date(2025, 3, 4)
    for language, expected in (("de", GERMAN), ("en", ENGLISH)):
        with app.test_request_context(), force_locale(language):
            data = grid.CalendarData([unit], day, day, PAST, viewer)
            cell = data.cell(unit, booking.starts_at, booking.ends_at)
            assert cell.booker_name == expected
            events = read_feed(feeds.build_feed(feeds.manager_feed(site, language),
                                                PAST + timedelta(days=1)))
        [event] = events.values()
        assert event[4] == f"Desk A: {expected}"
