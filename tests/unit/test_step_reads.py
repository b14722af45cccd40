"""The run and the practice that every patient step reads are read with less work, and read the same."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from portal.demo import load_demo
from portal.storage.db import open_db
from portal.storage.migrations import migrate
from portal.storage.practices import get_practice, update_practice
from portal.storage.routing import Progress, Run, get_run, record_progress, start_run

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "t.db")
    migrate(database)
    load_demo(database)
    yield database
    database.close()


def test_a_run_reads_as_the_dataclass_builds_it(db):
    run_id = start_run(
        db,
        practice="de-linde",
        tree_id="keelpijn",
        tree_version=3,
        prelude_version=2,
        locale="nl",
        progress=Progress(answers={"emergency_screen": "none"}, last_node="general_danger"),
        now=NOW,
    )
    answers = {"emergency_screen": "none", "general_danger": ["none"], "who_for": "self"}
    assert record_progress(db, run_id, Progress(answers=answers, last_node="profile", questions=1), "en", NOW)
    run = get_run(db, run_id)
    assert isinstance(run, Run)
    built = Run(**{field.name: getattr(run, field.name) for field in dataclasses.fields(Run)})
    assert run == built and repr(run) == repr(built) and hash(repr(run))
    assert (run.answers, run.who_for, run.locale, run.questions, run.raised) == (answers, "self", "en", 1, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.locale = "nl"  # type: ignore[misc]
    assert get_run(db, "no-such-run") is None


def test_a_changed_practice_shows_at_once(db):
    before = get_practice(db, "de-linde")
    assert before is not None and get_practice(db, "de-linde") is before  # unchanged: the same object
    after = dataclasses.replace(before, phone="020 123 45 67")
    update_practice(db, before, after, staff_id=1, now=NOW)
    assert get_practice(db, "de-linde") == after
    assert get_practice(db, "nobody") is None
