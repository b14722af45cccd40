"""Connections: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for read-then-write.

Connections are opened lazily per request (after gunicorn has forked) and
closed on teardown, as in Flask's tutorial app.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Generator, Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

BUSY_TIMEOUT_MS = 5000
# SQLite's words for "cannot write now": a lock held too long, a read-only file
# or file system, a full disk, an I/O error.
_UNAVAILABLE = ("database is locked", "readonly database", "database or disk is full", "disk i/o error")


class StorageUnavailable(RuntimeError):
    """The database cannot take writes right now. Views answer 503 and keep what was typed."""


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and any(words in str(error).lower() for words in _UNAVAILABLE)


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, with a plain SELECT run as one statement.

    sqlite-utils 4 runs every ``query()`` inside ``SAVEPOINT`` … ``RELEASE`` so that a
    statement which turns out to return no rows (a write) can be undone before it
    raises. A SELECT always describes its rows and cannot write, so for it the guard
    is two extra statements per read (three reads per triage step: 9 statements
    where 3 do). Everything else, and a SELECT behind a comment or a ``WITH``, goes
    through sqlite-utils unchanged.
    """

    #: Values ``unchanged_read`` hands out again while the database is unchanged: (stamp, value) by key.
    read_again: dict[Hashable, tuple[tuple[int, ...], Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_again = {}

    def query(self, sql: str, params: Sequence | dict[str, Any] | None = None) -> Generator[dict, None, None]:
        if sql.lstrip()[:6].upper() != "SELECT":
            return super().query(sql, params)
        if self._tracer:
            self._tracer(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = dedupe_keys(column[0] for column in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)


T = TypeVar("T")
_READ_AGAIN = 1024  # values kept per connection by ``unchanged_read``


def unchanged_read(db: sqlite_utils.Database, key: Hashable, load: Callable[[], T], *, mark: str | None = None) -> T:
    """``load()``; on a portal connection, the value it gave last time while nothing it reads changed.

    "Nothing changed" is exact, not a time limit. Without ``mark``: SQLite's
    ``PRAGMA data_version`` changes whenever another connection (another worker,
    the CLI) commits, and the connection's ``total_changes`` whenever it changes a
    row itself. With ``mark``: the count in ``change_marks`` that triggers move on
    every change to that table (migration 0018), so the other worker's answers do
    not make this one read again. One cheap statement instead of a query and
    decoding its rows: for data that every request reads and that rarely changes
    (the practice).
    """
    if not isinstance(db, Database):
        return load()
    if mark is not None and db.conn.in_transaction:
        return load()  # a change made here may yet be rolled back, and the mark with it: not kept
    stamp: tuple[int, ...] = _mark(db, mark) if mark is not None else ()
    if not stamp:
        stamp = (db.conn.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes)
    found = db.read_again.get(key)
    if found is not None and found[0] == stamp:
        return found[1]
    value = load()
    if len(db.read_again) >= _READ_AGAIN:
        db.read_again.clear()
    db.read_again[key] = (stamp, value)  # the stamp from before the read: a change during it reads again
    return value


def _mark(db: Database, name: str) -> tuple[int, ...]:
    """``(-1, n)``: the change count of ``name``; ``()`` when there is none (an older database)."""
    try:
        row = db.conn.execute("SELECT n FROM change_marks WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:
        return ()
    return (-1, row[0]) if row is not None else ()


def open_db(path: str | Path) -> Database:
    """A sqlite-utils Database with the pragmas every connection needs.

    The file is created readable by its owner only (it holds personal data), and
    ``secure_delete`` overwrites deleted content, so purged text does not linger
    in free pages.
    """
    if str(path) != ":memory:":
        _private_file(Path(path))
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a commit survives a killed worker, but the last ones may
    # be lost on a power cut. Writes that must survive that use immediate(durable=True).
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    return Database(conn)


def _private_file(path: Path) -> None:
    """Create the database file with mode 0600 (SQLite gives its -wal and -shm files the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            continue


def checkpoint(db: sqlite_utils.Database) -> None:
    """Fold the WAL into the database file and truncate it: after a purge, the
    removed text must not live on in the write-ahead log."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def immediate(db: sqlite_utils.Database, *, durable: bool = True) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock at once.

    A deferred ``BEGIN`` that reads and then writes fails with SQLITE_BUSY under
    concurrent writers (measured: most attempts); ``BEGIN IMMEDIATE`` waits for
    the lock instead.

    ``durable=True`` (the default) syncs the commit to disk (``synchronous=FULL``,
    ~300 µs here), so an acknowledged write survives a power cut: use it for
    anything a patient or assistant sends. The anonymous routing log passes
    ``durable=False`` (~60 µs): it survives a killed worker, and losing the last
    steps of a triage on a power cut does not harm anyone.
    """
    try:
        if durable:
            db.conn.execute("PRAGMA synchronous = FULL")
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise
            db.conn.execute("COMMIT")
        finally:
            if durable:
                db.conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if is_unavailable(exc):
            raise StorageUnavailable(str(exc)) from exc
        raise


def probe_write(db: sqlite_utils.Database) -> None:
    """Write one row and commit (for /healthz). Raises StorageUnavailable when the database cannot."""
    with immediate(db, durable=False):
        db.execute("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, datetime('now'))")


_connections: dict[tuple[int, str], Database] = {}


def get_db() -> Database:
    """This worker's connection, opened on first use — after gunicorn has forked.

    A sync worker handles one request at a time, so one connection per process
    is safe and spares every request the cost of connecting and setting pragmas.
    The key includes the pid, so a forked child never reuses its parent's.
    """
    from flask import current_app

    key = (os.getpid(), current_app.config["VOORDEUR"]["DATABASE"])
    db = _connections.get(key)
    if db is None:
        db = _connections[key] = open_db(key[1])
    return db


def _end_request(_exc: BaseException | None = None) -> None:
    """Never leave a transaction open between requests (a view may have raised)."""
    for (pid, _path), db in _connections.items():
        if pid == os.getpid() and db.conn.in_transaction:
            db.conn.execute("ROLLBACK")


def init_app(app) -> None:
    app.teardown_appcontext(_end_request)
