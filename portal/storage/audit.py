"""The audit trail (NEN 7513): who, for which practice, when, from where, in
which session, which request (or which requests a list showed), what action,
with what result.

Append-only: database triggers refuse UPDATE and DELETE. But whoever can write
the database file can also drop the triggers, so the log is made
tamper-evident with two anchors that live *outside* the database:

- a keyed chain: each row's hash is an HMAC-SHA256, keyed with the audit key
  (``AUDIT_KEY``, from the configuration, never stored in the database), over
  its content and the previous row's hash. Without the key nobody can write a
  row, or rewrite the chain, that ``verify`` accepts;
- checkpoints: ``checkpoint`` appends the chain's head (row id and hash) to an
  append-only file, ideally on other storage (cron, every few minutes). Rows
  removed from the end, or a chain rewritten by someone who *does* have the
  key, no longer match an earlier checkpoint.

Rows hold ids only, never personal data, so they can be kept for years after
requests are purged.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

from sqlite_utils import Database

from .db import immediate

GENESIS = "0" * 64
# A rewritten chain breaks every row after the change; past this many lines the
# report only says how many more there are (the first ones name the damage).
MAX_PROBLEMS = 100
_TAIL_BYTES = 4096


class Origin(TypedDict):
    """Where a staff action came from (NEN 7513): the client address and the staff session's public id."""

    source: str | None
    session: str | None


NO_ORIGIN = Origin(source=None, session=None)  # an action from the command line or a cron job


class AuditNotConfigured(RuntimeError):
    """No audit key (or checkpoint file) was configured: see ``configure``."""


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
    source: str | None = None
    session: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file: at ``at``, the chain's head was row ``row_id`` with ``hash``."""

    at: str
    row_id: int
    hash: str


@dataclass(frozen=True)
class _Settings:
    key: bytes | None = None
    checkpoint_file: Path | None = None


_settings = _Settings()


def configure(key: str, checkpoint_file: str | Path | None) -> None:
    """Set the audit key and checkpoint file for this process.

    Process-wide, like logging configuration: ``append`` is called from deep in
    the storage layer (claiming, replying, purging) that must not import Flask
    and should not carry a key through every signature. The key is a deployment
    constant, so ``create_app`` sets it once per process (every gunicorn worker
    builds its own app); the last call wins. ``verify`` and ``checkpoint`` also
    take both explicitly, for callers that prefer that.
    """
    global _settings
    if not key:
        raise AuditNotConfigured("the audit key must not be empty")
    _settings = _Settings(key.encode(), Path(checkpoint_file) if checkpoint_file else None)


def _key(key: str | None) -> bytes:
    if key:
        return key.encode()
    if _settings.key is None:
        # Never fall back to a built-in key: rows signed with a guessable key
        # would be as forgeable as unkeyed ones.
        raise AuditNotConfigured("audit.configure() was not called (create_app does this)")
    return _settings.key


def _checkpoint_path(checkpoint_file: str | Path | None) -> Path | None:
    return Path(checkpoint_file) if checkpoint_file else _settings.checkpoint_file


