"""`voordeur serve` loads the year's Dutch holidays before gunicorn forks its workers, so the first
patient to reach an outcome in a fresh worker does not wait for the ``holidays`` package to import
its ~280 country modules (~0.9 s of CPU; 2.4 s against 0.13 s for that page on a busy machine)."""

from __future__ import annotations

from datetime import datetime

from gunicorn.app.base import BaseApplication

from portal import hours


def test_serve_has_this_years_holidays_before_the_workers_start(runner, monkeypatch):
    seen: list[int] = []

    def run_instead_of_gunicorn(self) -> None:  # the moment gunicorn would fork its workers
        seen.append(hours._dutch_holidays.cache_info().currsize)

    hours._dutch_holidays.cache_clear()
    monkeypatch.setattr(BaseApplication, "run", run_instead_of_gunicorn)
    result = runner.invoke(args=["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen == [1]
    year = datetime.now().year
    assert hours.is_public_holiday(datetime(year, 12, 25, 10, 0))  # Christmas, from that same table
    assert not hours.is_public_holiday(datetime(year, 12, 23, 10, 0))
    assert hours._dutch_holidays.cache_info().hits >= 2
