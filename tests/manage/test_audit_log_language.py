"""The audit log shows system reason codes and anonymised names in the reader's language;
what a person wrote, and every other value, stays as it was logged."""
import pytest

from bookings.reasons import TENANCY_ENDED, WAITLIST_OFFER_DECLINED
from core.audit import record
from extensions import db
from privacy.services import DELETED_NAME
from tests.manage.conftest import NOW

TEXTS = {
    "de": {TENANCY_ENDED: "Die Mietvereinbarung wurde vorzeitig beendet.",
           WAITLIST_OFFER_DECLINED: "Das Angebot von der Warteliste wurde abgelehnt.",
           DELETED_NAME: "gelöschtes Konto"},
    "en": {TENANCY_ENDED: "The tenancy was ended early.",
           WAITLIST_OFFER_DECLINED: "The waitlist offer was declined.",
           DELETED_NAME: "deleted account"},
}


@pytest.fixture
def logged(witten, request_at_witten):
    """Entries of the Witten log with system codes, a written reason and a deleted name."""
    booking = request_at_witten
    record("booking.cancelled", booking, site_id=witten.id, now=NOW,
           before={"status": "confirmed", "status_reason": None},
           after={"status": "cancelled", "status_reason": TENANCY_ENDED})
    record("booking.cancelled", booking, site_id=witten.id, now=NOW,
           before={"status": "held"},
           after={"status": "cancelled", "reason": WAITLIST_OFFER_DECLINED})
    record("booking.rejected", booking, site_id=witten.id, now=NOW,
           before={"status": "requested"},
           after={"status": "rejected", "reason": "Saal wird renoviert"})
    record("user.renamed", booking, site_id=witten.id, now=NOW,
           before={"display_name": DELETED_NAME, "name": DELETED_NAME},
           after={"display_name": "Rita Röster", "name": "Saal"})
    db.session.commit()


def _audit_page(browser, witten_manager, query=""):
    browser.login(witten_manager)
    response = browser.get(f"/manage/witten/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("query, language", [("", "de"), ("?lang=en", "en")])
def test_system_reasons_read_in_the_readers_language(browser, witten_manager, logged, query,
                                                     language):
    page = _audit_page(browser, witten_manager, query)
    other = TEXTS["en" if language == "de" else "de"]
    for code in (TENANCY_ENDED, WAITLIST_OFFER_DECLINED):
        assert TEXTS[language][code] in page
        assert other[code] not in page
        assert f"<dd>{code}</dd>" not in page


def test_an_english_manager_reads_the_reasons_in_english(make, witten, browser, logged):
    english_manager = make.user("manager.en@example.org", role="manager", sites=[witten],
                                locale="en")
    page = _audit_page(browser, english_manager)
    assert TEXTS["en"][TENANCY_ENDED] in page and TEXTS["de"][TENANCY_ENDED] not in page


@pytest.mark.parametrize("query, language", [("", "de"), ("?lang=en", "en")])
def test_a_deleted_name_is_translated_and_other_values_stay(browser, witten_manager, logged,
                                                            query, language):
    page = _audit_page(browser, witten_manager, query)
    # The display name of a deleted account reads in the reader's language ...
    assert f"<dt>display_name</dt><dd>{TEXTS[language][DELETED_NAME]}</dd>" in page
    # ... the same text under any other key is a value like any other.
    assert f"<dt>name</dt><dd>{DELETED_NAME}</dd>" in page
    assert "<dt>display_name</dt><dd>Rita Röster</dd>" in page
    # What a manager wrote is shown as written.
    assert "<dt>reason</dt><dd>Saal wird renoviert</dd>" in page
    assert "<dt>status</dt><dd>cancelled</dd>" in page