def _keyed_digest(key: bytes, prev_hash: str, entry_fields: list[object]) -> str:
    content = json.dumps([prev_hash, *entry_fields], separators=(",", ":"))
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def _legacy_digest(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 of rows written before the keyed chain (first seven fields only)."""
    content = json.dumps(
        [entry.prev_hash, entry.at, entry.staff_id, entry.practice, entry.request_id, entry.action, entry.result],
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _content(entry: AuditEntry) -> list[object]:
    """Everything the keyed hash covers after ``prev_hash``, in a fixed order."""
    return [
        entry.at,
        entry.staff_id,
        entry.practice,
        entry.request_id,
        entry.action,
        entry.result,
        entry.source,
        entry.session,
        entry.detail,
    ]


def ids_detail(ids: Iterable[int]) -> str:
    """``detail`` for a list view: the ids it showed, in order, as compact JSON (ids, never personal data)."""
    return json.dumps([int(i) for i in ids], separators=(",", ":"))


def append(
    db: Database,
    *,
    action: str,
    staff_id: int | None = None,
    practice: str | None = None,
    request_id: int | None = None,
    result: str = "ok",
    now: datetime | None = None,
    source: str | None = None,
    session: str | None = None,
    detail: str | None = None,
) -> None:
    """Add one row, durably, chained to the last. Joins the caller's transaction if one is open.

    ``source`` is the client address, ``session`` the staff session's public id,
    ``detail`` a short string such as ``ids_detail(...)`` of what a list showed:
    never personal data, since the log outlives the requests it names.
    """
    key = _key(None)
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")

    def write() -> None:
        last = list(db.query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        prev_hash = last[0]["hash"] if last else GENESIS
        fields: list[object] = [at, staff_id, practice, request_id, action, result, source, session, detail]
        db.execute(
            "INSERT INTO audit_log (at, staff_id, practice, request_id, action, result, source, session, detail, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*fields, prev_hash, _keyed_digest(key, prev_hash, fields)],
        )

    if db.conn.in_transaction:
        write()
    else:
        with immediate(db):
            write()


def entries(db: Database, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    rows = db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", [limit, offset])
    return [AuditEntry(**row) for row in rows]


def _all_entries(db: Database) -> Iterator[AuditEntry]:
    for row in db.query("SELECT * FROM audit_log ORDER BY id"):
        yield AuditEntry(**row)


def _rows(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first}–{last}"


class _Chain:
    """Walks the rows in id order and collects every break in the keyed chain."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.problems: list[str] = []
        self.prev_hash = GENESIS
        self.last_id = 0
        self.keyed_rows = 0

    def feed(self, entry: AuditEntry) -> None:
        if entry.id != self.last_id + 1:
            self.problems.append(f"{_rows(self.last_id + 1, entry.id - 1)} are missing")
        if entry.prev_hash != self.prev_hash:
            self.problems.append(f"row {entry.id}: does not follow row {self.last_id} (a row was removed or changed)")
        self._check_hash(entry)
        self.prev_hash = entry.hash
        self.last_id = entry.id

    def _check_hash(self, entry: AuditEntry) -> None:
        """A row must carry the keyed hash, except in the legacy prefix.

        Rows written before the keyed chain carry a plain SHA-256 of their first
        seven fields (no source/session/detail). They are accepted only *before
        the first keyed row*: anyone can compute a plain SHA-256, so if legacy
        rows were accepted anywhere, an attacker without the key could rewrite
        new rows in the old format. A keyed row that follows them seals them
        (its keyed hash covers the last legacy row's hash). A log without any
        keyed row is reported in ``finish``: that is what a chain rewritten
        entirely in the old format looks like.
        """
        if hmac.compare_digest(entry.hash, _keyed_digest(self.key, entry.prev_hash, _content(entry))):
            self.keyed_rows += 1
            return
        legacy = entry.source is None and entry.session is None and entry.detail is None
        if legacy and entry.hash == _legacy_digest(entry):
            if self.keyed_rows:
                self.problems.append(
                    f"row {entry.id}: unkeyed hash after keyed rows (the chain was rewritten without the audit key)"
                )
            return
        self.problems.append(
            f"row {entry.id}: its content does not match its keyed hash (the row was changed or the chain rewritten)"
        )

    def finish(self) -> list[str]:
        if self.last_id and not self.keyed_rows:
            self.problems.append(
                "no row carries the audit key's hash (the chain was rewritten without the key, or nothing was "
                "logged since the upgrade to the keyed chain)"
            )
        return self.problems


def _sequence_problems(db: Database, last_id: int) -> list[str]:
    """AUTOINCREMENT remembers the highest id ever used: a removed last row shows here (unless lowered too)."""
    sequence = list(db.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"))
    if sequence and sequence[0]["seq"] > last_id:
        return [f"{_rows(last_id + 1, sequence[0]['seq'])} at the end are missing"]
    return []


def read_checkpoints(path: str | Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoint file's lines, and a problem for each line that cannot be read."""
    marks: list[Checkpoint] = []
    problems: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                marks.append(Checkpoint(parts[0], int(parts[1]), parts[2]))
            elif parts:
                problems.append(f"checkpoint file {path}, line {number}: not `<time> <row id> <hash>`")
    return marks, problems


def _checkpoints_if_any(path: Path | None) -> tuple[list[Checkpoint], list[str]]:
    """No file yet means no checkpoints; a file that cannot be read is a problem, not a crash of the audit page."""
    if path is None or not path.exists():
        return [], []
    try:
        return read_checkpoints(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"checkpoint file {path} cannot be read: {exc}"]


def _checkpoint_problems(marks: list[Checkpoint], seen: dict[int, str], last_id: int) -> list[str]:
    """Rows that a checkpoint saw and that are gone now, or whose hash changed since."""
    problems = []
    beyond = [mark for mark in marks if mark.row_id > last_id]
    if beyond:
        top = max(beyond, key=lambda mark: mark.row_id)
        problems.append(f"{_rows(last_id + 1, top.row_id)} were removed after the checkpoint of {top.at}")
    removed = [mark for mark in marks if mark.row_id <= last_id and mark.row_id not in seen]
    problems += [f"row {mark.row_id} was removed after the checkpoint of {mark.at}" for mark in removed]
    changed = [mark for mark in marks if mark.row_id in seen and seen[mark.row_id] != mark.hash]
    if changed:
        first = changed[0]
        more = f"; {len(changed) - 1} later checkpoint(s) differ too" if len(changed) > 1 else ""
        problems.append(
            f"row {first.row_id}: its hash differs from the checkpoint of {first.at} (the chain was rewritten){more}"
        )
    return problems


def verify(db: Database, *, key: str | None = None, checkpoint_file: str | Path | None = None) -> list[str]:
    """Every sign of tampering; an empty list means intact.

    Checks the keyed chain (a changed, removed, reordered or forged row), the
    ids and ``sqlite_sequence`` (removed rows), and, when the checkpoint file
    exists, that every row a checkpoint saw is still there with the same hash
    (rows removed from the end with the sequence lowered; a chain rewritten
    with the key). ``key`` and ``checkpoint_file`` default to ``configure``'s.
    """
    chain = _Chain(_key(key))
    path = _checkpoint_path(checkpoint_file)
    marks, problems = _checkpoints_if_any(path)
    wanted = {mark.row_id for mark in marks}
    seen: dict[int, str] = {}
    for entry in _all_entries(db):
        chain.feed(entry)
        if entry.id in wanted:
            seen[entry.id] = entry.hash
    problems = [
        *chain.finish(),
        *_sequence_problems(db, chain.last_id),
        *problems,
        *_checkpoint_problems(marks, seen, chain.last_id),
    ]
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more problems"]
    return problems


def _last_line(fd: int) -> str:
    size = os.fstat(fd).st_size
    tail = os.pread(fd, _TAIL_BYTES, max(0, size - _TAIL_BYTES)).decode("utf-8", "replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _open_append_only(path: Path) -> int:
    """O_APPEND (works on a ``chattr +a`` file), created 0600; a new file's directory entry is synced too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    if created:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return fd


def checkpoint(
    db: Database, *, checkpoint_file: str | Path | None = None, now: datetime | None = None
) -> tuple[int, str] | None:
    """Append ``<time> <row id> <row hash>`` of the chain's head to the checkpoint file (fsynced).

    Writes only when the head moved since the file's last line, so running it
    from cron every few minutes keeps the file small. Returns what it wrote,
    or None (empty log, or nothing new). Safe to run concurrently (file lock).
    """
    path = _checkpoint_path(checkpoint_file)
    if path is None:
        raise AuditNotConfigured("no audit checkpoint file configured")
    head = list(db.query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
    if not head:
        return None
    row_id, row_hash = head[0]["id"], head[0]["hash"]
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    fd = _open_append_only(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _last_line(fd).split()[1:] == [str(row_id), row_hash]:
            return None
        os.write(fd, f"{at} {row_id} {row_hash}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return row_id, row_hash
