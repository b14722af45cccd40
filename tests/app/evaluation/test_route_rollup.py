"""The route rollup (``stats_routes``, migration 0017): finished triages per route and answer to
"what would you have done?", over every complaint. The headline figures and the comparisons with
the previous period and last year read it when no complaint is chosen, so it must hold exactly the
counts of ``stats_signals`` added up over complaint, second contact and cap redirect — after a
bulk load, after every incremental refresh, after the migration — and the figures read from it
must be those the dashboard read before."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from portal.storage import glance, stats
from portal.storage.db import open_db
from portal.storage.validation import create_round
from tests.app.evaluation.test_rollups import BOTH, every_rollup_row
from tests.factories import app_on_a_copy, made_whole, private_copy

GRAINS = ("day", "week", "month", "quarter", "year")


@pytest.fixture(scope="module")
def loaded_database(tmp_path_factory, demo_database: Path, shared_content) -> Path:
    """Three thousand synthetic runs (real paths through the real trees, with counterfactual
    answers) from 20 February to 31 March 2026, rolled up as ``voordeur demo --sessions`` does:
    made once for this module (walking the trees is most of the cost), each test gets a copy."""
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules

    app, path = app_on_a_copy(tmp_path_factory.mktemp("route-rollup"), demo_database, shared_content)
    db = open_db(path)
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    with app.app_context():
        trees = rules().trees
    rows = list(generate(trees, BOTH, 3000, end=date(2026, 3, 31), days=40, seed=11))
    stats.bulk_load(db, ROW_COLUMNS, rows, chunk=200)
    db.close()
    return made_whole(path)


@pytest.fixture
def db_path(request: pytest.FixtureRequest, tmp_path: Path, demo_database: Path) -> Path:
    """A private copy of the demo database; for a test that uses ``loaded``, of ``loaded_database``."""
    source = request.getfixturevalue("loaded_database") if "loaded" in request.fixturenames else demo_database
    return private_copy(source, tmp_path)


@pytest.fixture
def loaded(app, db):
    """The test's own copy of the database with the 3000 synthetic runs (``loaded_database``)."""
    return db


def route_rows(db) -> list[tuple]:
    return db.execute(
        "SELECT grain, day, practice, route, counterfactual, n FROM stats_routes ORDER BY 1, 2, 3, 4, 5"
    ).fetchall()


def signals_added_up(db) -> list[tuple]:
    """``stats_signals`` summed over the dimensions ``stats_routes`` leaves out, at every grain."""
    return db.execute(
        "SELECT grain, day, practice, route, counterfactual, sum(n) FROM stats_signals "
        "GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) != 0 ORDER BY 1, 2, 3, 4, 5"
    ).fetchall()


def test_the_route_rollup_holds_the_signals_counts_without_the_complaint_at_every_grain(loaded):
    rows = route_rows(loaded)
    assert rows == signals_added_up(loaded)
    assert {row[0] for row in rows} == set(GRAINS)
    answered = {row[4] for row in rows}
    assert None in answered and len(answered) > 2  # unanswered and several answers
    finished = loaded.execute("SELECT count(*) FROM triage_runs WHERE finished_at IS NOT NULL").fetchone()[0]
    assert sum(row[5] for row in rows if row[0] == "year") == finished > 1000
    loaded_rows = every_rollup_row(loaded)
    stats.rebuild(loaded)
    assert route_rows(loaded) == signals_added_up(loaded)
    assert every_rollup_row(loaded) == loaded_rows


