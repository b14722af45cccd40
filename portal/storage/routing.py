"""The routing log: one anonymous record per triage.

It holds codes only — tree, version, answer codes, route, urgency, coarse
profile (who for, age band, sex) and times to the minute. Never a name, free
text, IP address, user agent or cookie id: it must stay anonymous so it can be
kept and analysed without a retention period.
"""

from __future__ import annotations

import functools
import itertools
import json
import secrets
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .db import immediate

TIME_FORMAT = "%Y-%m-%d %H:%M"


def minute(moment: datetime) -> str:
    """UTC, to the minute: precise enough for flow statistics, no more."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class Run:
    id: str
    practice: str
    tree_id: str
    tree_version: int
    prelude_version: int
    locale: str
    #: Question id → answer value; a checklist's answer is the list of ticked values.
    answers: dict[str, Any]
    who_for: str | None = None
    age_band: str | None = None
    sex: str | None = None
    last_node: str | None = None
    outcome_node: str | None = None
    route: str | None = None
    urgency: str | None = None
    raised: bool = False
    started_at: str = ""
    last_active_at: str = ""
    finished_at: str | None = None
    abandoned: bool = False
    cap_redirected: bool = False
    final_route: str | None = None
    final_urgency: str | None = None
    disposition_at: str | None = None
    questions: int | None = None
    counterfactual: str | None = None
    validation_round: str | None = None  # played in a validation round: left out of every evaluation figure
    returned: bool = False  # self-care, then the same browser came back within 14 days (patient/returns.py)
    steps_window: int | None = None  # the start (Unix seconds) of the window ``steps_in_window`` counts in
    steps_in_window: int = 0  # answers stored in that window (the per-triage step limit, ``record_progress``)


@dataclass(frozen=True)
class Progress:
    """What a step of the triage changes in its record."""

    answers: dict[str, Any]
    last_node: str
    outcome_node: str | None = None
    route: str | None = None
    urgency: str | None = None
    raised: bool = False
    questions: int = 0  # questions answered after choosing the complaint (patient burden)


@dataclass(frozen=True)
class StepLimit:
    """At most ``limit`` answers per ``window`` in one triage (a script hammering one run)."""

    limit: int
    window: timedelta


def new_run_id() -> str:
    """128 random bits: unguessable, and unrelated to the patient or the device."""
    return secrets.token_urlsafe(16)


def start_run(
    db: Database,
    *,
    practice: str,
    tree_id: str,
    tree_version: int,
    prelude_version: int,
    locale: str,
    progress: Progress,
    now: datetime,
    validation_round: str | None = None,
) -> str:
    run_id = new_run_id()
    row = {
        "id": run_id,
        "practice": practice,
        "tree_id": tree_id,
        "tree_version": tree_version,
        "prelude_version": prelude_version,
        "locale": locale,
        "started_at": minute(now),
        **_progress_columns(progress, now),
    }
    if validation_round is not None:
        row["validation_round"] = validation_round
    with immediate(db, durable=False):
        db.table("triage_runs").insert(row)
    return run_id


def record_progress(
    db: Database, run_id: str, progress: Progress, locale: str, now: datetime, *, limit: StepLimit | None = None
) -> bool:
    """Store the answers so far; finishing sets the outcome, going back clears it.

    With ``limit``, the answer is counted on the run's own row in the same UPDATE
    (a fixed window, as ``throttle.within_limit`` counts): one statement per answer
    instead of an upsert in ``rate_limits`` and then the UPDATE. Once ``limit``
    answers were stored in this window, nothing is stored: False (as it is when the
    run is gone).
    """
    columns = {**_progress_columns(progress, now), "locale": locale}
    with immediate(db, durable=False):
        if limit is None:
            db.conn.execute(_update_sql(tuple(columns), counted=False), {**columns, "id": run_id})
            return True
        seconds = int(limit.window.total_seconds())
        window = int(now.timestamp()) // seconds * seconds
        cursor = db.conn.execute(
            _update_sql(tuple(columns), counted=True), {**columns, "id": run_id, "window": window, "limit": limit.limit}
        )
    return cursor.rowcount == 1


@functools.lru_cache(maxsize=16)
def _update_sql(names: tuple[str, ...], *, counted: bool) -> str:
    """The UPDATE of a step (the same few column sets every time: built once, not per answer).

    ``counted``: the answer is counted in the run's step window, and the row is left
    alone once ``:limit`` answers were counted in the window ``:window``.
    """
    sets = ", ".join(f"{name} = :{name}" for name in names)
    if not counted:
        return f"UPDATE triage_runs SET {sets} WHERE id = :id"
    so_far = "(CASE WHEN steps_window = :window THEN steps_in_window ELSE 0 END)"
    return (
        f"UPDATE triage_runs SET {sets}, steps_in_window = {so_far} + 1, steps_window = :window "
        f"WHERE id = :id AND {so_far} < :limit"
    )


def _progress_columns(progress: Progress, now: datetime) -> dict[str, Any]:
    finished = progress.outcome_node is not None
    at = minute(now)
    return {
        "answers": json.dumps(progress.answers),
        "who_for": progress.answers.get("who_for"),
        "age_band": progress.answers.get("age_band"),
        "sex": progress.answers.get("sex"),
        "last_node": progress.last_node,
        "questions": progress.questions,
        "outcome_node": progress.outcome_node,
        "route": progress.route,
        "urgency": progress.urgency,
        "raised": int(progress.raised),
        "last_active_at": at,
        "finished_at": at if finished else None,
        "abandoned": 0,
    }


def get_run(db: Database, run_id: str) -> Run | None:
    # The cursor itself, not ``db.query`` (every patient step reads its run: its generator and
    # de-duplicated column names cost more than the read).
    cursor = db.conn.execute("SELECT * FROM triage_runs WHERE id = ?", [run_id])
    values = cursor.fetchone()
    if values is None:
        return None
    row = dict(zip((column[0] for column in cursor.description), values, strict=True))
    row["answers"] = json.loads(row["answers"])
    row["raised"] = bool(row["raised"])
    row["abandoned"] = bool(row["abandoned"])
    row["cap_redirected"] = bool(row["cap_redirected"])
    row["returned"] = bool(row.get("returned", 0))
    return _run(row)


def _run(row: dict[str, Any]) -> Run:
    """``Run(**row)``: for a row with exactly Run's fields, filled in at once.

    A frozen dataclass sets each of its 27 fields through ``object.__setattr__`` (~17 µs,
    and every patient step reads its run); the instance that results is the same. Any
    other row (a column more or less) goes through ``Run(**row)`` and its checks.
    """
    if row.keys() != _RUN_FIELDS:
        return Run(**row)
    run = object.__new__(Run)
    run.__dict__.update(row)
    return run


_RUN_FIELDS = {field.name for field in fields(Run)}


def sweep_abandoned(db: Database, now: datetime, idle: timedelta) -> int:
    """Mark unfinished triages without activity for ``idle`` as abandoned.

    The record keeps ``last_node``, so evaluation can see where people stop.
    Safe to run often (from cron, or ``voordeur sweep``).
    """
    with immediate(db):
        cursor = db.execute(
            "UPDATE triage_runs SET abandoned = 1 WHERE finished_at IS NULL AND abandoned = 0 AND last_active_at <= ?",
            [minute(now - idle)],
        )
    return cursor.rowcount


def record_counterfactual(db: Database, run_id: str, answer: str) -> bool:
    """Store "what would you have done without this website?" once; False if already answered."""
    with immediate(db, durable=False):
        cursor = db.execute(
            "UPDATE triage_runs SET counterfactual = ? WHERE id = ? AND counterfactual IS NULL",
            [answer, run_id],
        )
    return cursor.rowcount == 1


def mark_cap_redirected(db: Database, run_id: str) -> None:
    """The e-consult cap sent this patient to other routes: evaluation counts it."""
    with immediate(db, durable=False):
        db.execute("UPDATE triage_runs SET cap_redirected = 1 WHERE id = ?", [run_id])


def insert_many(db: Database, columns: tuple[str, ...], rows, chunk: int = 20_000, progress=None) -> int:
    """Bulk insert synthetic routing records (``voordeur demo --sessions``), one transaction per
    ``chunk`` rows: ten million rows in one transaction would first write a WAL file the size of
    the whole database and then copy it all again at the checkpoint."""
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO triage_runs ({', '.join(columns)}) VALUES ({marks})"
    total = 0
    db.conn.execute("PRAGMA cache_size = -1048576")  # 1 GiB for this connection: random ids, big load
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, chunk)):
        with immediate(db, durable=False):
            db.conn.executemany(sql, batch)
        total += len(batch)
        if progress:
            progress(len(batch))
    return total


def count_runs(db: Database, practice: str | None = None) -> int:
    if practice is None:
        return next(iter(db.query("SELECT count(*) AS n FROM triage_runs")))["n"]
    return next(iter(db.query("SELECT count(*) AS n FROM triage_runs WHERE practice = ?", [practice])))["n"]


#: A self-care triage can be marked returned on the day it started and the 13 days after (UTC
#: days, as the rollups count them); from the 14th day on it counts in "self-help that held"
#: and never changes again.
RETURN_DAYS = 14


def countable_until(now: datetime) -> str:
    """The last UTC start day (YYYY-MM-DD) of self-care triages that can no longer be marked returned."""
    return (now.astimezone(UTC).date() - timedelta(days=RETURN_DAYS)).isoformat()


def mark_returned(db: Database, run_ids: list[str], now: datetime) -> int:
    """Mark these self-care triages as followed by a new contact from the same browser.

    Sets one flag and nothing else: no link to the triage or request that came after, no
    cookie, no time. Only a triage whose outcome is (still) self-care, outside a validation
    round, that started after ``countable_until`` changes: one old enough to be counted never
    does, so a figure once shown stays as it was. Returns the triages marked.
    """
    if not run_ids:
        return 0
    marks = ", ".join("?" for _ in run_ids)
    with immediate(db, durable=False):
        cursor = db.execute(
            f"UPDATE triage_runs SET returned = 1 WHERE id IN ({marks}) AND returned = 0 "
            "AND route = 'self_care' AND validation_round IS NULL AND substr(started_at, 1, 10) > ?",
            [*run_ids, countable_until(now)],
        )
    return cursor.rowcount


def returned_self_care(db: Database, practices: list[str], first: str, last: str, tree_id: str | None = None) -> int:
    """Self-care triages marked returned that started on the UTC days ``first``..``last`` (YYYY-MM-DD).

    Read from the partial index of migration 0015 alone: it holds only returned self-care triages.
    """
    if not practices:
        return 0
    marks = ", ".join("?" for _ in practices)
    condition, extra = ("AND tree_id = ?", [tree_id]) if tree_id else ("", [])
    row = db.execute(
        f"SELECT count(*) FROM triage_runs INDEXED BY triage_runs_returned WHERE practice IN ({marks}) "
        "AND started_at >= ? AND started_at < ? AND returned = 1 AND route = 'self_care' "
        f"AND validation_round IS NULL {condition}",
        [*practices, first, _day_after(last), *extra],
    ).fetchone()
    return row[0]


def _day_after(day: str) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%Y-%m-%d")
