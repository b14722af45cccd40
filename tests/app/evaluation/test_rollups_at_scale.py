"""The rollups at a million records and more: periods read with buckets taken off, refreshes that
write one day at a time, and a bulk load rolled up as it goes — each giving exactly the counts of
the plain way (adding up days and weeks; recomputing everything)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest

from portal.storage import stats
from tests.app.evaluation.test_rollups import BOTH, add_run, every_rollup_row


@pytest.fixture
def log(db):
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    return db


def days_counted(spans: list[stats.SignedSpan]) -> dict[date, int]:
    """How often each day is counted by the signed buckets (taken-off days count -1)."""
    counted: dict[date, int] = {}
    for span in spans:
        bucket = span.first
        while bucket <= span.last:
            end = stats.bucket_last_day(span.grain, bucket)
            day = bucket
            while day <= end:
                counted[day] = counted.get(day, 0) + span.sign
                day += timedelta(days=1)
            bucket = end + timedelta(days=1)
    return {day: n for day, n in counted.items() if n}


def test_a_period_read_with_buckets_taken_off_counts_each_of_its_days_once_and_no_other():
    rng = random.Random(15)
    periods = [(date(2025, 12, 2), date(2026, 12, 1)), (date(2026, 2, 28), date(2026, 3, 1))]
    periods += [(date(2026, 1, 1), date(2026, 12, 31)), (date(2024, 2, 29), date(2027, 2, 28))]
    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(1000))
        periods.append((start, start + timedelta(days=rng.randrange(3 * 366))))
    for start, end in periods:
        expected = {start + timedelta(days=i): 1 for i in range((end - start).days + 1)}
        assert days_counted(stats.signed_spans(start, end)) == expected, (start, end)
    # A year to today: December last year minus its 1st, this year minus December, plus today —
    # five buckets where adding up needs eighteen (six days, three weeks, three days, three
    # quarters, two months and a day), and most rows sit in those edge days.
    year = stats.signed_spans(date(2025, 12, 2), date(2026, 12, 1))
    assert [(s.sign, s.grain, s.first.isoformat()) for s in year] == [
        (1, "year", "2026-01-01"),
        (1, "month", "2025-12-01"),
        (-1, "month", "2026-12-01"),
        (-1, "day", "2025-12-01"),
        (1, "day", "2026-12-01"),
    ]


def test_reading_with_buckets_taken_off_gives_what_adding_up_gives(log):
    db = log
    rng = random.Random(3)
    for _ in range(150):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(200))
        route = rng.choice(["self_care", "econsult", "appointment"])
        add_run(db, f"{day} 10:00", route=route, urgency="U4", practice=rng.choice(BOTH))
    add_run(db, "2026-09-01 10:00", route="social_domain", urgency="U5")  # alone on its day
    stats.refresh(db)
    for start, end in [(date(2026, 1, 2), date(2026, 6, 30)), (date(2026, 2, 3), date(2026, 9, 2))]:
        for table, columns in [("stats_flow", "practice, tree_id, state, route, urgency"), ("stats_measures", "value")]:
            signed = stats.sum_counts(db, table, columns, BOTH, start, end, order=f"ORDER BY {columns}")
            added = stats.sum_counts(db, table, columns, BOTH, start, end, order=f"ORDER BY {columns}", months=False)
            assert signed == added
    # September minus its 1st: the one social-domain triage is taken off again, and a count of
    # nothing is no row at all (as if it had never been counted).
    assert "social_domain" not in stats.route_counts(db, BOTH, date(2026, 9, 2), date(2026, 9, 30))
    assert stats.route_counts(db, BOTH, date(2026, 9, 1), date(2026, 9, 30)) == {"social_domain": 1}


def writes_to_rollups(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE")) and " stats_dirty" not in sql
            and "stats_state" not in sql]  # fmt: skip


def test_a_refresh_of_many_changed_days_writes_one_day_per_short_transaction(log):
    """The sweep reads each changed day from the log without the write lock and then writes only
    that day's differences: a patient's answer waits for one day's writes, never for a refresh."""
    db = log
    for offset in range(30):
        add_run(db, f"{date(2026, 3, 1) + timedelta(days=offset)} 10:00")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        days = stats.refresh(db, batch_days=7)
    finally:
        db.conn.set_trace_callback(None)
    assert len(days) == 30
    transactions: list[list[str]] = []  # the statements of each write transaction
    outside: list[str] = []
    for sql in statements:
        if sql == "BEGIN IMMEDIATE":
            transactions.append([])
        (transactions[-1] if transactions and transactions[-1][-1:] != ["COMMIT"] else outside).append(sql)
    writing = [t for t in transactions if writes_to_rollups(t)]
    assert len(writing) == 30  # one transaction per day that changed
    for transaction in writing:
        day_rows = [sql for sql in transaction if "grain = 'day'" in sql or "VALUES ('day'" in sql]
        assert len({day for sql in day_rows for day in re.findall(r"'(\d{4}-\d{2}-\d{2})'", sql)}) == 1
    # The log is read outside every write transaction.
    assert not any("FROM triage_runs" in sql for t in transactions for sql in t)
    assert sum("FROM triage_runs" in sql for sql in outside) == 30 * 6  # six rollups per day
    assert stats.route_counts(db, BOTH, date(2026, 3, 1), date(2026, 3, 31)) == {"self_care": 30}
    refreshed = every_rollup_row(db)
    stats.rebuild(db)
    assert refreshed == every_rollup_row(db)


