"""POST /api/v1/quotes: the price of a booking request, without booking."""
from tests.api.conftest import local
from tests.billing.conftest import add_programme, next_weekday, set_price, startup


def test_a_quote_has_the_money_shape_and_writes_nothing(api, make, counts):
    desk = make.unit(make.site(), "desk", max_length=12)
    set_price(desk, 1_050)
    day = next_weekday(1)
    before = counts()
    answer = api.post("/quotes", json={"unit_id": desk.id, "start": local(day, 9),
                                       "end": local(day, 12)})
    assert answer.status_code == 200, answer.get_json()
    quote = answer.get_json()
    assert {key: quote[key] for key in ("net_cents", "vat_cents", "gross_cents",
                                        "subsidy_cents", "vat_rate", "currency")} == {
        "net_cents": 3_150, "vat_cents": 599, "gross_cents": 3_749, "subsidy_cents": 0,
        "vat_rate": "19.00", "currency": "EUR"}
    assert quote["unit_id"] == desk.id and len(quote["lines"]) == 1
    assert counts() == before


def test_a_quote_for_a_series_and_with_funding(api, make):
    organisation = startup(make)
    user = make.user(organisation=organisation)
    desk = make.unit(make.site(), "desk", max_length=12)
    set_price(desk, 1_000)
    add_programme(share_bp=2_500, kind="third_party")
    day = next_weekday(1)
    answer = api.as_user(user).post("/quotes", json={
        "unit_id": desk.id, "start": local(day, 9), "end": local(day, 11),
        "organisation_id": organisation.id,
        "recurrence": {"freq": "weekly", "byday": ["TU"], "count": 3}})
    quote = answer.get_json()
    assert answer.status_code == 200, quote
    assert len(quote["lines"]) == 3
    assert quote["net_cents"] == 6_000 and quote["vat_cents"] == 1_140
    assert quote["subsidy_cents"] == 1_500
    assert quote["payable_cents"] == 7_140 - 1_500
    assert quote["subsidy"]["kind"] == "third_party"


def test_quote_errors(api, make):
    desk = make.unit(make.site(), "desk", max_length=12)
    day = next_weekday(1)
    no_price = api.post("/quotes", json={"unit_id": desk.id, "start": local(day, 9),
                                         "end": local(day, 10)})
    assert no_price.status_code == 422
    assert no_price.get_json()["error"]["details"]["fields"] == {"unit_id": "no_price"}
    set_price(desk, 1_000)
    off_step = api.post("/quotes", json={"unit_id": desk.id, "start": local(day, 9, 30),
                                         "end": local(day, 10)})
    assert off_step.status_code == 422
    other = make.organisation()
    foreign = api.as_user(make.user()).post("/quotes", json={
        "unit_id": desk.id, "start": local(day, 9), "end": local(day, 10),
        "organisation_id": other.id})
    assert foreign.status_code == 422
    assert api.anonymous().post("/quotes", data="nope",
                                content_type="application/json").status_code == 400
