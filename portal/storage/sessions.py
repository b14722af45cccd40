"""Staff sessions, kept server-side so they can be ended.

A signed cookie alone cannot be revoked: a copied cookie kept working after
logout, a password reset or a second-factor reset. The cookie now holds only a
random secret; this table holds its SHA-256 (a stolen database copy does not
yield live cookies), when it started, when it was last used and when it ended.
A session ends at logout, on a password or second-factor reset, when the
account is disabled, after the idle limit, and after an absolute lifetime
however active it is.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from .db import immediate

TOUCH_EVERY = timedelta(seconds=30)  # fewer writes; far below any idle limit


@dataclass(frozen=True)
class StaffSession:
    public_id: str
    staff_id: int
    created_at: datetime
    last_seen_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start(db: Database, staff_id: int, *, source: str | None, now: datetime) -> tuple[str, str]:
    """A new session; returns (secret for the cookie, public id for the audit log)."""
    secret = secrets.token_urlsafe(32)
    public_id = secrets.token_hex(6)
    with immediate(db):
        db.execute(
            "INSERT INTO staff_sessions (id, public_id, staff_id, source, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [_hash(secret), public_id, staff_id, source, _iso(now), _iso(now)],
        )
    return secret, public_id


def check(db: Database, secret: str, *, now: datetime, idle: timedelta, lifetime: timedelta) -> StaffSession | None:
    """The live session for this secret, or None (unknown, ended, idle too long or too old)."""
    rows = list(db.query("SELECT * FROM staff_sessions WHERE id = ? AND ended_at IS NULL", [_hash(secret)]))
    if not rows:
        return None
    row = rows[0]
    found = StaffSession(
        public_id=row["public_id"],
        staff_id=row["staff_id"],
        created_at=_parse(row["created_at"]),
        last_seen_at=_parse(row["last_seen_at"]),
    )
    if now - found.created_at > lifetime:
        end(db, secret, reason="lifetime", now=now)
        return None
    if now - found.last_seen_at > idle:
        end(db, secret, reason="idle", now=now)
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        with immediate(db, durable=False):
            db.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?", [_iso(now), _hash(secret)])
    return found


def end(db: Database, secret: str, *, reason: str, now: datetime) -> None:
    with immediate(db):
        db.execute(
            "UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
            [_iso(now), reason, _hash(secret)],
        )


def end_all(db: Database, staff_id: int, *, reason: str, now: datetime) -> int:
    """End every session of an account (password or 2FA reset, disabled account)."""
    with immediate(db):
        cursor = db.execute(
            "UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE staff_id = ? AND ended_at IS NULL",
            [_iso(now), reason, staff_id],
        )
    return cursor.rowcount


def live_count(db: Database, staff_id: int) -> int:
    rows = db.query("SELECT count(*) AS n FROM staff_sessions WHERE staff_id = ? AND ended_at IS NULL", [staff_id])
    return next(iter(rows))["n"]
