"""The weekly RRULE subset: parsing, RRULE text, occurrences."""
from datetime import date

import pytest

from bookings.recurrence import Recurrence
from core.errors import ValidationError
from core.time import local_date, to_local
from tests.bookings.conftest import berlin


def days(recurrence, start, end):
    return [local_date(s) for s, _ in recurrence.occurrences(start, end)]


def test_to_rrule_with_an_inclusive_local_until_date():
    rule = Recurrence.from_dict({"freq": "weekly", "byday": ["TU"], "interval": 1,
                                 "until": "2027-04-13"})
    assert rule.to_rrule() == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;UNTIL=20270413T215959Z"
    winter = Recurrence.from_dict({"freq": "weekly", "byday": ["th", "TU"], "until": "2027-02-28"})
    assert winter.to_rrule() == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH;UNTIL=20270228T225959Z"
    counted = Recurrence.from_dict({"freq": "WEEKLY", "byday": ["MO"], "interval": 2, "count": 5})
    assert counted.to_rrule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=5"


@pytest.mark.parametrize("data", [
    None,
    [],
    {"freq": "daily", "byday": ["TU"], "count": 3},
    {"byday": ["TU"], "count": 3},
    {"freq": "weekly", "byday": ["XX"], "count": 3},
    {"freq": "weekly", "byday": [], "count": 3},
    {"freq": "weekly", "byday": "TU", "count": 3, "bysetpos": 1},
    {"freq": "weekly", "byday": ["TU"]},
    {"freq": "weekly", "byday": ["TU"], "count": 3, "until": "2027-04-13"},
    {"freq": "weekly", "byday": ["TU"], "count": 0},
    {"freq": "weekly", "byday": ["TU"], "count": 261},
    {"freq": "weekly", "byday": ["TU"], "count": "3"},
    {"freq": "weekly", "byday": ["TU"], "count": True},
    {"freq": "weekly", "byday": ["TU"], "interval": 0, "count": 3},
    {"freq": "weekly", "byday": ["TU"], "interval": "2", "count": 3},
    {"freq": "weekly", "byday": ["TU"], "until": "2027-13-01"},
    {"freq": "weekly", "byday": ["TU"], "until": "13.04.2027"},
])
def test_anything_outside_the_subset_is_a_validation_error(data):
    with pytest.raises(ValidationError) as caught:
        Recurrence.from_dict(data)
    assert "recurrence" in caught.value.fields


def test_occurrences_start_with_the_given_one_and_follow_the_weekdays():
    rule = Recurrence.from_dict({"freq": "weekly", "byday": ["TU", "TH"], "until": "2027-03-25"})
    assert days(rule, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 17)) == [
        date(2027, 3, 16), date(2027, 3, 18), date(2027, 3, 23), date(2027, 3, 25)
    ]
    # A first date off the weekdays still counts as the first occurrence.
    assert days(rule, berlin(2027, 3, 17, 9), berlin(2027, 3, 17, 17)) == [
        date(2027, 3, 17), date(2027, 3, 18), date(2027, 3, 23), date(2027, 3, 25)
    ]


def test_interval_and_count_include_the_first_occurrence():
    rule = Recurrence.from_dict({"freq": "weekly", "byday": ["TU"], "interval": 2, "count": 3})
    assert days(rule, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 10)) == [
        date(2027, 3, 16), date(2027, 3, 30), date(2027, 4, 13)
    ]
    single = Recurrence.from_dict({"freq": "weekly", "byday": ["TU"], "count": 1})
    assert days(single, berlin(2027, 3, 16, 9), berlin(2027, 3, 16, 10)) == [date(2027, 3, 16)]


def test_day_long_occurrences_keep_local_midnights():
    rule = Recurrence.from_dict({"freq": "weekly", "byday": ["SU"], "count": 3})
    occurrences = rule.occurrences(berlin(2027, 3, 21), berlin(2027, 3, 22))
    assert [(to_local(s).hour, to_local(e).hour) for s, e in occurrences] == [(0, 0)] * 3
    assert [(e - s).total_seconds() / 3600 for s, e in occurrences] == [24, 23, 24]


def test_more_than_260_occurrences_are_refused():
    rule = Recurrence.from_dict({"freq": "weekly", "byday": ["MO", "TU", "WE", "TH", "FR"],
                                 "until": "2028-12-31"})
    with pytest.raises(ValidationError) as caught:
        rule.occurrences(berlin(2027, 3, 15, 9), berlin(2027, 3, 15, 10))
    assert caught.value.message_key == "series_too_long"
