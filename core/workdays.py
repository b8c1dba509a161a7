"""Danish working days: weekdays that are not public holidays.

The holidays come from the maintained `holidays` package (Denmark), so moving feasts (Easter,
Ascension, Whitsun) and changes in law (Store Bededag, abolished from 2024) are not ours to keep.
Which of its categories count as closed days is the setting WORKING_DAYS_HOLIDAY_CATEGORIES:
"public" (the default) or "public,optional" to close also on Grundlovsdag, 1 May, 24 and 31
December.
"""

from __future__ import annotations

import datetime
import functools

import holidays
from django.conf import settings


@functools.lru_cache(maxsize=64)
def _closed_days(year: int, categories: tuple[str, ...]) -> frozenset[datetime.date]:
    calendar = holidays.country_holidays("DK", years=year, categories=categories)
    return frozenset(calendar.keys())


def holiday_categories() -> tuple[str, ...]:
    return tuple(settings.WORKING_DAYS_HOLIDAY_CATEGORIES)


def is_working_day(day: datetime.date) -> bool:
    """A Monday–Friday that is not a Danish public holiday."""
    return day.weekday() < 5 and day not in _closed_days(day.year, holiday_categories())


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """How many working days after `start`, up to and including `end`."""
    count = 0
    current = start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
