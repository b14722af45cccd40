"""One working day, across weekends and Dutch public holidays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.workdays import answer_due, working_hours_between

AMS = ZoneInfo("Europe/Amsterdam")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        ("2026-11-23 10:00", "2026-11-24 17:00"),  # Monday → Tuesday
        ("2026-11-27 16:00", "2026-11-30 17:00"),  # Friday → Monday
        ("2026-11-28 09:00", "2026-11-30 17:00"),  # Saturday → Monday
        ("2026-12-24 11:00", "2026-12-28 17:00"),  # Christmas Eve → after Christmas and Boxing Day
        ("2026-12-31 15:00", "2027-01-04 17:00"),  # New Year's Eve (Thu) → New Year (Fri) off → Monday
        ("2026-04-02 12:00", "2026-04-07 17:00"),  # Thursday before Easter → Good Friday, Easter Monday off
        ("2026-04-24 12:00", "2026-04-28 17:00"),  # Friday → Koningsdag Monday 27 April off → Tuesday
        ("2026-05-13 12:00", "2026-05-15 17:00"),  # Wednesday → Ascension Thursday off → Friday
        ("2026-05-22 12:00", "2026-05-26 17:00"),  # Friday → Whit Monday off → Tuesday
    ],
)
def test_an_answer_is_due_at_the_end_of_the_next_working_day(sent, due):
    assert answer_due(at(sent)) == at(due)


def test_working_hours_skip_nights_weekends_and_holidays():
    assert working_hours_between(at("2026-11-27 16:00"), at("2026-11-30 09:00")) == 2.0
    assert working_hours_between(at("2026-12-24 16:00"), at("2026-12-28 08:30")) == 1.5
    assert working_hours_between(at("2026-11-30 09:00"), at("2026-11-27 16:00")) == -2.0
