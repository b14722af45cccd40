"""Rollups of the routing log at the grain each evaluation view needs, and the queries over them.

The raw log can hold millions of rows; the dashboard reads only these small tables.
Each table (``_ROLLUPS``) holds the counts of one view's dimensions three times: per
day, per week (keyed by its Monday) and per month (keyed by its 1st). A query for any
period reads whole months, then whole weeks, then the remaining days (``spans``), so a
year costs about twelve months' rows instead of 365 days'. Days are UTC dates.

Refreshing is incremental: triggers on ``triage_runs`` (migration 0009) mark the day of
every record that changes in ``stats_dirty``; ``refresh`` recomputes those days from the
log and their weeks and months from the day rows, then clears the marks. ``rebuild``
recomputes everything. Runs played in a validation round are no patients: every rollup,
and so every evaluation figure, export and yearly report, leaves them out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from ..vocabulary import RequestKind
from .db import immediate

_MINUTES = "CAST(min(120, max(0, round((julianday(finished_at) - julianday(started_at)) * 1440))) AS INTEGER)"
_STATE = "CASE WHEN finished_at IS NOT NULL THEN 'finished' WHEN abandoned = 1 THEN 'abandoned' ELSE 'open' END"
# instr() instead of json_extract(): the same answer for json.dumps' fixed format, many times faster.
_SECOND = """CASE WHEN instr(answers, '"second_contact": "yes"') > 0 THEN 1 ELSE 0 END"""
# Runs played in a validation round (docs/safety/validation.md) are no patients.
_REAL = "validation_round IS NULL"
_DAY_RANGE = "started_at >= :start AND started_at < :end"


@dataclass(frozen=True)
class Rollup:
    """One rollup table: its dimension columns and how to compute its day rows from the log."""

    table: str
    dimensions: tuple[str, ...]
    select: str  # the dimensions' expressions, in order
    where: str  # which runs count, besides the day range and ``_REAL``

    def from_log(self) -> str:
        return (
            f"INSERT INTO {self.table} (grain, day, practice, {', '.join(self.dimensions)}, n) "
            f"SELECT 'day', substr(started_at, 1, 10), practice, {self.select}, count(*) FROM triage_runs "
            f"WHERE {_DAY_RANGE} AND {_REAL} AND {self.where} "
            f"GROUP BY 2, 3, {', '.join(str(i) for i in range(4, 4 + len(self.dimensions)))}"
        )

    def from_finer(self, grain: str) -> str:
        """Rows of ``grain`` whose finer rows (``_COARSER``) are keyed :start to :end, summed from them."""
        source, bucket = _COARSER[grain]
        columns = ", ".join(self.dimensions)
        return (
            f"INSERT INTO {self.table} (grain, day, practice, {columns}, n) "
            f"SELECT '{grain}', {bucket}, practice, {columns}, sum(n) FROM {self.table} "
            f"WHERE grain = '{source}' AND day >= :start AND day <= :end GROUP BY 2, 3, {columns}"
        )


#: Each coarser grain, in the order they are filled: the grain it is summed from, and the SQL
#: for its key (its first day) from the finer row's key. A year is summed from four quarters,
#: not 365 days, so refreshing a day touches a few thousand rows, not the whole year's.
_COARSER = {
    "week": ("day", "date(day, '-6 days', 'weekday 1')"),
    "month": ("day", "substr(day, 1, 7) || '-01'"),
    "quarter": (
        "month",
        "substr(day, 1, 5) || printf('%02d', (CAST(substr(day, 6, 2) AS INTEGER) - 1) / 3 * 3 + 1) || '-01'",
    ),
    "year": ("quarter", "substr(day, 1, 4) || '-01-01'"),
}


_ROLLUPS = (
    Rollup("stats_flow", ("tree_id", "state", "route", "urgency"), f"tree_id, {_STATE}, route, urgency", "1"),
    Rollup(
        "stats_signals",
        ("tree_id", "route", "second_contact", "cap_redirected", "counterfactual"),
        f"tree_id, route, {_SECOND}, cap_redirected, counterfactual",
        "finished_at IS NOT NULL",
    ),
    # Two histograms, not one of pairs: the medians are taken separately, and pairs of
    # (questions, minutes) would make nearly one row per run.
    Rollup(
        "stats_measures",
        ("tree_id", "measure", "value"),
        "tree_id, 'questions', coalesce(questions, 0)",
        "finished_at IS NOT NULL",
    ),
    Rollup(
        "stats_measures", ("tree_id", "measure", "value"), f"tree_id, 'minutes', {_MINUTES}", "finished_at IS NOT NULL"
    ),
    Rollup(
        "stats_dropout", ("tree_id", "tree_version", "last_node"), "tree_id, tree_version, last_node", "abandoned = 1"
    ),
    Rollup(
        "stats_disposition",
        ("tree_id", "tree_version", "outcome_node", "route", "urgency", "final_route", "final_urgency"),
        "tree_id, tree_version, outcome_node, route, urgency, final_route, final_urgency",
        "final_route IS NOT NULL",
    ),
)
_TABLES = tuple(dict.fromkeys(rollup.table for rollup in _ROLLUPS))
#: Week and month rows are summed once per table, however many rollups fill its day rows.
_BY_TABLE = {rollup.table: rollup for rollup in _ROLLUPS}


def rebuild(db: Database) -> None:
    """Every rollup from the whole log (``voordeur demo --sessions``)."""
    with immediate(db, durable=False):
        fill_all(db)
        _mark(db)


#: Beyond this many changed days (after a migration or a bulk load), recomputing every coarser
#: row from the day rows is cheaper than adding each change to them.
REBUILD_DAYS = 62


def refresh(db: Database) -> list[str]:
    """Recompute the days whose routing records changed since the last refresh; return those days.

    A run counts on the day it started: one that finishes, is abandoned by the sweep or gets an
    assistant's decision days later marks that earlier day, and only that day is recomputed.
    Its weeks, months, quarters and year then get only the difference between the day's new and
    old rows, so a refresh writes only the rows that changed instead of recomputing a month and
    a year (~0.8 s of CPU at a million runs) while it holds the write lock.
    """
    with immediate(db, durable=False):
        days = sorted(row["day"] for row in db.query("SELECT day FROM stats_dirty"))
        if not days:
            return []
        valid = [date.fromisoformat(day) for day in days if _is_date(day)]
        if len(valid) > REBUILD_DAYS:
            fill_all(db)
        else:
            for first, last in _runs(valid):
                _recompute_days(db, first, last)
        db.execute("DELETE FROM stats_dirty")
        _mark(db)
    return days


def fill_all(db: Database) -> None:
    """Every rollup from the whole log, inside the caller's transaction (``rebuild``, migration 0009)."""
    for table in _TABLES:
        db.execute(f"DELETE FROM {table}")
    for rollup in _ROLLUPS:
        db.execute(rollup.from_log(), {"start": "0000", "end": "9999"})
    for grain in _COARSER:
        for table in _TABLES:
            db.execute(_BY_TABLE[table].from_finer(grain), {"start": "0000", "end": "9999"})
    db.execute("DELETE FROM stats_dirty")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day - ranges[-1][1] == timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _recompute_days(db: Database, first: date, last: date) -> None:
    """Day rows from the log for first..last; every coarser row that holds those days gets the
    difference between the new day rows and the old ones."""
    log_range = {"start": first.isoformat(), "end": (last + timedelta(days=1)).isoformat()}
    before = {table: _day_rows(db, table, first, last) for table in _TABLES}
    for table in _TABLES:
        db.execute(f"DELETE FROM {table} WHERE grain = 'day' AND day >= ? AND day <= ?", [first, last])
    for rollup in _ROLLUPS:
        db.execute(rollup.from_log(), log_range)
    for table in _TABLES:
        change = _day_rows(db, table, first, last)
        change.subtract(before[table])
        _add_to_coarser(db, table, {key: n for key, n in change.items() if n})


