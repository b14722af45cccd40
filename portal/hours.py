"""Is the practice open now? Plain Python: opening hours, a moment, public holidays.

Used to say "call the practice" during opening hours and "call the
huisartsenpost" outside them. Dutch public holidays come from the maintained
``holidays`` package, not from a list we keep ourselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OpeningHours = Mapping[str, Sequence[Sequence[str]]]


@lru_cache(maxsize=8)
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    # Imported here: a `voordeur` command or a page that never asks about a holiday skips the package.
    import holidays

    return holidays.country_holidays("NL", years=year)


def is_public_holiday(moment: datetime) -> bool:
    return moment.date() in _dutch_holidays(moment.year)


def load_holidays(year: int) -> None:
    """Build the year's Dutch holidays now, as the first outcome page would.

    The ``holidays`` package imports the modules of every country it knows when a country is
    first asked for (~280 modules, ~0.9 s of CPU). `voordeur serve` calls this before gunicorn
    forks, so each worker inherits the modules and the year's table and its first patient to
    reach an outcome does not wait for them (2.4 s instead of 0.13 s on a busy machine).
    """
    _dutch_holidays(year)


def is_open(hours: OpeningHours, moment: datetime) -> bool:
    """True when ``moment`` (local time) falls in one of the day's opening periods."""
    if is_public_holiday(moment):
        return False
    periods = hours.get(WEEKDAYS[moment.weekday()], ())
    now = moment.time()
    return any(time.fromisoformat(start) <= now < time.fromisoformat(end) for start, end in periods)


def validate_hours(hours: OpeningHours) -> list[str]:
    """Problems with an opening-hours mapping, for the CLI and the demo data."""
    problems = []
    for day, periods in hours.items():
        if day not in WEEKDAYS:
            problems.append(f"unknown day '{day}'")
            continue
        for period in periods:
            try:
                start, end = (time.fromisoformat(p) for p in period)
            except ValueError:
                problems.append(f"{day}: '{period}' is not a pair of HH:MM times")
                continue
            if start >= end:
                problems.append(f"{day}: {start:%H:%M} is not before {end:%H:%M}")
    return problems
