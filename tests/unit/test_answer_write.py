"""An answer is one UPDATE of its run, the step limit still holds across workers, and the practice
is read again only when a practice changed (migration 0018; issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlite_utils import Database

from portal.demo import load_demo
from portal.storage.db import open_db
from portal.storage.migrations import migrate, migrations
from portal.storage.practices import get_practice
from portal.storage.routing import Progress, StepLimit, get_run, record_progress, start_run

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
FIRST = Progress(answers={"emergency_screen": "none"}, last_node="general_danger")


def _answers(n: int) -> Progress:
    return Progress(answers={"emergency_screen": "none", "general_danger": ["none"], "step": n}, last_node="profile")


@pytest.fixture
def path(tmp_path):
    database = open_db(tmp_path / "t.db")
    migrate(database)
    load_demo(database)
    database.close()
    return tmp_path / "t.db"


@pytest.fixture
def workers(path):
    """Two connections to one file, as the two gunicorn workers have."""
    one, two = open_db(path), open_db(path)
    yield one, two
    one.close()
    two.close()


def _run(db: Database) -> str:
    return start_run(
        db,
        practice="de-linde",
        tree_id="keelpijn",
        tree_version=1,
        prelude_version=1,
        locale="nl",
        progress=FIRST,
        now=NOW,
    )


def test_the_step_limit_counts_the_answers_of_both_workers_and_stores_nothing_past_it(workers):
    one, two = workers
    run_id = _run(one)
    limit = StepLimit(2, timedelta(hours=1))
    assert record_progress(one, run_id, _answers(1), "nl", NOW, limit=limit)
    assert record_progress(two, run_id, _answers(2), "nl", NOW + timedelta(minutes=1), limit=limit)
    assert not record_progress(one, run_id, _answers(3), "nl", NOW + timedelta(minutes=2), limit=limit)
    assert not record_progress(two, run_id, _answers(4), "nl", NOW + timedelta(minutes=3), limit=limit)
    assert get_run(one, run_id).answers["step"] == 2  # the refused answers were not stored
    # The next hour is a new window, as the rate-limit counter's windows are.
    assert record_progress(two, run_id, _answers(5), "nl", NOW + timedelta(hours=1), limit=limit)
    assert get_run(one, run_id).answers["step"] == 5


def test_a_step_limit_of_zero_refuses_the_first_answer(workers):
    one, _two = workers
    run_id = _run(one)
    assert not record_progress(one, run_id, _answers(1), "nl", NOW, limit=StepLimit(0, timedelta(hours=1)))
    assert get_run(one, run_id).answers == FIRST.answers


def test_an_answer_to_a_run_that_is_gone_reports_that_nothing_was_stored(workers):
    one, _two = workers
    assert not record_progress(one, "no-such-run", _answers(1), "nl", NOW, limit=StepLimit(5, timedelta(hours=1)))


def test_an_answer_is_one_update_in_one_write_transaction(workers):
    one, _two = workers
    run_id = _run(one)
    statements: list[str] = []
    one.conn.set_trace_callback(statements.append)
    assert record_progress(one, run_id, _answers(1), "nl", NOW, limit=StepLimit(5, timedelta(hours=1)))
    one.conn.set_trace_callback(None)
    # Python reports a statement a trigger runs under the text of the statement that fired it.
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
    (update,) = set(statements[1:-1])
    assert update.startswith("UPDATE triage_runs SET")
    assert one.execute("SELECT count(*) FROM rate_limits").fetchone()[0] == 0


def test_the_practice_is_not_read_again_after_the_other_workers_answer(workers):
    one, two = workers
    first = get_practice(one, "de-linde")
    run_id = _run(two)
    record_progress(two, run_id, _answers(1), "nl", NOW, limit=StepLimit(5, timedelta(hours=1)))
    reads: list[str] = []
    one.conn.set_trace_callback(reads.append)
    assert get_practice(one, "de-linde") is first
    one.conn.set_trace_callback(None)
    assert not [s for s in reads if "FROM practices" in s]


def test_a_practice_changed_by_the_other_worker_is_read_again_at_once(workers):
    one, two = workers
    assert get_practice(one, "de-linde").name != "Elders"
    two.execute("UPDATE practices SET name = 'Elders' WHERE slug = 'de-linde'")
    two.conn.commit()
    assert get_practice(one, "de-linde").name == "Elders"
    two.execute("DELETE FROM practices WHERE slug = 'het-anker'")
    two.conn.commit()
    assert get_practice(one, "het-anker") is None


def test_a_practice_change_that_is_rolled_back_is_never_served(workers):
    one, two = workers
    before = get_practice(one, "de-linde").name
    one.conn.execute("BEGIN IMMEDIATE")
    one.conn.execute("UPDATE practices SET name = 'Teruggedraaid' WHERE slug = 'de-linde'")
    assert get_practice(one, "de-linde").name == "Teruggedraaid"  # this connection sees its own change
    one.conn.execute("ROLLBACK")
    assert get_practice(one, "de-linde").name == before
    two.execute("UPDATE practices SET name = 'Elders' WHERE slug = 'de-linde'")  # the mark moves as far again
    two.conn.commit()
    assert get_practice(one, "de-linde").name == "Elders"


def test_runs_from_before_the_migration_are_counted_from_zero(tmp_path):
    db = open_db(tmp_path / "old.db")
    migrations.apply(db, stop_before="0018_answer_in_one_statement")
    load_demo(db)
    db.execute(
        "INSERT INTO triage_runs (id, practice, tree_id, tree_version, prelude_version, locale, answers, "
        "started_at, last_active_at) VALUES ('old', 'de-linde', 'keelpijn', 1, 1, 'nl', '{}', "
        "'2026-12-01 10:00', '2026-12-01 10:00')"
    )
    db.conn.commit()
    migrate(db)
    limit = StepLimit(1, timedelta(hours=1))
    assert record_progress(db, "old", _answers(1), "nl", NOW, limit=limit)
    assert not record_progress(db, "old", _answers(2), "nl", NOW, limit=limit)
    assert get_run(db, "old").answers["step"] == 1
    db.close()
