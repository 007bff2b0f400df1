"""Business days: Monday to Friday minus the public holidays of a configurable calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


@lru_cache(maxsize=8)
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # expand=True (the default) adds each year's holidays on first lookup.
    return holidays.country_holidays(country, subdiv=subdivision)


def load() -> None:
    """Builds the configured calendar now. A serving process calls this at start (cpor/wsgi.py,
    cpor/asgi.py): the first lookup imports every country module of the holidays package
    (about 0.8 s and several MB), which would otherwise land in the first request that shows a
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
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def business_days_between(start: datetime, end: datetime) -> int:
    """Whole business days from start's date (exclusive) to end's date (inclusive)."""
    tz = ZoneInfo(settings.CPOR_BUSINESS_TIME_ZONE)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count
