"""The evaluation rollups: counts worked out by hand, kept right by incremental refreshes.

Every run here is written straight into the routing log, as the patient flow, the sweep and
the inbox would leave it; the triggers of migration 0009 mark each changed day.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.evaluation.report import Period, partial
from portal.storage import stats
from portal.storage.validation import create_round
from tests.factories import gen_staff, login, soup

BOTH = ["de-linde", "het-anker"]
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
_ids = itertools.count()


def add_run(
    db,
    started: str,
    *,
    route: str | None = "self_care",
    urgency: str = "U5",
    practice: str = "de-linde",
    finished: bool = True,
    abandoned: bool = False,
    validation_round: str | None = None,
) -> str:
    """One routing record; ``route=None`` or ``finished=False`` leaves it open."""
    run_id = f"r{next(_ids):06d}"
    done = finished and route is not None
    db.table("triage_runs").insert(
        {
            "id": run_id,
            "practice": practice,
            "tree_id": "keelpijn",
            "tree_version": 1,
            "prelude_version": 1,
            "locale": "nl",
            "answers": "{}",
            "last_node": "start",
            "outcome_node": "done" if done else None,
            "route": route if done else None,
            "urgency": urgency if done else None,
            "started_at": started,
            "last_active_at": started,
            "finished_at": started if done else None,
            "abandoned": int(abandoned),
            "questions": 4 if done else None,
            "validation_round": validation_round,
        }
    )
    return run_id


@pytest.fixture
def log(db):
    """An empty routing log with fresh rollups."""
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    return db


def test_a_period_is_read_as_the_fewest_rollup_rows_that_cover_it_exactly():
    for start, end in [
        (date(2025, 12, 2), date(2026, 12, 1)),
        (date(2026, 2, 25), date(2026, 3, 9)),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 3, 4), date(2026, 3, 4)),
    ]:
        for months in (True, False):
            covered = []
            for span in stats.spans(start, end, months=months):
                day = span.first
                while day <= span.last:
                    last = stats.bucket_last_day(span.grain, day)
                    covered += [day + timedelta(days=i) for i in range((last - day).days + 1)]
                    day = last + timedelta(days=1)
            assert covered == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert [s.grain for s in stats.spans(date(2026, 1, 1), date(2026, 12, 31))] == ["year"]
    # a year from 2 December: edge days and weeks, three quarters, two months, one day
    assert [s.grain for s in stats.spans(date(2025, 12, 2), date(2026, 12, 1))] == [
        "day",
        "week",
        "day",
        "quarter",
        "month",
        "day",
    ]


def test_the_rollups_count_what_was_put_in_by_hand_and_leave_validation_runs_out(log):
    db = log
    found = create_round(db, practice="de-linde", label="r1", now=datetime(2026, 2, 20, tzinfo=UTC), days=60)
    for _ in range(3):
        add_run(db, "2026-03-02 09:00")  # a Monday
    add_run(db, "2026-03-15 10:00", route="econsult", urgency="U4", practice="het-anker")
    add_run(db, "2026-03-15 11:00", route="econsult", urgency="U4", practice="het-anker")
    add_run(db, "2026-03-31 12:00", finished=False, abandoned=True)
    add_run(db, "2026-03-02 09:30", validation_round=found.id)  # a reader's run: no patient
    assert stats.refresh(db) == ["2026-03-02", "2026-03-15", "2026-03-31"]

    assert stats.route_counts(db, BOTH, *MARCH) == {"self_care": 3, "econsult": 2}
    assert stats.state_counts(db, BOTH, *MARCH) == {"finished": 5, "abandoned": 1}
    assert stats.route_counts(db, ["het-anker"], *MARCH) == {"econsult": 2}
    assert stats.route_counts(db, BOTH, date(2026, 3, 2), date(2026, 3, 8)) == {"self_care": 3}  # one week row
    assert stats.route_counts(db, BOTH, date(2026, 1, 1), date(2026, 12, 31)) == {"self_care": 3, "econsult": 2}
    assert stats.route_counts(db, BOTH, date(2026, 3, 3), date(2026, 3, 14)) == {}
    assert stats.series(db, BOTH, date(2026, 3, 1), date(2026, 3, 31), "week") == [
        ("2026-03-02", {"self_care": 3}),
        ("2026-03-09", {"econsult": 2}),
    ]
    per_tree = stats.per_tree(db, BOTH, *MARCH)["keelpijn"]
    assert (per_tree["started"], per_tree["finished"], dict(per_tree["questions"])) == (6, 5, {4: 5})
    assert stats.dropout(db, BOTH, *MARCH) == [{"tree_id": "keelpijn", "tree_version": 1, "last_node": "start", "n": 1}]


def test_a_refresh_recomputes_only_the_days_that_changed(log):
    db = log
    add_run(db, "2026-03-02 09:00")
    open_run = add_run(db, "2026-03-20 22:00", finished=False)
    stats.refresh(db)
    assert stats.state_counts(db, BOTH, *MARCH) == {"finished": 1, "open": 1}
    assert stats.refresh(db) == []  # nothing changed, nothing recomputed

    # New runs today, and the run of 20 March finishing after its day was rolled up.
    add_run(db, "2026-03-25 08:00", route="econsult", urgency="U4")
    db.execute(
        "UPDATE triage_runs SET finished_at = '2026-03-21 00:10', route = 'appointment', urgency = 'U3', "
        "outcome_node = 'done' WHERE id = ?",
        [open_run],
    )
    assert stats.refresh(db) == ["2026-03-20", "2026-03-25"]
    expected = {"self_care": 1, "appointment": 1, "econsult": 1}
    for period in (MARCH, (date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 1, 1), date(2026, 12, 31))):
        assert stats.route_counts(db, BOTH, *period) == expected  # day, month, quarter and year rows agree
    assert stats.state_counts(db, BOTH, *MARCH) == {"finished": 3}

    # An assistant's decision weeks later marks the run's own day.
    db.execute(
        "UPDATE triage_runs SET final_route = 'appointment', final_urgency = 'U3', "
        "disposition_at = '2026-04-20 10:00' WHERE id = ?",
        [open_run],
    )
    assert stats.refresh(db) == ["2026-03-20"]
    assert [(r["route"], r["final_route"], r["n"]) for r in stats.dispositions(db, BOTH, *MARCH)] == [
        ("appointment", "appointment", 1)
    ]
    # The changes added to the week, month, quarter and year rows equal recomputing them all.
    refreshed = every_rollup_row(db)
    stats.rebuild(db)
    assert refreshed == every_rollup_row(db)


def every_rollup_row(db) -> dict[str, list]:
    tables = ("stats_flow", "stats_signals", "stats_measures", "stats_dropout", "stats_disposition")
    return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t} WHERE n != 0").fetchall())) for t in tables}


def test_a_run_marked_as_validation_after_its_day_was_rolled_up_leaves_the_figures(log):
    db = log
    found = create_round(db, practice="de-linde", label="r2", now=datetime(2026, 2, 20, tzinfo=UTC), days=60)
    run_id = add_run(db, "2026-03-02 09:00")
    add_run(db, "2026-03-02 09:05")
    stats.refresh(db)
    assert stats.route_counts(db, BOTH, *MARCH) == {"self_care": 2}
    db.execute("UPDATE triage_runs SET validation_round = ? WHERE id = ?", [found.id, run_id])
    stats.refresh(db)
    assert stats.route_counts(db, BOTH, *MARCH) == {"self_care": 1}
    assert stats.route_counts(db, BOTH, date(2026, 1, 1), date(2026, 12, 31)) == {"self_care": 1}


def test_the_dashboard_reads_the_rollups_and_still_hides_small_numbers(client, log):
    db = log
    # Rollup rows with no routing records behind them: only a view that reads the rollups shows them.
    for route, n in (("self_care", 37), ("econsult", 4)):
        db.execute(
            "INSERT INTO stats_flow (grain, day, practice, tree_id, state, route, urgency, n) "
            "VALUES ('week', '2026-03-02', 'de-linde', 'keelpijn', 'finished', ?, 'U5', ?)",
            [route, n],
        )
    db.conn.commit()
    login(client, gen_staff(db, role="evaluator", practices=("de-linde", "het-anker")))
    page = soup(client.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-08"))
    facts = page.select_one("#totals-h").find_parent("section").select_one("dl").get_text(" ", strip=True)
    assert "41" in facts
    export = client.get("/staff/evaluatie/export.csv?van=2026-03-02&tot=2026-03-08").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert [(r["route"], r["n"], r["suppressed"]) for r in rows] == [
        ("econsult", "", "True"),
        ("self_care", "37", "False"),
    ]


def test_the_sweep_from_cron_brings_the_rollups_up_to_date(runner, log):
    db = log
    add_run(db, "2026-03-02 09:00")
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0 and "1 changed day(s)" in result.output
    assert stats.route_counts(db, BOTH, *MARCH) == {"self_care": 1}


def test_the_dashboard_speaks_the_readers_language(app, client, log):
    """Complaint titles instead of tree ids, Dutch decimals, "no data" when there is no earlier
    period, and a week the period cuts short marked as partial."""
    db = log
    rows = [("stats_flow", "tree_id, state, route, urgency", ("keelpijn", "finished", "self_care", "U5"), 41)]
    rows += [("stats_measures", "tree_id, measure, value", ("keelpijn", "questions", q), 5) for q in (7, 8)]
    rows += [("stats_measures", "tree_id, measure, value", ("keelpijn", "minutes", 3), 10)]
    for table, columns, values, n in rows:
        db.execute(
            f"INSERT INTO {table} (grain, day, practice, {columns}, n) VALUES ('week', '2026-03-02', 'de-linde', "
            f"{', '.join('?' for _ in values)}, ?)",
            [*values, n],
        )
    db.conn.commit()
    login(client, gen_staff(db, role="evaluator", practices=("de-linde", "het-anker")))
    page = soup(client.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-10"))
    with app.test_request_context():
        from flask_babel import gettext

        from portal.rulebook import live_trees

        title = live_trees()["keelpijn"].title.get("nl")
        no_data, cut_short = gettext("no data"), gettext("%(label)s (partial)", label="9 mrt.")
    complaints = page.select_one("#complaints-h").find_parent("section")
    row = complaints.select_one("tbody tr")
    assert row.th.get_text() == title != "keelpijn"
    assert "7,5" in [td.get_text() for td in row.select("td")]  # the median number of questions
    mix = page.select_one("#totals-h").find_parent("section").select("tbody tr")
    assert {tr.select("td")[1].get_text() for tr in mix} == {no_data}
    assert [th.get_text() for th in page.select("#time-h ~ details tbody th")] == ["2 mrt"]  # a whole week
    assert cut_short in ("9 mrt. (partial)", "9 mrt. (gedeeltelijk)")  # before and after translation


def test_a_bucket_cut_short_by_the_period_or_by_today_is_partial():
    period = Period(date(2026, 3, 4), date(2026, 3, 31))  # a Wednesday to a Tuesday
    today = date(2026, 3, 25)
    assert partial(date(2026, 3, 2), period, today)  # starts before the period
    assert not partial(date(2026, 3, 9), period, today)
    assert partial(date(2026, 3, 23), period, today)  # today is in it
    assert partial(date(2026, 3, 30), period, date(2026, 4, 30))  # the period ends in it


def test_the_migration_fills_the_rollups_from_the_log_it_finds(tmp_path):
    """On a database with a routing log, the release step (``voordeur migrate``) fills the rollups,
    so the first dashboard request does not have to."""
    from portal.storage.db import open_db
    from portal.storage.migrations import migrations

    db = open_db(tmp_path / "old.db")
    migrations.apply(db, stop_before="0009_evaluation_rollups")
    db.execute(
        "INSERT INTO practices (slug, name, phone, municipality, hap_name, hap_phone, opening_hours) "
        "VALUES ('de-linde', 'De Linde', '1', 'X', 'HAP', '2', '{}')"
    )
    for _ in range(2):
        db.execute(
            "INSERT INTO triage_runs (id, practice, tree_id, tree_version, prelude_version, locale, started_at, "
            "last_active_at, finished_at, route, urgency) VALUES (?, 'de-linde', 'keelpijn', 1, 1, 'nl', "
            "'2026-03-02 09:00', '2026-03-02 09:00', '2026-03-02 09:05', 'self_care', 'U5')",
            [f"old{next(_ids)}"],
        )
    db.conn.commit()
    migrations.apply(db)
    assert stats.route_counts(db, ["de-linde"], date(2026, 1, 1), date(2026, 12, 31)) == {"self_care": 2}
    assert stats.refresh(db) == []  # nothing left for the first request
