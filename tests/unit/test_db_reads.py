"""Reads run as one statement; everything else still goes through sqlite-utils' guard."""

from __future__ import annotations

import pytest

from portal.storage.db import open_db


@pytest.fixture
def traced(tmp_path):
    db = open_db(tmp_path / "t.db")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO t (name) VALUES ('a'), ('b')")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    yield db, statements
    db.close()


def test_a_select_is_one_statement_without_a_savepoint(traced):
    db, statements = traced
    rows = list(db.query("SELECT id, name FROM t WHERE name = ?", ["b"]))
    assert rows == [{"id": 2, "name": "b"}]
    assert statements == ["SELECT id, name FROM t WHERE name = 'b'"]


def test_duplicate_column_names_are_kept_apart_as_sqlite_utils_does(traced):
    db, _statements = traced
    assert list(db.query("select 1 as x, 2 as x")) == [{"x": 1, "x_2": 2}]


def test_anything_else_still_gets_the_guard(traced):
    db, statements = traced
    with pytest.raises(ValueError, match="returns rows"):
        db.query("UPDATE t SET name = 'c'")
    assert [row["name"] for row in db.query("SELECT name FROM t ORDER BY id")] == ["a", "b"]  # rolled back
    assert list(db.query("INSERT INTO t (name) VALUES ('d') RETURNING id")) == [{"id": 3}]
    assert any("SAVEPOINT" in s for s in statements)
