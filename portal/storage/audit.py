"""The audit trail (in the spirit of NEN 7513): who, for which practice, when,
which request, what action, with what result.

Append-only: database triggers refuse UPDATE and DELETE. Hash-chained: each
row's hash covers its content and the previous row's hash, so ``verify``
finds a row that was changed or removed (say, by someone who dropped the
triggers first). Rows hold ids only, never personal data, so they can be kept
for years after requests are purged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from .db import immediate

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    staff_id: int | None
    practice: str | None
    request_id: int | None
    action: str
    result: str
    prev_hash: str
    hash: str


def _digest(prev_hash: str, at: str, staff_id, practice, request_id, action: str, result: str) -> str:  # type: ignore[no-untyped-def]
    content = json.dumps([prev_hash, at, staff_id, practice, request_id, action, result], separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()


def append(
    db: Database,
    *,
    action: str,
    staff_id: int | None = None,
    practice: str | None = None,
    request_id: int | None = None,
    result: str = "ok",
    now: datetime | None = None,
) -> None:
    """Add one row, durably, chained to the last. Joins the caller's transaction if one is open."""
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")

    def write() -> None:
        last = list(db.query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        prev_hash = last[0]["hash"] if last else GENESIS
        digest = _digest(prev_hash, at, staff_id, practice, request_id, action, result)
        db.execute(
            "INSERT INTO audit_log (at, staff_id, practice, request_id, action, result, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [at, staff_id, practice, request_id, action, result, prev_hash, digest],
        )

    if db.conn.in_transaction:
        write()
    else:
        with immediate(db):
            write()


def entries(db: Database, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    rows = db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", [limit, offset])
    return [AuditEntry(**row) for row in rows]


def verify(db: Database) -> list[str]:
    """Every break in the chain: a changed row, a removed row, a reordered row."""
    problems = []
    prev_hash = GENESIS
    previous_id = 0
    for row in db.query("SELECT * FROM audit_log ORDER BY id"):
        entry = AuditEntry(**row)
        if entry.id != previous_id + 1:
            problems.append(f"rows {previous_id + 1}–{entry.id - 1} are missing")
        if entry.prev_hash != prev_hash:
            problems.append(f"row {entry.id}: does not follow row {previous_id} (a row was removed or changed)")
        expected = _digest(
            entry.prev_hash,
            entry.at,
            entry.staff_id,
            entry.practice,
            entry.request_id,
            entry.action,
            entry.result,
        )
        if entry.hash != expected:
            problems.append(f"row {entry.id}: its content does not match its hash (the row was changed)")
        prev_hash = entry.hash
        previous_id = entry.id
    # AUTOINCREMENT remembers the highest id ever used: a removed last row shows here.
    sequence = list(db.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"))
    if sequence and sequence[0]["seq"] > previous_id:
        problems.append(f"rows {previous_id + 1}–{sequence[0]['seq']} at the end are missing")
    return problems
