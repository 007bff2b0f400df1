from datetime import UTC, date, datetime

import pytest
from django.test import override_settings

from claims.calendar import add_business_days, business_days_between, is_business_day

MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the week of Thanksgiving (Thu 26 Nov 2026)


def test_five_business_days_skip_the_weekend_and_thanksgiving():
    assert add_business_days(MON, 5) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_clock_started_on_saturday_counts_from_monday():
    assert add_business_days(datetime(2026, 11, 28, 15, 30, tzinfo=UTC), 5) == datetime(2026, 12, 4, 15, 30, tzinfo=UTC)


def test_friday_plus_one_is_monday():
    assert add_business_days(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), 1) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "day, expected",
    [(date(2026, 11, 26), False), (date(2026, 11, 27), True), (date(2026, 11, 28), False), (date(2026, 12, 25), False)],
)
def test_business_day_calendar(day, expected):
    assert is_business_day(day) is expected


@override_settings(CPOR_EXTRA_HOLIDAYS=[date(2026, 11, 27)])
def test_extra_holidays_from_settings_are_skipped():
    assert add_business_days(MON, 5) == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@override_settings(CPOR_HOLIDAY_COUNTRY="GB")
def test_the_holiday_calendar_is_a_setting():
    # Thanksgiving is no holiday in the UK calendar.
    assert add_business_days(MON, 5) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@override_settings(CPOR_BUSINESS_TIME_ZONE="America/Los_Angeles")
def test_business_days_follow_the_configured_time_zone():
    # 02:00 UTC on Saturday is still Friday evening in Seattle.
    start = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    assert add_business_days(start, 1) == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_business_days_between_counts_whole_days():
    assert business_days_between(MON, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == 5


def test_a_change_of_the_calendar_settings_empties_the_cached_day_counts():
    dec_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    # Asked once, the answers are cached per pair of dates...
    assert add_business_days(MON, 5) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert business_days_between(MON, dec_1) == 5
    # ...and a changed calendar is still obeyed, both ways.
    with override_settings(CPOR_EXTRA_HOLIDAYS=[date(2026, 11, 27)]):
        assert add_business_days(MON, 5) == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        assert business_days_between(MON, dec_1) == 4
    assert add_business_days(MON, 5) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert business_days_between(MON, dec_1) == 5
