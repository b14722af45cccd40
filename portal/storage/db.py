"""Connections: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for read-then-write.

Connections are opened lazily per request (after gunicorn has forked) and
closed on teardown, as in Flask's tutorial app.
"""

from __future__ import annotations

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
    # FULL: an acknowledged write survives a power cut or a killed worker.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at once.

    A deferred ``BEGIN`` that reads and then writes fails with SQLITE_BUSY under
    concurrent writers (measured: most attempts); ``BEGIN IMMEDIATE`` waits for
    the lock instead.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def get_db() -> Database:
    """The request's connection, opened on first use (after the worker forked)."""
    from flask import current_app, g

    if "db" not in g:
        g.db = open_db(current_app.config["VOORDEUR"]["DATABASE"])
    return g.db


def _close_db(_exc: BaseException | None = None) -> None:
    from flask import g

    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    app.teardown_appcontext(_close_db)
