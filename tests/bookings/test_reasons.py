"""Reasons the system writes into a booking read in the reader's language (German by
default, English on request); what a person wrote stays as they wrote it."""
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from bookings.models import Booking
from bookings.notifications import notify_booking_cancelled
from bookings.reasons import REASONS, TENANCY_ENDED, WAITLIST_OFFER_DECLINED, reason_text
from bookings.tenancies import approve_tenancy, end_tenancy
from bookings.tenancy_models import Tenancy
from core.time import utcnow
from extensions import db
from tests.tenancies.conftest import NOW, berlin, fresh, thursdays

GERMAN = {
    TENANCY_ENDED: "Die Mietvereinbarung wurde vorzeitig beendet.",
    WAITLIST_OFFER_DECLINED: "Das Angebot von der Warteliste wurde abgelehnt.",
}
ENGLISH = {
    TENANCY_ENDED: "The tenancy was ended early.",
    WAITLIST_OFFER_DECLINED: "The waitlist offer was declined.",
}


def test_the_codes_stay_the_texts_older_versions_stored():
    # Rows written before the registry hold these literals: they must keep matching.
    assert (TENANCY_ENDED, WAITLIST_OFFER_DECLINED) == ("tenancy ended",
                                                       "waitlist offer declined")


@pytest.mark.parametrize("code", [TENANCY_ENDED, WAITLIST_OFFER_DECLINED])
def test_a_system_reason_reads_german_by_default_and_english_on_request(app, code):
    with app.test_request_context():
        assert reason_text(code) == GERMAN[code]
        with force_locale("en"):
            assert reason_text(code) == ENGLISH[code]


def test_every_registered_reason_has_a_german_translation(app):
    with app.test_request_context():
        for code, text in REASONS.items():
            with force_locale("en"):
                english = str(text)
            with force_locale("de"):
                assert str(text) != english, code


def test_what_a_person_wrote_is_shown_verbatim(app):
    with app.test_request_context():
        for language in ("de", "en"):
            with force_locale(language):
                assert reason_text("Raum wird gestrichen") == "Raum wird gestrichen"
                assert reason_text("tenancy ended early") == "tenancy ended early"
                assert reason_text(None) == ""


def _detail(client, booking_id, query=""):
    response = client.get(f"/bookings/{booking_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def lab(make):
    """A partner organisation whose admin asks for a desk of the Witten lab."""
    witten = make.site("witten")
    partner = make.organisation("Ruhrbank", kind="partner")
    return SimpleNamespace(
        desk_a=make.unit(witten, "desk", name="Desk A", max_length=12),
        witten_manager=make.user(role="manager", sites=[witten]),
        partner=partner,
        partner_admin=make.user("partner@example.org", organisation=partner,
                                membership_role="admin"),
    )


def test_ending_a_tenancy_stores_the_code_and_the_booking_page_translates_it(
        client, auth, lab):
    tenancy = thursdays(lab, ends_on=date(2027, 4, 29))
    approve_tenancy(lab.witten_manager, tenancy, now=NOW, monthly_fee_cents=45_000)
    end_tenancy(lab.witten_manager, fresh(Tenancy, tenancy.id), ends_on=date(2027, 4, 1),
                now=berlin(2027, 3, 20, 12))
    freed = db.session.scalars(sa.select(Booking).where(
        Booking.tenancy_id == tenancy.id, Booking.status == "cancelled")).all()
    assert freed and {booking.status_reason for booking in freed} == {TENANCY_ENDED}

    auth.login("partner@example.org")  # the requester books the occurrences
    german = _detail(client, freed[0].id)
    assert GERMAN[TENANCY_ENDED] in german and TENANCY_ENDED not in german
    english = _detail(client, freed[0].id, "?lang=en")
    assert ENGLISH[TENANCY_ENDED] in english and GERMAN[TENANCY_ENDED] not in english


def test_an_old_row_and_a_written_reason_on_the_booking_page(client, auth, make):
    booker = make.user("booker@example.org")
    old = make.booking(user=booker, status="cancelled", status_reason="waitlist offer declined")
    written = make.booking(user=booker, status="cancelled", status_reason="Raum wird gestrichen",
                           starts_at=berlin(2027, 3, 17, 10))
    auth.login("booker@example.org")
    assert GERMAN[WAITLIST_OFFER_DECLINED] in _detail(client, old.id)
    assert "Raum wird gestrichen" in _detail(client, written.id)
    assert ENGLISH[WAITLIST_OFFER_DECLINED] in _detail(client, old.id, "?lang=en")
    assert "Raum wird gestrichen" in _detail(client, written.id)


@pytest.mark.parametrize("locale, expected", [("de", GERMAN), ("en", ENGLISH)])
def test_the_cancellation_mail_gives_a_system_reason_in_the_recipients_language(
        make, locale, expected):
    booker = make.user(locale=locale)
    booking = make.booking(user=booker, status="cancelled", status_reason=TENANCY_ENDED)
    mail = notify_booking_cancelled(booking, actor=None, now=utcnow(), reason=TENANCY_ENDED)
    assert expected[TENANCY_ENDED] in mail.body_text
    assert expected[TENANCY_ENDED] in mail.body_html
    assert TENANCY_ENDED not in mail.body_text
