"""Danish working days and a written round's default deadline: weekends and public holidays
(from the maintained `holidays` package) are skipped, the deadline falls at
ROUNDS_DEADLINE_HOUR Danish time."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.workdays import add_working_days, is_working_day, working_days_between
from rounds.services import default_deadline

CPH = ZoneInfo("Europe/Copenhagen")


def d(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


def test_a_friday_plus_one_working_day_is_the_monday() -> None:
    assert d(2026, 12, 4).weekday() == 4
    assert add_working_days(d(2026, 12, 4), 1) == d(2026, 12, 7)
    assert add_working_days(d(2026, 12, 5), 1) == d(2026, 12, 7)  # from a Saturday
    assert add_working_days(d(2026, 12, 4), 5) == d(2026, 12, 11)
    assert add_working_days(d(2026, 12, 4), 0) == d(2026, 12, 4)


def test_easter_2027_is_skipped_from_maundy_thursday_to_easter_monday() -> None:
    # Skærtorsdag 25 March, Langfredag 26 March, Påskedag 28 March, 2. påskedag 29 March.
    for closed in (d(2027, 3, 25), d(2027, 3, 26), d(2027, 3, 27), d(2027, 3, 28), d(2027, 3, 29)):
        assert not is_working_day(closed), closed
    assert is_working_day(d(2027, 3, 24))
    assert is_working_day(d(2027, 3, 30))
    assert add_working_days(d(2027, 3, 24), 1) == d(2027, 3, 30)
    assert add_working_days(d(2027, 3, 23), 2) == d(2027, 3, 30)
    assert working_days_between(d(2027, 3, 24), d(2027, 3, 30)) == 1


def test_store_bededag_is_a_working_day_since_2024() -> None:
    # The fourth Friday after Easter; abolished as a holiday by law from 2024.
    assert is_working_day(d(2027, 4, 23))
    assert not is_working_day(d(2023, 5, 5))


def test_christmas_eve_is_a_working_day_unless_optional_holidays_are_closed(settings: Any) -> None:
    assert is_working_day(d(2026, 12, 24))
    assert not is_working_day(d(2026, 12, 25))
    settings.WORKING_DAYS_HOLIDAY_CATEGORIES = ["public", "optional"]
    assert not is_working_day(d(2026, 12, 24))
    assert not is_working_day(d(2026, 6, 5))  # Grundlovsdag
    assert add_working_days(d(2026, 12, 23), 1) == d(2026, 12, 28)


def test_a_negative_number_of_days_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(d(2026, 12, 4), -1)


def test_default_deadline_is_ten_working_days_at_noon_copenhagen_time_over_easter(
    settings: Any,
) -> None:
    settings.ROUNDS_DEFAULT_WORKING_DAYS = 10
    settings.ROUNDS_DEADLINE_HOUR = 12
    # From Friday 19 March 2027: 22, 23, 24, (Easter) 30, 31 March, 1, 2, 5, 6, 7 April.
    deadline = default_deadline(start=d(2027, 3, 19))
    assert deadline == datetime.datetime(2027, 4, 7, 12, 0, tzinfo=CPH)
    assert deadline.utcoffset() == datetime.timedelta(hours=2)  # summer time
    assert deadline.astimezone(datetime.UTC).hour == 10


def test_default_deadline_follows_the_settings_in_winter_time(settings: Any) -> None:
    settings.ROUNDS_DEFAULT_WORKING_DAYS = 3
    settings.ROUNDS_DEADLINE_HOUR = 15
    # From Friday 4 December 2026: Monday 7, Tuesday 8, Wednesday 9.
    deadline = default_deadline(start=d(2026, 12, 4))
    assert deadline.astimezone(CPH) == datetime.datetime(2026, 12, 9, 15, 0, tzinfo=CPH)
    assert deadline.utcoffset() == datetime.timedelta(hours=1)
