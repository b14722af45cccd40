"""Connections: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for read-then-write.

Connections are opened lazily per request (after gunicorn has forked) and
closed on teardown, as in Flask's tutorial app.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 5000


def open_db(path: str | Path) -> Database:
    """A sqlite-utils Database with the pragmas every connection needs."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a commit survives a killed worker, but the last ones may
    # be lost on a power cut. Writes that must survive that use immediate(durable=True).
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


@contextmanager
def immediate(db: Database, *, durable: bool = True) -> Iterator[Database]:
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


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    app.teardown_appcontext(_end_request)
