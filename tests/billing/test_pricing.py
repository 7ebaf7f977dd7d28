"""The pure price arithmetic: steps on the local calendar, rates, VAT per line, subsidies."""
from datetime import timedelta

from core.time import add_steps
from billing.pricing import PriceList, Slot, SubsidyOffer, cancellation_fee, quote, share_of
from tests.billing.conftest import berlin

SHELF = PriceList(net_cents_per_step=2_000, rates=((7, 1_500), (28, 1_000)))


def day_slots(start, days):
    return [Slot(start, add_steps(start, "day", days), "day")]


def test_vat_is_rounded_half_up_once_per_line():
    # 3 hours at 1.05 EUR net: 3.15 net, 19 % VAT = 0.5985 -> 0.60.
    desk = PriceList(net_cents_per_step=105)
    start = berlin(2027, 3, 16, 9)
    result = quote(desk, [Slot(start, start + timedelta(hours=3), "hour")])
    assert (result["net_cents"], result["vat_cents"], result["gross_cents"]) == (315, 60, 375)
    assert result["vat_rate"] == "19.00" and result["currency"] == "EUR"
    # Exactly half a cent rounds up: 50 cents at 7 % = 3.5 cents -> 4.
    assert quote(PriceList(50, vat_rate_bp=700),
                 [Slot(start, start + timedelta(hours=1), "hour")])["vat_cents"] == 4


def test_a_series_rounds_each_occurrence_and_sums_the_lines():
    desk = PriceList(net_cents_per_step=105)
    first = berlin(2027, 3, 16, 9)
    slots = [Slot(first + timedelta(weeks=week), first + timedelta(weeks=week, hours=1), "hour")
             for week in range(3)]
    result = quote(desk, slots)
    # Each line: 1.05 net, VAT 0.1995 -> 0.20.
    assert [line["vat_cents"] for line in result["lines"]] == [20, 20, 20]
    assert (result["net_cents"], result["vat_cents"]) == (315, 60)


def test_cheaper_rates_apply_from_their_length_on():
    start = berlin(2027, 4, 5)
    assert quote(SHELF, day_slots(start, 6))["net_cents"] == 6 * 2_000
    week = quote(SHELF, day_slots(start, 7))
    assert week["net_cents"] == 7 * 1_500 and week["lines"][0]["rate"] == "from_7"
    assert quote(SHELF, day_slots(start, 30))["net_cents"] == 30 * 1_000


def test_member_price_applies_when_it_is_cheaper():
    prices = PriceList(net_cents_per_step=2_000, member_net_cents_per_step=1_700,
                       rates=((7, 1_500),))
    start = berlin(2027, 4, 5)
    assert quote(prices, day_slots(start, 2), member=True)["net_cents"] == 3_400
    assert quote(prices, day_slots(start, 2), member=False)["net_cents"] == 4_000
    # From 7 days on the week rate is cheaper than the member price.
    assert quote(prices, day_slots(start, 7), member=True)["net_cents"] == 7 * 1_500


def test_a_daylight_saving_day_counts_as_one_day():
    # 28 March 2027 has 23 hours, 31 October 2027 has 25: each is one day of a shelf.
    spring = quote(SHELF, day_slots(berlin(2027, 3, 28), 1))
    autumn = quote(SHELF, day_slots(berlin(2027, 10, 31), 1))
    assert spring["lines"][0]["steps"] == autumn["lines"][0]["steps"] == 1
    assert spring["net_cents"] == autumn["net_cents"] == 2_000
    across = quote(SHELF, day_slots(berlin(2027, 3, 27), 3))
    assert across["lines"][0]["steps"] == 3


def test_own_price_reduction_lowers_the_taxable_net():
    offer = SubsidyOffer(1, "Anschub", "price_reduction", share_bp=5000)
    start = berlin(2027, 4, 5)
    result = quote(SHELF, day_slots(start, 3), subsidy=offer)  # 60.00 net
    assert result["subsidy_cents"] == 3_000
    assert result["net_cents"] == 3_000
    assert result["vat_cents"] == 570  # 19 % of the reduced 30.00
    assert result["gross_cents"] == result["payable_cents"] == 3_570
    assert result["subsidy"]["kind"] == "price_reduction"


def test_third_party_payment_keeps_vat_on_the_full_net():
    offer = SubsidyOffer(1, "Land NRW", "third_party", share_bp=5000)
    result = quote(SHELF, day_slots(berlin(2027, 4, 5), 3), subsidy=offer)
    assert result["net_cents"] == 6_000
    assert result["vat_cents"] == 1_140  # 19 % of the full 60.00
    assert result["gross_cents"] == 7_140
    assert result["subsidy_cents"] == 3_000
    assert result["payable_cents"] == 7_140 - 3_000


def test_subsidy_is_capped_per_booking_and_by_what_is_left():
    start = berlin(2027, 4, 5)
    capped = SubsidyOffer(1, "A", "price_reduction", share_bp=5000, cap_per_booking_cents=1_000)
    assert quote(SHELF, day_slots(start, 3), subsidy=capped)["subsidy_cents"] == 1_000
    short = SubsidyOffer(1, "A", "price_reduction", share_bp=5000, available_cents=4_000)
    series = [Slot(add_steps(start, "week", w), add_steps(start, "day", 7 * w + 3), "day")
              for w in range(2)]
    result = quote(SHELF, series, subsidy=short)
    assert [line["subsidy_cents"] for line in result["lines"]] == [3_000, 1_000]


def test_share_rounds_half_up():
    assert share_of(333, 5000) == 167
    assert share_of(1, 5000) == 1
    assert share_of(0, 1900) == 0


def test_cancellation_fee_follows_the_policy():
    prices = PriceList(net_cents_per_step=2_000, free_cancellation_hours=48,
                       cancellation_fee_bp=5000)
    start = berlin(2027, 4, 5)
    price = quote(prices, day_slots(start, 3))  # 60.00 net
    assert cancellation_fee(price, start, start - timedelta(hours=49)) == (0, 0)
    assert cancellation_fee(price, start, start - timedelta(hours=47)) == (3_000, 570)
    assert cancellation_fee(quote(SHELF, day_slots(start, 3)), start, start) == (0, 0)