def _day_rows(db: Database, table: str, first: date, last: date) -> Counter[tuple]:
    """The day rows of first..last as {(day, practice, *dimensions): n}."""
    columns = ("day", "practice", *_BY_TABLE[table].dimensions)
    rows = db.execute(
        f"SELECT {', '.join(columns)}, n FROM {table} WHERE grain = 'day' AND day >= ? AND day <= ?",
        [first.isoformat(), last.isoformat()],
    ).fetchall()
    counts: Counter[tuple] = Counter()
    for *key, n in rows:
        counts[tuple(key)] += n
    return counts


def _add_to_coarser(db: Database, table: str, change: dict[tuple, int]) -> None:
    """Add each day row's change to the week, month, quarter and year rows that hold its day."""
    dimensions = ("practice", *_BY_TABLE[table].dimensions)
    match = " AND ".join(f"{column} IS ?" for column in dimensions)  # IS: a dimension may be NULL
    totals: Counter[tuple] = Counter()
    for (day, *key), n in change.items():
        for grain in _COARSER:
            totals[(grain, _bucket(grain, date.fromisoformat(day)).isoformat(), *key)] += n
    for (grain, bucket, *key), n in totals.items():
        if not n:
            continue
        updated = db.execute(
            f"UPDATE {table} SET n = n + ? WHERE grain = ? AND day = ? AND {match}", [n, grain, bucket, *key]
        ).rowcount
        if not updated:
            marks = ", ".join("?" for _ in dimensions)
            db.execute(
                f"INSERT INTO {table} (grain, day, {', '.join(dimensions)}, n) VALUES (?, ?, {marks}, ?)",
                [grain, bucket, *key, n],
            )
    buckets = {(grain, bucket) for grain, bucket, *_key in totals}
    for grain, bucket in buckets:
        db.execute(f"DELETE FROM {table} WHERE grain = ? AND day = ? AND n = 0", [grain, bucket])


