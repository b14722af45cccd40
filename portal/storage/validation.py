"""Validation rounds and their runs in the routing log.

A round is created by an operator (``voordeur validate session``); its signed
start URL marks a reader's browser session, and every triage started in that
session carries the round's id in ``triage_runs.validation_round``. The
rollups behind every evaluation figure leave such runs out (``storage.stats``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from .db import immediate
from .routing import Run, get_run, minute


@dataclass(frozen=True)
class Round:
    id: str
    practice: str
    label: str
    created_at: str
    expires_at: str
    closed_at: str | None = None

    def open_at(self, now: datetime) -> bool:
        """Runs started now join the round: it has not expired and was not closed."""
        return self.closed_at is None and minute(now) < self.expires_at


def create_round(db: Database, *, practice: str, label: str, now: datetime, days: int) -> Round:
    """A new round; its id is random, so a start URL cannot be made for a round by guessing."""
    found = Round(
        id=secrets.token_hex(8),
        practice=practice,
        label=label,
        created_at=minute(now),
        expires_at=minute(now + timedelta(days=days)),
    )
    with immediate(db):
        db.table("validation_rounds").insert(asdict(found))
    return found


def get_round(db: Database, round_id: str) -> Round | None:
    rows = list(db.query("SELECT * FROM validation_rounds WHERE id = ?", [round_id]))
    return Round(**rows[0]) if rows else None


def list_rounds(db: Database) -> list[tuple[Round, int, int]]:
    """Every round, newest first, with its runs started and finished."""
    rows = db.query(
        "SELECT r.*, count(t.id) AS started, count(t.finished_at) AS finished FROM validation_rounds r "
        "LEFT JOIN triage_runs t ON t.validation_round = r.id GROUP BY r.id ORDER BY r.created_at DESC, r.id"
    )
    result = []
    for row in rows:
        started, finished = row.pop("started"), row.pop("finished")
        result.append((Round(**row), started, finished))
    return result


def close_round(db: Database, round_id: str, now: datetime) -> bool:
    """No new runs join the round (its runs stay marked); False when there is no such open round."""
    with immediate(db):
        cursor = db.execute(
            "UPDATE validation_rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", [minute(now), round_id]
        )
    return cursor.rowcount == 1


def mark_run(db: Database, run_id: str, round_id: str) -> None:
    """Put a run in a round (the patient views mark it as it is started)."""
    with immediate(db, durable=False):
        db.execute("UPDATE triage_runs SET validation_round = ? WHERE id = ?", [round_id, run_id])


def runs(db: Database, run_ids: list[str]) -> dict[str, Run]:
    """The runs with these ids that exist (any run: the scorer warns about unmarked ones)."""
    found = {}
    for run_id in dict.fromkeys(run_ids):
        run = get_run(db, run_id)
        if run is not None:
            found[run_id] = run
    return found


def round_of(db: Database, run_id: str) -> str | None:
    rows = list(db.query("SELECT validation_round FROM triage_runs WHERE id = ?", [run_id]))
    return rows[0]["validation_round"] if rows else None


def validation_run_ids(db: Database, round_id: str | None = None) -> list[str]:
    """The finished runs of one round, or of every round, oldest first."""
    sql = "SELECT id FROM triage_runs WHERE validation_round IS NOT NULL AND finished_at IS NOT NULL"
    params: list[str] = []
    if round_id is not None:
        sql += " AND validation_round = ?"
        params.append(round_id)
    return [row["id"] for row in db.query(sql + " ORDER BY started_at, id", params)]


def save_path(db: Database, run_id: str, tree_version: int, prelude_version: int, pages: list[list[str]]) -> None:
    """Keep what the reader of a run saw (first record wins: it is taken while that version was live)."""
    with immediate(db, durable=False):
        db.execute(
            "INSERT INTO validation_paths (run_id, tree_version, prelude_version, pages) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO NOTHING",
            [run_id, tree_version, prelude_version, json.dumps(pages)],
        )


def paths(db: Database, run_ids: list[str]) -> dict[str, list[list[str]]]:
    marks = ", ".join("?" for _ in run_ids)
    if not run_ids:
        return {}
    rows = db.query(f"SELECT run_id, pages FROM validation_paths WHERE run_id IN ({marks})", run_ids)
    return {row["run_id"]: json.loads(row["pages"]) for row in rows}
