"""The status line of a held booking names when the hold ends: the time on the same local
day, the date and time when it ends on another day (a hold after an approval lasts days)."""
from datetime import datetime
from types import SimpleNamespace

from flask_babel import force_locale

from bookings.display import status_text
from core.time import BERLIN, UTC


def held_until(*parts):
    return SimpleNamespace(status="held",
                           hold_expires_at=datetime(*parts, tzinfo=BERLIN).astimezone(UTC))


def at(*parts):
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def test_a_hold_ending_today_names_the_local_time(app):
    with app.test_request_context(), force_locale("de"):
        # 23:50 UTC on 28 November is already 00:50 on 29 November in Berlin.
        text = status_text(held_until(2026, 11, 29, 0, 50), at(2026, 11, 29, 0, 35))
    assert text == "Wartet auf Zahlung bis 00:50"


def test_a_hold_ending_on_another_day_names_the_date(app):
    booking = held_until(2026, 12, 1, 9, 30)
    with app.test_request_context(), force_locale("de"):
        german = status_text(booking, at(2026, 11, 29, 14, 0))
    with app.test_request_context(), force_locale("en"):
        english = status_text(booking, at(2026, 11, 29, 14, 0))
    assert german == "Wartet auf Zahlung bis 01.12.26, 09:30"
    assert english == "Awaiting payment until 12/1/26, 9:30\u202fAM"