def _mark(db: Database) -> None:
    db.execute(
        "INSERT INTO stats_state (key, value) VALUES ('refreshed', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [datetime.now(UTC).isoformat(timespec="seconds")],
    )


def _bucket(grain: str, day: date) -> date:
    """The first day of the ``grain`` bucket that holds ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if grain == "year":
        return date(day.year, 1, 1)
    return day


def _bucket_end(grain: str, day: date) -> date:
    """The last day of the ``grain`` bucket that holds ``day``."""
    if grain == "week":
        return _bucket("week", day) + timedelta(days=6)
    if grain == "day":
        return day
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    first = _bucket(grain, day)
    following = date(first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1, 1)
    return following - timedelta(days=1)


# --- reading: whole months, whole weeks, then days ------------------------------------------


@dataclass(frozen=True)
class Span:
    """Rows of one grain whose key (the bucket's first day) lies from ``first`` to ``last``."""

    grain: str
    first: date
    last: date


def spans(start: date, end: date, *, months: bool = True) -> list[Span]:
    """The fewest rollup rows that add up to exactly start..end (inclusive).

    With ``months``, the period is read as whole years, then whole quarters, then whole months
    at its edges, and the part of a month at either edge as its whole weeks plus the remaining
    days (so no week row ever crosses into another month). Without, whole weeks plus edge days:
    for a series by week, where a month row could not be split.
    """
    pieces = _calendar(start, end, ("year", "quarter", "month")) if months else _weeks_and_days(start, end)
    return _merge(pieces)


def _calendar(start: date, end: date, grains: tuple[str, ...]) -> list[tuple[str, date]]:
    """start..end as whole buckets of the first grain, the rest of each edge cut by the next ones."""
    if not grains:
        return _weeks_and_days(start, end)
    grain, finer = grains[0], grains[1:]
    pieces: list[tuple[str, date]] = []
    cursor = start
    while cursor <= end:
        first, last = _bucket(grain, cursor), _bucket_end(grain, cursor)
        if first == cursor and last <= end:
            pieces.append((grain, first))
        else:
            pieces += _calendar(cursor, min(last, end), finer)
        cursor = last + timedelta(days=1)
    return pieces


def _weeks_and_days(start: date, end: date) -> list[tuple[str, date]]:
    pieces: list[tuple[str, date]] = []
    day = start
    while day <= end:
        if day.weekday() == 0 and day + timedelta(days=6) <= end:
            pieces.append(("week", day))
            day += timedelta(days=7)
        else:
            pieces.append(("day", day))
            day += timedelta(days=1)
    return pieces


def _merge(pieces: list[tuple[str, date]]) -> list[Span]:
    """Neighbouring pieces of one grain as one range, so a query has a handful of ranges."""
    merged: list[Span] = []
    for grain, first in pieces:
        if merged and merged[-1].grain == grain:
            merged[-1] = Span(grain, merged[-1].first, first)
        else:
            merged.append(Span(grain, first, first))
    return merged


def _source(table: str, practices: Sequence[str], start: date, end: date, *, months: bool = True) -> tuple[str, list]:
    """The rollup rows of ``table`` for start..end as a subquery to select FROM: one range scan of
    the covering index per span, joined with UNION ALL (an OR of ranges would fetch each row
    from the table by its rowid)."""
    ranges = spans(start, end, months=months) or [Span("day", start, start - timedelta(days=1))]
    marks = ", ".join("?" for _ in practices)
    scan = f"SELECT * FROM {table} WHERE grain = ? AND day >= ? AND day <= ? AND practice IN ({marks})"
    params: list = []
    for span in ranges:
        params += [span.grain, span.first.isoformat(), span.last.isoformat(), *practices]
    return f"({' UNION ALL '.join(scan for _ in ranges)})", params


def _sum(
    db: Database,
    table: str,
    columns: str,
    practices: Sequence[str],
    start: date,
    end: date,
    *,
    where: str = "1",
    extra: Sequence = (),
    order: str = "",
    months: bool = True,
) -> list[dict]:
    """``sum(n)`` of ``table``'s rollup rows for start..end, grouped by ``columns``."""
    rows, params = _source(table, practices, start, end, months=months)
    return list(
        db.query(
            f"SELECT {columns}, sum(n) AS n FROM {rows} WHERE {where} GROUP BY {columns} {order}",
            [*params, *extra],
        )
    )


def route_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    rows = _sum(db, "stats_flow", "route", practices, start, end, where="state = 'finished'")
    return {row["route"]: row["n"] for row in rows}


def state_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    return {row["state"]: row["n"] for row in _sum(db, "stats_flow", "state", practices, start, end)}


def series(
    db: Database, practices: Sequence[str], start: date, end: date, bucket: str
) -> list[tuple[str, dict[str, int]]]:
    """(bucket key, {route: finished triages}) in time order; the key is the bucket's first day
    (a Monday, or the 1st of the month) as YYYY-MM-DD."""
    by_week = bucket == "week"
    key = _COARSER["week" if by_week else "month"][1]
    rows, params = _source("stats_flow", practices, start, end, months=not by_week)
    result: dict[str, dict[str, int]] = {}
    for row in db.query(
        f"SELECT {key} AS bucket, route, sum(n) AS n FROM {rows} WHERE state = 'finished' "
        "GROUP BY bucket, route ORDER BY bucket",
        params,
    ):
        result.setdefault(row["bucket"], {})[row["route"]] = row["n"]
    return list(result.items())


def per_tree(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, dict]:
    """Per complaint: started, finished, route counts, histograms of questions and minutes."""
    trees: dict[str, dict] = defaultdict(
        lambda: {
            "started": 0,
            "finished": 0,
            "routes": defaultdict(int),
            "questions": defaultdict(int),
            "minutes": defaultdict(int),
        }
    )
    for row in _sum(db, "stats_flow", "tree_id, state, route", practices, start, end):
        tree = trees[row["tree_id"]]
        tree["started"] += row["n"]
        if row["state"] == "finished":
            tree["finished"] += row["n"]
            tree["routes"][row["route"]] += row["n"]
    for row in _sum(db, "stats_measures", "tree_id, measure, value", practices, start, end):
        trees[row["tree_id"]][row["measure"]][row["value"]] += row["n"]
    return dict(trees)


def dropout(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Where patients stop: abandoned triages per tree, version and last node, most first."""
    columns = "tree_id, tree_version, last_node"
    return _sum(db, "stats_dropout", columns, practices, start, end, order="ORDER BY n DESC")


def dispositions(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    columns = "tree_id, tree_version, outcome_node, route, urgency, final_route, final_urgency"
    if tree_id:
        return _sum(db, "stats_disposition", columns, practices, start, end, where="tree_id = ?", extra=[tree_id])
    return _sum(db, "stats_disposition", columns, practices, start, end)


def signals(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Per route: second contacts, counterfactual answers and cap redirects, for finished triages."""
    columns = "tree_id, route, second_contact, counterfactual, cap_redirected"
    return _sum(db, "stats_signals", columns, practices, start, end)


def helped(db: Database, start: date, end: date) -> tuple[int, int]:
    """(helped, answered) self-help feedback in the period (pages are shared by all practices)."""
    row = next(
        iter(
            db.query(
                "SELECT coalesce(sum(helped), 0) AS yes, count(*) AS n FROM page_feedback "
                "WHERE substr(at, 1, 10) BETWEEN ? AND ? AND (run_id IS NULL OR run_id NOT IN "
                "(SELECT id FROM triage_runs WHERE validation_round IS NOT NULL))",
                [start.isoformat(), end.isoformat()],
            )
        )
    )
    return row["yes"], row["n"]


def econsult_answers(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Each e-consult with its due time and first reply (no personal data is read)."""
    marks = ", ".join("?" for _ in practices)
    return list(
        db.query(
            "SELECT r.created_at, r.due_at, min(m.created_at) AS first_reply FROM requests r "
            "LEFT JOIN request_messages m ON m.request_id = r.id "
            f"WHERE r.kind = ? AND r.practice IN ({marks}) AND substr(r.created_at, 1, 10) BETWEEN ? AND ? "
            "AND r.run_id NOT IN (SELECT id FROM triage_runs WHERE validation_round IS NOT NULL) GROUP BY r.id",
            [RequestKind.ECONSULT, *practices, start.isoformat(), end.isoformat()],
        )
    )


def export_rows(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """period × practice × complaint × route × urgency, finished triages."""
    rows = _sum(
        db,
        "stats_flow",
        "practice, tree_id, route, urgency",
        practices,
        start,
        end,
        where="state = 'finished'",
        order="ORDER BY 1, 2, 3, 4",
    )
    return [
        {
            "practice": r["practice"],
            "complaint": r["tree_id"],
            "route": r["route"],
            "urgency": r["urgency"],
            "n": r["n"],
        }
        for r in rows
    ]


def baseline(db: Database, practices: Sequence[str]) -> list[dict]:
    marks = ", ".join("?" for _ in practices)
    return list(db.query(f"SELECT * FROM baseline WHERE practice IN ({marks}) ORDER BY month", list(practices)))


def save_baseline(db: Database, practice: str, month: str, consults: int, phone_calls: int, econsults: int = 0) -> None:
    with immediate(db):
        db.execute(
            "INSERT INTO baseline (practice, month, consults, phone_calls, econsults) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (practice, month) DO UPDATE SET consults = excluded.consults, "
            "phone_calls = excluded.phone_calls, econsults = excluded.econsults",
            [practice, month, consults, phone_calls, econsults],
        )
