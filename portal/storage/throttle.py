"""Login and TOTP throttling, and rate limits for anonymous submissions,
stored in SQLite so the limits hold across workers.

An in-memory limiter counts per worker process (measured: a 5/minute limit let
10 attempts through under 2 workers); a row per key in the database does not.

An attempt is counted *before* the password is checked, in one write
transaction with the lock check: counting only failures afterwards let six
concurrent attempts pass a limit of five.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from .db import StorageUnavailable, immediate, is_unavailable

MAX_FAILURES = 5
LOCK_MINUTES = 15


def attempt(db: Database, key: str, now: datetime) -> bool:
    """Count one attempt for ``key``; False when the key is locked (do not even check the password).

    The MAX_FAILURES-th attempt in a row locks the key for LOCK_MINUTES; a
    successful attempt calls ``clear`` and so lifts it.
    """
    with immediate(db):
        rows = list(db.query("SELECT failures, locked_until FROM auth_failures WHERE key = ?", [key]))
        failures = rows[0]["failures"] if rows else 0
        locked = rows[0]["locked_until"] if rows else None
        if locked and datetime.fromisoformat(locked) > now:
            return False
        failures += 1
        until = None
        if failures >= MAX_FAILURES:
            until = (now + timedelta(minutes=LOCK_MINUTES)).isoformat()
            failures = 0
        db.execute(
            "INSERT INTO auth_failures (key, failures, locked_until) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
            [key, failures, until],
        )
    return True


def clear(db: Database, key: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM auth_failures WHERE key = ?", [key])


def client_key(secret: str, address: str) -> str:
    """A keyed hash of a client address: counters never store the address itself."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events per ``window`` for ``key``."""

    key: str
    limit: int
    window: timedelta


def within_limit(db: Database, key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one event for ``key`` in the current fixed window; False once ``limit`` is passed.

    One upsert that returns the new count: a single statement is atomic, so two
    workers counting at once both see their own increment (this ran on every
    answer as five statements in an explicit transaction). When the count is 1 a
    new window began, and the key's older windows are deleted, so the table stays
    small.
    """
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    label = f"{seconds}:{start}"
    inside = db.conn.in_transaction  # part of a caller's transaction: that caller commits
    try:
        count = db.conn.execute(
            "INSERT INTO rate_limits (key, window, n) VALUES (?, ?, 1) "
            "ON CONFLICT (key, window) DO UPDATE SET n = n + 1 RETURNING n",
            [key, label],
        ).fetchone()[0]
        if count == 1:
            db.conn.execute(
                "DELETE FROM rate_limits WHERE key = ? AND window != ? AND window LIKE ?", [key, label, f"{seconds}:%"]
            )
        if not inside:
            db.conn.commit()
    except sqlite3.OperationalError as exc:
        if db.conn.in_transaction and not inside:
            db.conn.rollback()
        if is_unavailable(exc):
            raise StorageUnavailable(str(exc)) from exc
        raise
    return count <= limit


def sweep(db: Database, now: datetime, older_than: timedelta = timedelta(days=1)) -> None:
    """Drop rate-limit windows that ended long ago (keys that never came back)."""
    cutoff = int((now - older_than).timestamp())
    with immediate(db, durable=False):
        for row in list(db.query("SELECT DISTINCT window FROM rate_limits")):
            _seconds, start = row["window"].split(":")
            if int(start) < cutoff:
                db.execute("DELETE FROM rate_limits WHERE window = ?", [row["window"]])
