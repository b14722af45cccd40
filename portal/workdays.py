"""Working days and working hours: when an answer is due, and how late it is.

Practices promise an answer "within one working day". Weekends and Dutch
public holidays (from the ``holidays`` package, which counts Good Friday) are
not working days. Plain Python: times are local (Europe/Amsterdam) and passed
in, so tests can pin any date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from .hours import is_public_holiday

WORKDAY_START = time(8, 0)
WORKDAY_END = time(17, 0)
WORKDAY_HOURS = 9.0


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(datetime.combine(day, time(12)))


def next_working_day(day: date) -> date:
    following = day + timedelta(days=1)
    while not is_working_day(following):
        following += timedelta(days=1)
    return following


def answer_due(sent: datetime) -> datetime:
    """The end of the next working day after ``sent``.

    Sent on Friday evening before Easter → due at the end of the Tuesday after
    Easter Monday: the practice always gets one full working day.
    """
    due_day = next_working_day(sent.date())
    return datetime.combine(due_day, WORKDAY_END, tzinfo=sent.tzinfo)


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours (08:00–17:00 on working days) from ``start`` to ``end``; negative when reversed."""
    if end < start:
        return -working_hours_between(end, start)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            opens = datetime.combine(day, WORKDAY_START, tzinfo=start.tzinfo)
            closes = datetime.combine(day, WORKDAY_END, tzinfo=start.tzinfo)
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap.total_seconds(), 0) / 3600
        day += timedelta(days=1)
    return total