def test_a_refresh_keeps_the_route_rollup_in_step_and_the_headlines_see_the_change(loaded):
    db = loaded
    march = (date(2026, 3, 1), date(2026, 3, 31))
    before = glance.counterfactuals(db, BOTH, *march)
    routes_before = glance.route_counts(db, BOTH, *march)
    # A patient answers the counterfactual question on an old run; another run is withdrawn from
    # the figures (a validation round); a run of 2 March changes route (an outcome corrected).
    changed = db.execute(
        "SELECT id, route FROM triage_runs WHERE finished_at IS NOT NULL AND counterfactual IS NULL "
        "AND started_at >= '2026-03-10' AND route = 'self_care' LIMIT 1"
    ).fetchone()
    db.execute("UPDATE triage_runs SET counterfactual = 'practice' WHERE id = ?", [changed[0]])
    found = create_round(db, practice="de-linde", label="r", now=datetime(2026, 2, 20, tzinfo=UTC), days=60)
    db.execute(
        "UPDATE triage_runs SET validation_round = ? WHERE id = (SELECT id FROM triage_runs "
        "WHERE finished_at IS NOT NULL AND started_at >= '2026-03-20' AND route = 'econsult' LIMIT 1)",
        [found.id],
    )
    db.execute(
        "UPDATE triage_runs SET route = 'appointment' WHERE id = (SELECT id FROM triage_runs "
        "WHERE finished_at IS NOT NULL AND started_at >= '2026-03-02' AND started_at < '2026-03-03' "
        "AND route = 'self_care' LIMIT 1)"
    )
    db.conn.commit()
    assert len(stats.refresh(db)) == 3  # three days recomputed, nothing else
    assert route_rows(db) == signals_added_up(db)
    refreshed = every_rollup_row(db)
    stats.rebuild(db)
    assert every_rollup_row(db) == refreshed
    after = {(r["route"], r["counterfactual"]): r["n"] for r in glance.counterfactuals(db, BOTH, *march)}
    earlier = {(r["route"], r["counterfactual"]): r["n"] for r in before}
    assert after[("self_care", "practice")] == earlier.get(("self_care", "practice"), 0) + 1
    routes_after = glance.route_counts(db, BOTH, *march)
    assert routes_after["econsult"] == routes_before["econsult"] - 1
    assert routes_after["appointment"] == routes_before["appointment"] + 1
    assert routes_after["self_care"] == routes_before["self_care"] - 1


def test_figures_read_from_the_route_rollup_equal_those_added_up_from_the_complaints(loaded):
    db = loaded
    rng = random.Random(4)
    first, last = stats.log_span(db)
    periods = [(first, last), (date(2026, 3, 3), last), (date(2026, 2, 1), date(2026, 3, 9))]
    periods += [
        (first + timedelta(days=a), first + timedelta(days=a + rng.randrange(60)))
        for a in (rng.randrange(-20, 40) for _ in range(25))
    ]
    for start, end in periods:
        for practices in (BOTH, ["de-linde"]):
            flow = stats.sum_counts(db, "stats_flow", "route", practices, start, end, where="state = 'finished'")
            assert glance.route_counts(db, practices, start, end) == {r["route"]: r["n"] for r in flow}
            assert stats.route_counts(db, practices, start, end) == {r["route"]: r["n"] for r in flow}
            answered = stats.sum_counts(
                db,
                "stats_signals",
                "route, counterfactual",
                practices,
                start,
                end,
                where="counterfactual IS NOT NULL",
                order="ORDER BY 1, 2",
            )
            assert sorted(
                glance.counterfactuals(db, practices, start, end), key=lambda r: (r["route"], r["counterfactual"])
            ) == [dict(r) for r in answered]
        by_practice = glance.route_counts_by_practice(db, BOTH, start, end)
        for practice in BOTH:
            assert by_practice[practice] == glance.route_counts(db, [practice], start, end)
    # One complaint: read from the complaint's own rows, as before.
    tree = db.execute("SELECT tree_id FROM triage_runs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    flow = stats.sum_counts(
        db, "stats_flow", "route", BOTH, first, last, where="state = 'finished' AND tree_id = ?", extra=[tree]
    )
    assert glance.route_counts(db, BOTH, first, last, tree) == {r["route"]: r["n"] for r in flow}


def test_the_migration_fills_the_route_rollup_from_the_signals_it_finds(tmp_path, app):
    """A database migrated before 0017 gets ``stats_routes`` filled in the release step, from the
    rollups it has (no pass over the routing log), equal to rolling it up from the log."""
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules
    from portal.storage.db import open_db
    from portal.storage.migrations import migrations

    db = open_db(tmp_path / "old.db")
    migrations.apply(db, stop_before="0017_evaluation_route_rollup")
    from portal.demo import load_demo

    load_demo(db)
    with app.app_context():
        trees = rules().trees
    columns = ", ".join(ROW_COLUMNS)
    marks = ", ".join("?" for _ in ROW_COLUMNS)
    db.conn.executemany(
        f"INSERT INTO triage_runs ({columns}) VALUES ({marks})",
        list(generate(trees, BOTH, 500, end=date(2026, 3, 31), days=20, seed=3)),
    )
    db.conn.commit()
    with db.conn:
        stats.fill_all(db, tables=[t for t in stats._TABLES if t != "stats_routes"])
    migrations.apply(db)
    assert route_rows(db) and route_rows(db) == signals_added_up(db)
    migrated = every_rollup_row(db)
    stats.rebuild(db)
    assert route_rows(db) == signals_added_up(db)
    assert every_rollup_row(db) == migrated
    db.close()
