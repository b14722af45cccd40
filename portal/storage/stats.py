"""Rollups of the routing log at the grain each evaluation view needs, and the queries over them.

The raw log can hold millions of rows; the dashboard reads only these small tables.
Each table (``_ROLLUPS``) holds the counts of one view's dimensions per day, week (keyed by
its Monday), month, quarter and year (keyed by their first day). Counts can be subtracted,
so a period is read as the fewest buckets that make it up exactly, some taken off
(``signed_spans``): a year to today is five buckets, not 365 days. Days are UTC dates.

Refreshing is incremental: triggers on ``triage_runs`` (migration 0009) mark the day of
every record that changes in ``stats_dirty``; ``refresh`` reads each marked day from the
log without the write lock and then writes only what differs, day by day, in short
transactions. ``rebuild`` recomputes everything; ``bulk_load`` rolls up a large synthetic
load day by day as it goes. Runs played in a validation round are no patients: every
rollup, and so every evaluation figure, export and yearly report, leaves them out.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

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
    """One rollup table: its dimension columns and how to compute its day rows from the log —
    or, with ``of``, from the day rows of an earlier rollup in ``_ROLLUPS`` that counts the same
    runs by more dimensions (summed over the ones this table leaves out; no second pass over
    the log)."""

    table: str
    dimensions: tuple[str, ...]
    select: str = ""  # the dimensions' expressions, in order
    where: str = "1"  # which runs count, besides the day range and ``_REAL``
    of: str | None = None

    def day_rows(self) -> str:
        """SELECT day, practice, *dimensions, n of the runs started :start to :end (exclusive)."""
        if self.of is not None:
            columns = ", ".join(self.dimensions)
            return (
                f"SELECT day, practice, {columns}, sum(n) FROM {self.of} "
                f"WHERE grain = 'day' AND day >= :start AND day < :end GROUP BY day, practice, {columns}"
            )
        return (
            f"SELECT substr(started_at, 1, 10), practice, {self.select}, count(*) FROM triage_runs "
            f"WHERE {_DAY_RANGE} AND {_REAL} AND {self.where} "
            f"GROUP BY 1, 2, {', '.join(str(i) for i in range(3, 3 + len(self.dimensions)))}"
        )

    def from_log(self) -> str:
        columns = ", ".join(self.dimensions)
        return f"INSERT INTO {self.table} (grain, day, practice, {columns}, n) SELECT 'day', * FROM ({self.day_rows()})"

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
    # Finished triages per route and answer to "what would you have done?", over every complaint
    # (migration 0017): what the headline figures and the comparisons with the previous period
    # and last year read when no complaint is chosen. ``stats_signals`` holds the same counts
    # split by complaint, second contact and cap redirect — some 1,600 rows a week at a million
    # runs, against some 50 here, and a period with ragged edges reads tens of thousands of them.
    Rollup("stats_routes", ("route", "counterfactual"), of="stats_signals"),
)
_TABLES = tuple(dict.fromkeys(rollup.table for rollup in _ROLLUPS))
#: Week and month rows are summed once per table, however many rollups fill its day rows.
_BY_TABLE = {rollup.table: rollup for rollup in _ROLLUPS}


def rebuild(db: Database) -> None:
    """Every rollup from the whole log (``voordeur demo --sessions``)."""
    with immediate(db, durable=False):
        fill_all(db)
        _mark(db)


#: How many marked days a refresh takes on at a time (oldest first).
BATCH_DAYS = 7
#: A day taken on by a refresh that has not finished it after this long (a process killed in the
#: middle) is marked again, for the next refresh.
STALE_CLAIM = timedelta(minutes=10)
_CLAIM = "refreshing:"


def refresh(db: Database, *, batch_days: int = BATCH_DAYS) -> list[str]:
    """Recompute the days whose routing records changed since the last refresh; return those days.

    A run counts on the day it started: one that finishes, is abandoned by the sweep or gets an
    assistant's decision days later marks that earlier day, and only that day is recomputed.

    The write lock is what a patient's answer waits for, so a refresh holds it only briefly
    (``_claim``, ``_apply``): for each day it reads the new day rows from the routing log
    *without* the write lock (WAL readers block no one), then takes the lock only to write the
    rows that differ from the stored ones and add those differences to the day's week, month,
    quarter and year. A day that did not really change writes nothing; a year of marked days
    (after a purge or an import) is hundreds of transactions of a few milliseconds each, never
    one long one. A run changed while its day is being read marks the day again, and the claim
    token makes a slower refresh running at the same time give way to the newer one.
    """
    _reclaim_stale(db)
    done: list[str] = []
    while claimed := _claim(db, batch_days):
        for day, token in claimed:
            if _is_date(day):
                stored = {table: _day_rows(db, table, *[date.fromisoformat(day)] * 2) for table in _TABLES}
                _apply(db, day, token, _read_day(db, day), stored)
            else:
                _release(db, day, token)  # not a day: nothing to recompute
            done.append(day)
    return sorted(done)


def _claim(db: Database, batch_days: int) -> list[tuple[str, str]]:
    """Take the oldest marked days off the list, each with a token (in ``stats_state``) that
    says this refresh is working on it; return (day, token) pairs."""
    with immediate(db, durable=False):
        days = [row[0] for row in db.execute("SELECT day FROM stats_dirty ORDER BY day LIMIT ?", [batch_days])]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        claimed = [(day, f"{now} {secrets.token_hex(8)}") for day in days]
        for day, token in claimed:
            db.execute("DELETE FROM stats_dirty WHERE day = ?", [day])
            db.execute(
                "INSERT INTO stats_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [_CLAIM + day, token],
            )
    return claimed


def _reclaim_stale(db: Database) -> None:
    """Mark again the days a killed refresh had taken on and never finished."""
    cutoff = (datetime.now(UTC) - STALE_CLAIM).isoformat(timespec="seconds")
    with immediate(db, durable=False):
        for (key,) in db.execute(
            "SELECT key FROM stats_state WHERE key LIKE ? AND value < ?", [_CLAIM + "%", cutoff]
        ).fetchall():
            db.execute("INSERT OR IGNORE INTO stats_dirty (day) VALUES (?)", [key.removeprefix(_CLAIM)])
            db.execute("DELETE FROM stats_state WHERE key = ?", [key])


def _read_day(db: Database, day: str) -> dict[str, Counter[tuple]]:
    """The day rows of ``day`` as the routing log says now, per table; read without the write
    lock (each statement sees one committed state of the log)."""
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    rows: dict[str, Counter[tuple]] = {table: Counter() for table in _TABLES}
    for rollup in _ROLLUPS:
        if rollup.of is not None:
            rows[rollup.table] = _project(rows[rollup.of], _BY_TABLE[rollup.of].dimensions, rollup.dimensions)
            continue
        for *key, n in db.execute(rollup.day_rows(), {"start": day, "end": end}).fetchall():
            rows[rollup.table][tuple(key)] += n
    return rows


def _project(rows: Counter[tuple], dimensions: tuple[str, ...], kept: tuple[str, ...]) -> Counter[tuple]:
    """Day rows keyed (day, practice, *dimensions) summed over the dimensions not ``kept``."""
    positions = [0, 1, *(2 + dimensions.index(column) for column in kept)]
    projected: Counter[tuple] = Counter()
    for key, n in rows.items():
        projected[tuple(key[i] for i in positions)] += n
    return projected


def _apply(
    db: Database, day: str, token: str, new: dict[str, Counter[tuple]], stored: dict[str, Counter[tuple]]
) -> None:
    """In one short write transaction: the day rows that differ between ``stored`` (read after
    the claim) and ``new`` written, and the differences added to the coarser rows.

    Both were read without the lock. While this refresh holds the day's claim no other refresh
    writes its day rows (a later claim replaces the token, and the earlier holder then skips;
    a rebuild removes every claim), so ``stored`` is still what is stored; a refresh whose
    claim was taken over writes nothing — the newer one read the log later, and its rows win.
    A day that did not change costs the lock a token check."""
    with immediate(db, durable=False):
        claim = db.execute("SELECT value FROM stats_state WHERE key = ?", [_CLAIM + day]).fetchone()
        if claim is None or claim[0] != token:
            return
        for table in _TABLES:
            change = Counter(new[table])
            change.subtract(stored[table])
            change = Counter({key: n for key, n in change.items() if n})
            if change:
                _write_day_rows(db, table, new[table], change)
                _add_to_coarser(db, table, dict(change))
        db.execute("DELETE FROM stats_state WHERE key = ?", [_CLAIM + day])
        _mark(db)


def _release(db: Database, day: str, token: str) -> None:
    with immediate(db, durable=False):
        db.execute("DELETE FROM stats_state WHERE key = ? AND value = ?", [_CLAIM + day, token])


def _write_day_rows(db: Database, table: str, new: Counter[tuple], change: Counter[tuple]) -> None:
    """Set the day rows whose count changed to their new count (a row of 0 is removed)."""
    dimensions = ("day", "practice", *_BY_TABLE[table].dimensions)
    match = " AND ".join(f"{column} IS ?" for column in dimensions)  # IS: a dimension may be NULL
    marks = ", ".join("?" for _ in dimensions)
    for key in change:
        db.execute(f"DELETE FROM {table} WHERE grain = 'day' AND {match}", list(key))
        if new[key]:
            db.execute(
                f"INSERT INTO {table} (grain, {', '.join(dimensions)}, n) VALUES ('day', {marks}, ?)",
                [*key, new[key]],
            )


def fill_all(db: Database, *, tables: Sequence[str] = _TABLES) -> None:
    """Every rollup of ``tables`` from the whole log, inside the caller's transaction (``rebuild``;
    migration 0009 names the tables it creates, those of later migrations do not exist yet)."""
    for table in tables:
        db.execute(f"DELETE FROM {table}")
    for rollup in _ROLLUPS:
        if rollup.table in tables:
            db.execute(rollup.from_log(), {"start": "0000", "end": "9999"})
    _fill_coarser(db, tables)
    db.execute("DELETE FROM stats_dirty")
    db.execute("DELETE FROM stats_state WHERE key LIKE ?", [_CLAIM + "%"])  # a running refresh gives way


def _fill_coarser(db: Database, tables: Sequence[str] = _TABLES) -> None:
    """Every week, month, quarter and year row again from the day rows (inside a transaction)."""
    for table in tables:
        db.execute(f"DELETE FROM {table} WHERE grain != 'day'")
    for grain in _COARSER:
        for table in tables:
            db.execute(_BY_TABLE[table].from_finer(grain), {"start": "0000", "end": "9999"})


def bulk_load(
    db: Database, columns: tuple[str, ...], rows: Iterable[tuple], *, chunk: int = 20_000, progress=None
) -> int:
    """Insert routing records that come in the order they started, with their rollups
    (``voordeur demo --sessions``); return how many.

    Rolling up ten million records afterwards sorts the whole log six times (most of an hour
    here). Instead, each day's rows are rolled up right after the chunk that completes it is
    inserted, while those rows are still in memory, and the coarser rows are summed from the
    day rows once at the end. The result equals ``rebuild`` (tested).
    """
    from .routing import insert_many

    started = columns.index("started_at")
    total, iterator = 0, iter(rows)
    loaded: list[str] = []  # the first and the last day loaded so far
    open_day = ""  # the first day whose rows may still continue in the next chunk
    while batch := list(itertools.islice(iterator, chunk)):
        first, last = batch[0][started][:10], batch[-1][started][:10]
        if first < open_day or any(a[started] > b[started] for a, b in itertools.pairwise(batch)):
            raise ValueError("bulk_load needs the rows in the order they started")
        total += insert_many(db, columns, batch, chunk=chunk, progress=progress)
        loaded = [loaded[0] if loaded else first, last]
        open_day = open_day or first
        if last > open_day:  # every day before the last one of this chunk is complete
            _fill_days(db, open_day, (date.fromisoformat(last) - timedelta(days=1)).isoformat())
            open_day = last
    if not loaded:
        return 0
    _fill_days(db, open_day, loaded[1])
    with immediate(db, durable=False):
        _fill_coarser(db)
        db.execute("DELETE FROM stats_dirty WHERE day >= ? AND day <= ?", loaded)
        _mark(db)
    return total


def _fill_days(db: Database, first: str, last: str) -> None:
    """The day rows of first..last (YYYY-MM-DD) again from the log, in one transaction."""
    with immediate(db, durable=False):
        # A refresh working on one of these days gives way (its rows would be older).
        db.execute("DELETE FROM stats_state WHERE key >= ? AND key <= ?", [_CLAIM + first, _CLAIM + last])
        for table in _TABLES:
            db.execute(f"DELETE FROM {table} WHERE grain = 'day' AND day >= ? AND day <= ?", [first, last])
        end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        for rollup in _ROLLUPS:
            db.execute(rollup.from_log(), {"start": first, "end": end})


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


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
            totals[(grain, bucket_first_day(grain, date.fromisoformat(day)).isoformat(), *key)] += n
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


def bucket_first_day(grain: str, day: date) -> date:
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


def bucket_last_day(grain: str, day: date) -> date:
    """The last day of the ``grain`` bucket that holds ``day``."""
    if grain == "week":
        return bucket_first_day("week", day) + timedelta(days=6)
    if grain == "day":
        return day
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    first = bucket_first_day(grain, day)
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
        first, last = bucket_first_day(grain, cursor), bucket_last_day(grain, cursor)
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


#: The rollup grains a series by week, month or quarter may read: never a coarser row than its
#: buckets, whose key (its first day) would put a whole year into its January.
_SERIES_GRAINS: dict[str, tuple[str, ...]] = {"week": (), "month": ("month",), "quarter": ("quarter", "month")}


def series_spans(start: date, end: date, grain: str) -> list[Span]:
    """The rollup rows that add up to exactly start..end with none of them crossing a bucket of
    ``grain`` (week, month or quarter), for a series by that grain: whole buckets of the grain
    (and months inside a quarter), the edges as whole weeks and days."""
    return _merge(_calendar(start, end, _SERIES_GRAINS[grain]))


def _source(table: str, practices: Sequence[str], start: date, end: date, *, months: bool = True) -> tuple[str, list]:
    return spans_source(table, practices, spans(start, end, months=months))


def spans_source(table: str, practices: Sequence[str], ranges: Sequence[Span]) -> tuple[str, list]:
    """The rollup rows of ``table`` in ``ranges`` for these practices, as a subquery to select
    FROM: one range scan of the covering index per span, joined with UNION ALL (an OR of ranges
    would fetch each row from the table by its rowid). No ranges: a subquery of no rows."""
    ranges = ranges or [Span("day", date.max, date.min)]
    marks = ", ".join("?" for _ in practices)
    scan = f"SELECT * FROM {table} WHERE grain = ? AND day >= ? AND day <= ? AND practice IN ({marks})"
    params: list = []
    for span in ranges:
        params += [span.grain, span.first.isoformat(), span.last.isoformat(), *practices]
    return f"({' UNION ALL '.join(scan for _ in ranges)})", params


#: What reading one bucket's rows costs, relative to a day's: the rows per bucket grow far less
#: than the days in it (at a million runs, a quarter holds 1.5 to 2.5 times a day's rows).
_COST = {"day": 1.0, "week": 1.4, "month": 1.6, "quarter": 1.8, "year": 2.0}
_GRAINS = ("year", "quarter", "month", "week", "day")


@dataclass(frozen=True)
class SignedSpan:
    """Rows of one grain keyed ``first`` to ``last``, added (sign 1) or taken off (sign -1)
    (or twice, where two edges' covers share a bucket)."""

    sign: int
    grain: str
    first: date
    last: date


def signed_spans(start: date, end: date) -> list[SignedSpan]:
    """Buckets that add up to exactly start..end, fewest rows first, some of them taken off.

    Counts can be subtracted: 2 December to 31 December is December minus 1 December (two
    buckets) rather than six days, three weeks and three more days (twelve). A year to today
    is then five buckets (for example December last year minus its 1st, this year minus
    December, plus today) instead of eighteen, and the edge days that hold most of the rows
    are gone. Every day of the period is counted once, every other day not at all
    (``tests/app/evaluation/test_rollups.py`` checks this for many periods).
    """
    net: Counter[tuple[str, date]] = Counter()
    for sign, grain, first, last in _cover(start, end, 0)[1]:
        while first <= last:
            net[(grain, first)] += sign  # two covers of neighbouring edges may share a bucket
            first = bucket_last_day(grain, first) + timedelta(days=1)
    merged: list[SignedSpan] = []
    for (grain, first), sign in sorted(net.items(), key=lambda item: (_GRAINS.index(item[0][0]), item[0][1])):
        if not sign:
            continue
        previous = merged[-1] if merged else None
        if (
            previous
            and (previous.sign, previous.grain) == (sign, grain)
            and bucket_last_day(grain, previous.last) + timedelta(days=1) == first
        ):
            merged[-1] = SignedSpan(sign, grain, previous.first, first)
        else:
            merged.append(SignedSpan(sign, grain, first, first))
    return merged


#: (sign, grain, first bucket, last bucket)
Piece = tuple[int, str, date, date]


@lru_cache(maxsize=65536)
def _cover(start: date, end: date, level: int) -> tuple[float, tuple[Piece, ...]]:
    """(cost, signed buckets) for exactly start..end with the grains from ``_GRAINS[level]`` down.

    For the grain at ``level``, each edge of the period is either built up from finer buckets or
    read as its whole bucket minus the part outside the period; buckets wholly inside are read
    whole. The cheaper of that and not using this grain at all wins.
    """
    if start > end:
        return 0.0, ()
    grain = _GRAINS[level]
    if grain == "day":
        return ((end - start).days + 1) * _COST["day"], ((1, "day", start, end),)
    best = _cover(start, end, level + 1)
    first, last = bucket_first_day(grain, start), bucket_first_day(grain, end)
    if first == last:
        options = [_outer(grain, first, start, end, level)]
    else:
        middle_first = bucket_last_day(grain, first) + timedelta(days=1)
        middle_last = last - timedelta(days=1)
        middle: tuple[Piece, ...] = ()
        count = 0
        if middle_first <= middle_last:
            middle = ((1, grain, middle_first, bucket_first_day(grain, middle_last)),)
            day = middle_first
            while day <= middle_last:
                count += 1
                day = bucket_last_day(grain, day) + timedelta(days=1)
        left = min(
            _outer(grain, first, start, bucket_last_day(grain, first), level),
            _inner(start, bucket_last_day(grain, first), level),
            key=_cost,
        )
        right = min(_outer(grain, last, last, end, level), _inner(last, end, level), key=_cost)
        cost = left[0] + right[0] + count * _COST[grain]
        options = [(cost, left[1] + middle + right[1])]
    return min([best, *options], key=_cost)


def _cost(option: tuple[float, tuple[Piece, ...]]) -> float:
    return option[0]


def _inner(start: date, end: date, level: int) -> tuple[float, tuple[Piece, ...]]:
    """start..end built up from finer grains only."""
    return _cover(start, end, level + 1)


def _outer(grain: str, first: date, start: date, end: date, level: int) -> tuple[float, tuple[Piece, ...]]:
    """start..end (inside the ``grain`` bucket from ``first``) as that whole bucket minus the days
    of the bucket before start and after end, those built from finer grains."""
    before = _cover(first, start - timedelta(days=1), level + 1)
    after = _cover(end + timedelta(days=1), bucket_last_day(grain, first), level + 1)
    negated = tuple((-sign, g, a, b) for sign, g, a, b in before[1] + after[1])
    return _COST[grain] + before[0] + after[0], ((1, grain, first, first), *negated)


def _signed_source(table: str, practices: Sequence[str], start: date, end: date) -> tuple[str, list]:
    """Like ``_source``, with a column ``sign`` to multiply ``n`` by: the rows of ``signed_spans``."""
    ranges = signed_spans(start, end) or [SignedSpan(1, "day", start, start - timedelta(days=1))]
    marks = ", ".join("?" for _ in practices)
    scans, params = [], []
    for span in ranges:
        scans.append(
            f"SELECT *, {span.sign} AS sign FROM {table} WHERE grain = ? AND day >= ? AND day <= ? "
            f"AND practice IN ({marks})"
        )
        params += [span.grain, span.first.isoformat(), span.last.isoformat(), *practices]
    return f"({' UNION ALL '.join(scans)})", params


def sum_counts(
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
    """``sum(n)`` of ``table``'s rollup rows for start..end, grouped by ``columns``.

    With ``months`` (the default) the rows of ``signed_spans`` are read, some of them taken off,
    over the period stretched across days without triages (``widened_over_empty_days``); a
    combination whose count comes to nothing is left out, as it would be had it never been
    counted (no rollup row holds a count of 0)."""
    if not months:
        rows, params = _source(table, practices, start, end, months=False)
        return list(
            db.query(
                f"SELECT {columns}, sum(n) AS n FROM {rows} WHERE {where} GROUP BY {columns} {order}",
                [*params, *extra],
            )
        )
    return list(db.query(*_signed_sum(db, table, columns, practices, start, end, where, extra, order)))


def sum_rows(
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
) -> list[tuple]:
    """``sum_counts`` as plain tuples (the columns in order, then n): for reads of many rows,
    where a dict per row cost about as much as the query."""
    return db.execute(*_signed_sum(db, table, columns, practices, start, end, where, extra, order)).fetchall()


def _signed_sum(
    db: Database,
    table: str,
    columns: str,
    practices: Sequence[str],
    start: date,
    end: date,
    where: str,
    extra: Sequence,
    order: str,
) -> tuple[str, list]:
    """The SQL and parameters of ``sum_counts`` over ``signed_spans``."""
    rows, params = _signed_source(table, practices, *widened_over_empty_days(start, end, log_span(db)))
    return (
        f"SELECT {columns}, sum(n * sign) AS n FROM {rows} WHERE {where} GROUP BY {columns} "
        f"HAVING sum(n * sign) != 0 {order}",
        [*params, *extra],
    )


def log_span(db: Database) -> tuple[date, date] | None:
    """The first and last day the rollups hold a triage on (None when there is none)."""
    # Two statements: each reads one end of the index, where min() and max() together scan it all.
    first = db.execute("SELECT min(day) FROM stats_flow WHERE grain = 'day'").fetchone()[0]
    if first is None:
        return None
    last = db.execute("SELECT max(day) FROM stats_flow WHERE grain = 'day'").fetchone()[0]
    return date.fromisoformat(first), date.fromisoformat(last)


def widened_over_empty_days(start: date, end: date, span: tuple[date, date] | None) -> tuple[date, date]:
    """start..end, stretched over days that hold no rows, to where the fewest buckets cover it.

    Every rollup row belongs to the day a triage started, so no table holds a row before the
    first or after the last day of ``span`` (``log_span``). A period that runs to today need not
    take the rest of this month, quarter or year off: there is nothing in it. The last 90 days
    then read this quarter whole instead of two months and a day (a third fewer rows), a year to
    today this year whole. A period that lies wholly outside ``span`` holds nothing and is kept.
    """
    if span is None or end < span[0] or start > span[1]:
        return start, end
    starts = [start] + ([bucket_first_day(grain, start) for grain in _COARSE] if start <= span[0] else [])
    ends = [end] + ([bucket_last_day(grain, end) for grain in _COARSE] if end >= span[1] else [])
    return min(itertools.product(starts, ends), key=lambda period: _cover(period[0], period[1], 0)[0])


_COARSE = ("month", "quarter", "year")


def route_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    """Finished triages per route (``stats_routes``: no complaint dimension to add up)."""
    return {route: n for route, n in sum_rows(db, "stats_routes", "route", practices, start, end)}


def state_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    return {row["state"]: row["n"] for row in sum_counts(db, "stats_flow", "state", practices, start, end)}


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
    for row in sum_counts(db, "stats_flow", "tree_id, state, route", practices, start, end):
        tree = trees[row["tree_id"]]
        tree["started"] += row["n"]
        if row["state"] == "finished":
            tree["finished"] += row["n"]
            tree["routes"][row["route"]] += row["n"]
    for row in sum_counts(db, "stats_measures", "tree_id, measure, value", practices, start, end):
        trees[row["tree_id"]][row["measure"]][row["value"]] += row["n"]
    return dict(trees)


def dropout(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Where patients stop: abandoned triages per tree, version and last node, most first."""
    columns = "tree_id, tree_version, last_node"
    return sum_counts(db, "stats_dropout", columns, practices, start, end, order="ORDER BY n DESC")


def dispositions(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    columns = "tree_id, tree_version, outcome_node, route, urgency, final_route, final_urgency"
    if tree_id:
        return sum_counts(db, "stats_disposition", columns, practices, start, end, where="tree_id = ?", extra=[tree_id])
    return sum_counts(db, "stats_disposition", columns, practices, start, end)


def signals(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Per route: second contacts, counterfactual answers and cap redirects, for finished triages."""
    columns = "tree_id, route, second_contact, counterfactual, cap_redirected"
    return sum_counts(db, "stats_signals", columns, practices, start, end)


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
    rows = sum_counts(
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
