"""The publish form on the booking page: a refused post shows the page again with the input
kept and each problem beside its field, in the reader's language; nothing is written."""
import lxml.html
import pytest

from bookings.listing_models import PublicListing
from extensions import db
from tests.listings.test_listings import event_booking, publish

TITLE_REQUIRED = {"de": "Bitte geben Sie dem Eintrag einen Titel.",
                  "en": "Please give the listing a title."}
BAD_LINK = {"de": "Bitte geben Sie eine Webadresse an, die mit https:// oder http:// beginnt.",
            "en": "Please give a web address starting with https:// or http://."}
SUMMARY = {"de": "Bitte prüfen Sie Titel, Beschreibung und Link des Eintrags.",
           "en": "Please check the title, description and link of the listing."}


def at_most(count, language):
    return {"de": f"Bitte verwenden Sie höchstens {count} Zeichen.",
            "en": f"Please use at most {count} characters."}[language]


def field_of(page, name):
    """(control, error texts) of the form field ``name`` on the page."""
    document = lxml.html.fromstring(page)
    [control] = document.xpath(f'//form//*[@name="{name}"]')
    wrapper = control.getparent()
    assert "field" in wrapper.get("class").split()
    errors = [item.text_content().strip() for item in wrapper.xpath('.//ul[@class="errors"]/li')]
    return control, errors


def value_of(control):
    return control.text or "" if control.tag == "textarea" else control.get("value")


def listing_rows():
    return db.session.scalar(db.select(db.func.count()).select_from(PublicListing))


def booker_booking(make, auth, language="de"):
    booker = make.user(f"booker-{language}@example.org", locale=language)
    booking = event_booking(make, user=booker)
    auth.login(booker.email)
    return booking


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("field, submitted, problem", [
    ("title", {"title": "   "}, lambda language: TITLE_REQUIRED[language]),
    ("title", {"title": "T" * 121}, lambda language: at_most(120, language)),
    ("description", {"description": "D" * 1001}, lambda language: at_most(1000, language)),
    ("link", {"link": "javascript:alert(1)"}, lambda language: BAD_LINK[language]),
    ("link", {"link": "example.org/abend"}, lambda language: BAD_LINK[language]),
    ("link", {"link": "https://example.org/" + "a" * 490}, lambda language: at_most(500, language)),
], ids=["title-empty", "title-too-long", "description-too-long", "link-javascript",
        "link-not-absolute", "link-too-long"])
def test_a_refused_post_shows_the_problem_beside_its_field(client, auth, make, counts, language,
                                                         field, submitted, problem):
    booking = booker_booking(make, auth, language)
    before = counts()

    response = publish(client, booking.id, **submitted)

    assert response.status_code == 422
    assert counts() == before and listing_rows() == 0
    page = response.get_data(as_text=True)
    assert f"/bookings/{booking.id}/listing" in page  # the booking page with its form again
    assert SUMMARY[language] in page
    sent = {"title": "Gründerabend", "description": "Talks and pretzels.",
            "link": "https://example.org/abend"} | submitted
    for name in ("title", "description", "link"):
        control, errors = field_of(page, name)
        assert value_of(control) == sent[name]  # the input is kept
        if name == field:
            assert errors == [problem(language)]
            assert control.get("aria-invalid") == "true"
            assert control.get("aria-describedby") == f"listing-{name}-errors"
        else:
            assert errors == [] and control.get("aria-invalid") is None


def test_several_problems_are_shown_each_at_its_field(client, auth, make, counts):
    booking = booker_booking(make, auth)
    before = counts()
    response = publish(client, booking.id, title="", link="ftp://example.org/abend")
    assert response.status_code == 422
    assert counts() == before
    page = response.get_data(as_text=True)
    assert field_of(page, "title")[1] == [TITLE_REQUIRED["de"]]
    assert field_of(page, "description")[1] == []
    assert field_of(page, "link")[1] == [BAD_LINK["de"]]


def test_a_refused_update_keeps_the_input_and_the_published_listing(client, auth, make, counts):
    booking = booker_booking(make, auth)
    assert publish(client, booking.id, title="Gründerabend").status_code == 302
    before = counts()

    response = publish(client, booking.id, title="Neuer Titel", link="nicht-verlinkt")

    assert response.status_code == 422
    assert counts() == before
    page = response.get_data(as_text=True)
    assert value_of(field_of(page, "title")[0]) == "Neuer Titel"
    assert value_of(field_of(page, "link")[0]) == "nicht-verlinkt"
    listing = db.session.scalar(db.select(PublicListing).where(
        PublicListing.booking_id == booking.id).execution_options(populate_existing=True))
    assert listing.title == "Gründerabend" and listing.link == "https://example.org/abend"
    # A fresh page shows what is stored again, without the problems.
    fresh = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert value_of(field_of(fresh, "title")[0]) == "Gründerabend"
    assert field_of(fresh, "link")[1] == []


def test_a_valid_post_still_publishes_and_redirects(client, auth, make):
    booking = booker_booking(make, auth)
    response = publish(client, booking.id, title="  Gründerabend  ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    listing = db.session.scalar(db.select(PublicListing).where(
        PublicListing.booking_id == booking.id))
    assert listing.published and listing.title == "Gründerabend"
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Ihr Eintrag ist öffentlich." in page
    assert value_of(field_of(page, "title")[0]) == "Gründerabend"


def test_a_booking_that_is_no_event_or_popup_shows_its_page_with_the_reason(client, auth, make,
                                                                            counts):
    booker = make.user("desk-form@example.org")
    booking = event_booking(make, user=booker, kind="desk")
    auth.login("desk-form@example.org")
    before = counts()
    response = publish(client, booking.id)
    assert response.status_code == 422
    assert counts() == before
    page = response.get_data(as_text=True)
    assert "Veröffentlicht werden können nur Buchungen von Eventflächen" in page
    assert f"Buchung {booking.id}" in page  # its booking page, not the error page
    assert 'name="title"' not in page  # no form for such a booking


def test_a_cancelled_booking_is_refused_as_before(client, auth, make, counts):
    booker = make.user("cancelled-form@example.org")
    booking = event_booking(make, user=booker)
    booking.status = "cancelled"
    db.session.commit()
    auth.login("cancelled-form@example.org")
    before = counts()
    response = publish(client, booking.id)
    assert response.status_code == 409
    assert counts() == before
    assert "Nur bestätigte Buchungen können veröffentlicht werden." in response.get_data(
        as_text=True)


def test_a_stranger_is_refused_without_the_form(client, auth, make, counts):
    booking = event_booking(make)
    make.user("stranger-form@example.org")
    auth.login("stranger-form@example.org")
    before = counts()
    response = publish(client, booking.id, title="")
    assert response.status_code == 403
    assert counts() == before
    assert 'name="title"' not in response.get_data(as_text=True)
