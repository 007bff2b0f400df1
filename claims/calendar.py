"""Business days: Monday to Friday minus the public holidays of a configurable calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.signals import setting_changed

# The settings a business day depends on: changing one (override_settings in tests) empties
# the day-counting caches below.
CALENDAR_SETTINGS = frozenset(
    {"CPOR_HOLIDAY_COUNTRY", "CPOR_HOLIDAY_SUBDIVISION", "CPOR_EXTRA_HOLIDAYS", "CPOR_BUSINESS_TIME_ZONE"}
)


@lru_cache(maxsize=8)
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # expand=True (the default) adds each year's holidays on first lookup.
    return holidays.country_holidays(country, subdiv=subdivision)


def load() -> None:
    """Builds the configured calendar now. A serving process calls this at start (cpor/wsgi.py,
    cpor/asgi.py): the first lookup imports every country module of the holidays package
    (measured in docs/benchmarks.md), which would otherwise land in the first request that shows a
    review deadline, in the middle of a page or a streamed CSV export."""
    country = settings.CPOR_HOLIDAY_COUNTRY
    if country:
        _public_holidays(country, settings.CPOR_HOLIDAY_SUBDIVISION).get(date.today())


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    if day in settings.CPOR_EXTRA_HOLIDAYS:
        return False
    country = settings.CPOR_HOLIDAY_COUNTRY
    return not country or day not in _public_holidays(country, settings.CPOR_HOLIDAY_SUBDIVISION)


def add_business_days(start: datetime, days: int) -> datetime:
    """The same local time of day on the `days`-th business day after `start`'s date.

    A clock started on a weekend or holiday counts from the next business day, so
    Saturday + 5 business days is the next Friday at the same time.
    """
    tz = ZoneInfo(settings.CPOR_BUSINESS_TIME_ZONE)
    local = start.astimezone(tz)
    day = _business_day_after(local.date(), days)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def business_days_between(start: datetime, end: datetime) -> int:
    """Whole business days from start's date (exclusive) to end's date (inclusive)."""
    tz = ZoneInfo(settings.CPOR_BUSINESS_TIME_ZONE)
    return _business_days_between_dates(start.astimezone(tz).date(), end.astimezone(tz).date())


# Pages, CSV exports and the sweep ask about the same few dates over and over (every row of a
# 10,000-claim export counts the days from today to one of a handful of deadline dates): the
# day-by-day walks are cached per pair of dates.
@lru_cache(maxsize=4096)
def _business_day_after(day: date, days: int) -> date:
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


@lru_cache(maxsize=4096)
def _business_days_between_dates(day: date, last: date) -> int:
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


def _calendar_changed(*, setting: str, **kwargs) -> None:
    if setting in CALENDAR_SETTINGS:
        _business_day_after.cache_clear()
        _business_days_between_dates.cache_clear()


setting_changed.connect(_calendar_changed, dispatch_uid="claims.calendar")