def test_a_day_marked_without_a_real_change_writes_nothing(log):
    db = log
    add_run(db, "2026-03-02 09:00")
    stats.refresh(db)
    db.execute("INSERT INTO stats_dirty (day) VALUES ('2026-03-02')")  # as a step that changed nothing counted
    db.conn.commit()
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        assert stats.refresh(db) == ["2026-03-02"]
    finally:
        db.conn.set_trace_callback(None)
    assert writes_to_rollups(statements) == []


def test_a_slower_refresh_gives_way_to_a_newer_one_and_a_killed_one_is_picked_up(log):
    db = log
    add_run(db, "2026-03-02 09:00")
    [(day, first_token)] = stats._claim(db, 7)
    march_2 = date(2026, 3, 2)
    stored = {table: stats._day_rows(db, table, march_2, march_2) for table in stats._TABLES}
    stale = stats._read_day(db, day)  # the first refresh read the log ...
    add_run(db, "2026-03-02 10:00")  # ... a run came in and marked the day again ...
    [(_, second_token)] = stats._claim(db, 7)
    stats._apply(db, day, second_token, stats._read_day(db, day), stored)  # ... a second refresh finished first
    stats._apply(db, day, first_token, stale, stored)  # the first one's older rows are not written
    assert stats.route_counts(db, BOTH, date(2026, 3, 1), date(2026, 3, 31)) == {"self_care": 2}

    # A refresh killed after claiming a day: the next refresh, ten minutes on, does it.
    add_run(db, "2026-03-03 09:00")
    stats._claim(db, 7)
    db.execute("UPDATE stats_state SET value = '2000-01-01T00:00:00+00:00 x' WHERE key LIKE 'refreshing:%'")
    db.conn.commit()
    assert stats.refresh(db) == ["2026-03-03"]
    assert stats.route_counts(db, BOTH, date(2026, 3, 1), date(2026, 3, 31)) == {"self_care": 3}
    refreshed = every_rollup_row(db)
    stats.rebuild(db)
    assert refreshed == every_rollup_row(db)


def test_a_bulk_load_rolls_up_each_day_as_it_goes_and_equals_a_rebuild(app, log):
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules

    db = log
    with app.app_context():
        trees = rules().trees
    rows = list(generate(trees, BOTH, 3000, end=date(2026, 3, 31), days=40, seed=5))
    # Chunks far smaller than a day's rows: days continue across chunks.
    assert stats.bulk_load(db, ROW_COLUMNS, rows, chunk=50) == 3000
    assert stats.refresh(db) == []  # nothing left marked
    loaded = every_rollup_row(db)
    stats.rebuild(db)
    assert loaded == every_rollup_row(db)
    assert stats.log_span(db) == (date(2026, 2, 20), date(2026, 3, 31))
    with pytest.raises(ValueError, match="order"):
        stats.bulk_load(db, ROW_COLUMNS, [rows[-1], rows[0]], chunk=50)
