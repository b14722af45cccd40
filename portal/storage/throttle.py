"""Login and TOTP throttling, stored in SQLite so the limit holds across workers.

An in-memory limiter counts per worker process (measured: a 5/minute limit let
10 attempts through under 2 workers); a row per key in the database does not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from .db import immediate

MAX_FAILURES = 5
LOCK_MINUTES = 15


def locked_until(db: Database, key: str, now: datetime) -> datetime | None:
    rows = list(db.query("SELECT locked_until FROM auth_failures WHERE key = ?", [key]))
    if not rows or not rows[0]["locked_until"]:
        return None
    until = datetime.fromisoformat(rows[0]["locked_until"])
    return until if until > now else None


def record_failure(db: Database, key: str, now: datetime) -> datetime | None:
    """Count a failure; on the MAX_FAILURES-th, lock the key. Returns the lock's end, if any."""
    with immediate(db):
        rows = list(db.query("SELECT failures FROM auth_failures WHERE key = ?", [key]))
        failures = (rows[0]["failures"] if rows else 0) + 1
        until = None
        if failures >= MAX_FAILURES:
            until = now + timedelta(minutes=LOCK_MINUTES)
            failures = 0
        db.execute(
            "INSERT INTO auth_failures (key, failures, locked_until) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
            "locked_until = COALESCE(excluded.locked_until, auth_failures.locked_until)",
            [key, failures, until.isoformat() if until else None],
        )
    return until


def clear(db: Database, key: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM auth_failures WHERE key = ?", [key])
