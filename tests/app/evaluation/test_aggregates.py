"""Beyond one instance: three instances export their aggregates (``voordeur export-aggregates``), and
the DuckDB query set combines them into the dashboard's headline figures.

Each instance is its own SQLite database, filled through the storage functions the portal itself
calls (a triage started and finished, the counterfactual answer, an e-consult sent and answered,
the assistant's decision, self-help feedback), with numbers chosen by hand.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from portal.evaluation import aggregates, headlines
from portal.evaluation import glance as at_a_glance
from portal.evaluation import stats as figures
from portal.storage import audit, glance, requests
from portal.storage import stats as store
from portal.storage.db import open_db
from portal.storage.feedback import record_feedback
from portal.storage.routing import Progress, mark_returned, record_counterfactual, start_run
from portal.storage.validation import create_round
from tests.factories import gen_staff

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the moment of export: every e-consult is due by then
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
PERIOD = (MARCH, date(2026, 4, 30))
_keys = itertools.count()


@dataclass(frozen=True)
class Plan:
    """One instance's triages in one practice and month, by hand."""

    practice: str
    month: date
    self_care: int = 0
    would_have_called: int = 0  # of the self-care triages: answered "the practice"
    would_do_nothing: int = 0  # of the self-care triages: answered "nothing"
    social_domain: int = 0
    appointment: int = 0
    econsult_on_time: int = 0
    econsult_late: int = 0
    econsult_raised: int = 0  # of the e-consults answered on time: the assistant made it U3 (under-triage)
    helped: int = 0  # self-help feedback "yes" on self-care triages
    not_helped: int = 0
    returned: int = 0  # of the self-care triages: the same browser came back within 14 days


def run(db, plan: Plan, day: int, route: str, urgency: str, **extra) -> str:
    """A triage started on ``day`` of the plan's month and finished, through the portal's own calls."""
    moment = datetime(plan.month.year, plan.month.month, day, 10, 0, tzinfo=UTC)
    progress = Progress({"who_for": "self"}, "done", "done", route, urgency, questions=4)
    return start_run(
        db,
        practice=plan.practice,
        tree_id="keelpijn",
        tree_version=1,
        prelude_version=1,
        locale="nl",
        progress=progress,
        now=moment,
        **extra,
    )


def fill(db, plans: list[Plan]) -> None:
    staff = gen_staff(db, practices=("de-linde", "het-anker"), email=f"assistant{next(_keys)}@example.nl")
    for plan in plans:
        for i in range(plan.self_care):
            run_id = run(db, plan, 2 + i % 20, "self_care", "U5")
            if i < plan.would_have_called:
                record_counterfactual(db, run_id, "practice")
            elif i < plan.would_have_called + plan.would_do_nothing:
                record_counterfactual(db, run_id, "nothing")
            if i < plan.returned:
                moment = datetime(plan.month.year, plan.month.month, 2 + i % 20, 18, 0, tzinfo=UTC)
                assert mark_returned(db, [run_id], moment) == 1
            if i < plan.helped + plan.not_helped:
                record_feedback(
                    db,
                    page="keelpijn-zelfzorg",
                    language="nl",
                    run_id=run_id,
                    helped=i < plan.helped,
                    reason=None,
                    now=datetime(plan.month.year, plan.month.month, 25, 12, tzinfo=UTC),
                )
        for i in range(plan.social_domain):
            run(db, plan, 3 + i, "social_domain", "U5")
        for i in range(plan.appointment):
            run(db, plan, 4 + i % 20, "appointment", "U3")
        econsults = plan.econsult_on_time + plan.econsult_late
        for i in range(econsults):
            run_id = run(db, plan, 5 + i % 20, "econsult", "U4")
            sent = datetime(plan.month.year, plan.month.month, 5 + i % 20, 11, tzinfo=UTC)
            due = sent + timedelta(days=1)
            request, _created = requests.submit(
                db,
                requests.NewRequest(
                    practice=plan.practice,
                    run_id=run_id,
                    kind="econsult",
                    urgency="U4",
                    idempotency_key=f"key-{next(_keys)}",
                    name="Test Patiënt",
                    birth_date="1980-01-01",
                ),
                now=sent,
                due=due,
            )
            on_time = i < plan.econsult_on_time
            answered = due - timedelta(hours=2) if on_time else due + timedelta(hours=5)
            raised = on_time and i < plan.econsult_raised
            requests.reply(
                db,
                request,
                staff.id,
                "Antwoord",
                answered,
                close_with=requests.Disposition("appointment" if raised else "econsult", "U3" if raised else "U4"),
            )


def make_instance(template: Path, folder: Path, plans: list[Plan]) -> Path:
    path = folder / "voordeur.db"
    folder.mkdir()
    shutil.copy2(template, path)
    db = open_db(path)
    fill(db, plans)
    # A reader's run in a validation round: no patient, in no figure of any instance.
    found = create_round(db, practice="de-linde", label="ronde", now=datetime(2026, 2, 20, tzinfo=UTC), days=90)
    plan = Plan("de-linde", MARCH)
    validation_run = run(db, plan, 9, "self_care", "U5", validation_round=found.id)
    record_counterfactual(db, validation_run, "practice")
    assert mark_returned(db, [validation_run], datetime(2026, 3, 9, 18, tzinfo=UTC)) == 0
    db.close()
    return path


# By hand. A: two practices, two months; B: one practice; C: small numbers everywhere but self-care.
PLANS = {
    "noord": [
        Plan("de-linde", MARCH, self_care=20, would_have_called=12, would_do_nothing=3, social_domain=3,
             appointment=10, econsult_on_time=9, econsult_late=3, econsult_raised=2, helped=11, not_helped=4,
             returned=4),
        Plan("de-linde", APRIL, self_care=10, would_have_called=5, would_do_nothing=5, appointment=10,
             econsult_on_time=10, econsult_late=0, econsult_raised=0, helped=6, not_helped=4,
             returned=2),
        Plan("het-anker", MARCH, self_care=12, would_have_called=6, would_do_nothing=6, appointment=11,
             econsult_on_time=8, econsult_late=4, econsult_raised=1, helped=8, not_helped=2,
             returned=3),
    ],
    "midden": [
        Plan("de-linde", MARCH, self_care=30, would_have_called=20, would_do_nothing=10, social_domain=4,
             appointment=15, econsult_on_time=12, econsult_late=8, econsult_raised=3, helped=12, not_helped=8,
             returned=6),
    ],
    "zuid": [
        Plan("de-linde", APRIL, self_care=15, would_have_called=4, would_do_nothing=11, social_domain=5,
             appointment=12, econsult_on_time=3, econsult_late=1, econsult_raised=0, helped=5, not_helped=5,
             returned=3),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def exports(tmp_path_factory, demo_database) -> tuple[Path, dict[str, Path]]:
    """Three instances, each exported into ROOT/<instance id>/ as an operator's timer would."""
    root = tmp_path_factory.mktemp("exports")
    instances = tmp_path_factory.mktemp("instances")
    audit.configure("test-secret", instances / "audit-checkpoints.log")  # as create_app does
    databases = {}
    for instance_id, plans in PLANS.items():
        databases[instance_id] = make_instance(demo_database, instances / instance_id, plans)
        db = open_db(databases[instance_id])
        aggregates.export(db, root / instance_id, aggregates.Instance(instance_id, instance_id.title()), now=NOW)
        db.close()
    return root, databases


def combined(root: Path, macro: str) -> list[dict]:
    with duckdb.connect() as con:
        con.execute(aggregates.QUERY_SET.read_text())
        cursor = con.execute(f"FROM {macro}(?, ?, ?)", [str(root), PERIOD[0], date(2026, 4, 1)])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def python_figures(database: Path) -> dict[str, headlines.Figure]:
    """One instance's figures over the period, as its own dashboard computes them (no suppression
    of parts: every practice-month here rests on at least ten triages)."""
    db = open_db(database)
    scope, (start, end) = ["de-linde", "het-anker"], PERIOD
    routes = store.route_counts(db, scope, start, end)
    states = [
        headlines.econsult_state(
            datetime.fromisoformat(r["due_at"]),
            datetime.fromisoformat(r["first_reply"]) if r["first_reply"] else None,
            NOW,
        )
        for r in glance.econsults(db, scope, start, end)
    ]
    signals = [(r["route"], r["counterfactual"], r["n"]) for r in store.signals(db, scope, start, end)]
    confusion = figures.confusion(
        (r["route"], r["urgency"], r["final_route"], r["final_urgency"], r["n"])
        for r in store.dispositions(db, scope, start, end)
    )
    result = {
        "without_visit": headlines.without_visit(routes),
        "econsult_on_time": headlines.econsult_on_time(
            states.count(headlines.EconsultState.ON_TIME), states.count(headlines.EconsultState.LATE)
        ),
        "contacts_avoided": headlines.contacts_avoided(signals, sum(routes.values())),
        "selfhelp_held": at_a_glance.selfhelp_held(db, scope, start, end, None, NOW),
        "selfhelp_helped": headlines.selfhelp_helped(*glance.selfhelp_feedback(db, scope, start, end)),
        "triage_agreement": headlines.Figure(confusion.agreement, confusion.total),
        "under_triage": headlines.Figure(confusion.under_triage, confusion.total),
    }
    db.close()
    return result


def test_each_instance_in_duckdb_equals_its_own_figures_and_the_numbers_by_hand(exports):
    root, databases = exports
    rows = {(r["instance_id"], r["figure"]): r for r in combined(root, "voordeur_headlines_by_instance")}
    # noord by hand: finished = (20+3+10+12) + (10+10+10) + (12+11+12) = 110; without a visit: 20+3+12 +
    # 10+10 + 12+12 = 79; answered the counterfactual 15 + 10 + 12 = 37, avoided 12 + 5 + 6 = 23.
    noord = {figure: (rows["noord", figure]["part"], rows["noord", figure]["whole"]) for figure in aggregates.FIGURES}
    assert noord["without_visit"] == (79, 110)
    assert noord["econsult_on_time"] == (9 + 10 + 8, 12 + 10 + 12)
    assert noord["contacts_avoided"] == (23, 37)
    assert rows["noord", "contacts_avoided"]["estimate"] == round(23 / 37 * 110) == 68
    assert noord["selfhelp_held"] == (20 + 10 + 12 - (4 + 2 + 3), 20 + 10 + 12)
    assert noord["selfhelp_helped"] == (11 + 6 + 8, 15 + 10 + 10)
    assert noord["triage_agreement"] == (34 - 3, 34)  # every e-consult decided; three made more urgent
    assert noord["under_triage"] == (3, 34)
    for instance_id in ("noord", "midden"):
        for name, figure in python_figures(databases[instance_id]).items():
            row = rows[instance_id, name]
            assert (row["part"], row["whole"]) == (figure.part, figure.whole), (instance_id, name)
            assert row["value"] == pytest.approx(figure.value)
            assert row["suppressed"] == 0
            if name == "contacts_avoided":
                assert row["estimate"] == figure.estimate


def test_all_instances_together_are_the_sums_and_small_numbers_stay_hidden(exports):
    root, _databases = exports
    together = {r["figure"]: r for r in combined(root, "voordeur_headlines")}
    # zuid's four e-consults are below the threshold: hidden in its export, so left out here, and
    # said to be missing: 27 + 12 on time of 34 + 20, from noord and midden.
    assert (together["econsult_on_time"]["part"], together["econsult_on_time"]["whole"]) == (39, 54)
    assert together["econsult_on_time"]["suppressed"] == 1
    assert together["econsult_on_time"]["instances"] == 3
    # zuid's other figures rest on enough triages: without a visit 79 + (30 + 4 + 20) + (15 + 5 + 4)
    # of 110 + 69 + 36 finished (zuid's four e-consults are in its without_visit figure: its
    # denominator, 36 triages, is above the threshold, as on its own dashboard).
    assert (together["without_visit"]["part"], together["without_visit"]["whole"]) == (157, 215)
    assert together["without_visit"]["value"] == pytest.approx(157 / 215)
    assert (together["contacts_avoided"]["part"], together["contacts_avoided"]["whole"]) == (23 + 20 + 4, 37 + 30 + 15)
    assert together["contacts_avoided"]["estimate"] == round(47 / 82 * 215)
    assert (together["selfhelp_held"]["part"], together["selfhelp_held"]["whole"]) == (33 + 24 + 12, 42 + 30 + 15)
    assert (together["selfhelp_helped"]["part"], together["selfhelp_helped"]["whole"]) == (25 + 12 + 5, 35 + 20 + 10)
    # The parquet files hold the hidden figure without its numbers: nothing to add up.
    with duckdb.connect() as con:
        hidden = con.execute(
            "SELECT part, whole FROM read_parquet(?) WHERE figure = 'econsult_on_time'",
            [str(root / "zuid" / "headlines.parquet")],
        ).fetchall()
    assert hidden == [(None, None)]


def test_small_route_cells_are_not_undone_by_adding_instances(exports):
    """Social domain: 3, 4 and 5 triages in three instances, each cell below the threshold. Together
    they would make 12, a number that could be shown, but each instance hid its own cell: the
    combined route mix leaves them out and says three cells are missing."""
    root, _databases = exports
    mix = {r["route"]: r for r in combined(root, "voordeur_route_mix")}
    assert mix["social_domain"]["n"] == 0 and mix["social_domain"]["suppressed"] == 3
    assert mix["self_care"]["n"] == 20 + 10 + 12 + 30 + 15
    assert mix["econsult"]["n"] == 12 + 10 + 12 + 20  # zuid's four are hidden
    assert mix["econsult"]["suppressed"] == 1
    total = sum(r["n"] for r in mix.values())
    assert mix["self_care"]["share"] == pytest.approx(87 / total)
    with duckdb.connect() as con:
        cells = con.execute(
            "SELECT instance_id, n, suppressed FROM read_parquet(?) WHERE route = 'social_domain' ORDER BY instance_id",
            [str(root / "*" / "flow.parquet")],
        ).fetchall()
    assert cells == [("midden", None, True), ("noord", None, True), ("zuid", None, True)]


def test_an_export_holds_no_personal_data_and_no_validation_runs(exports):
    root, _databases = exports
    with duckdb.connect() as con:
        for name in ("flow.parquet", "headlines.parquet"):
            columns = {
                row[0] for row in con.execute(f"DESCRIBE FROM read_parquet('{root / 'noord' / name}')").fetchall()
            }
            assert columns.isdisjoint({"name", "birth_date", "phone", "email", "message", "id", "run_id", "answers"})
            assert {"instance_id", "instance_name", "practice", "month", "suppressed"} <= columns
        names = con.execute(f"SELECT DISTINCT instance_name FROM read_parquet('{root / '*' / 'flow.parquet'}')")
        assert sorted(row[0] for row in names.fetchall()) == ["Midden", "Noord", "Zuid"]
        # noord's March self-care in de-linde: 20 triages, not 21 with the validation round's run.
        march = con.execute(
            f"SELECT sum(n) FROM read_parquet('{root / 'noord' / 'flow.parquet'}') "
            "WHERE practice = 'de-linde' AND month = DATE '2026-03-01' AND route = 'self_care'"
        ).fetchone()
    assert march == (20,)


def test_the_command_writes_both_files(runner, db, tmp_path):
    fill(db, [Plan("de-linde", MARCH, self_care=12, appointment=3)])
    out = tmp_path / "export"
    result = runner.invoke(args=["export-aggregates", "--out", str(out), "--instance", "regio-west"])
    assert result.exit_code == 0, result.output
    assert (out / "flow.parquet").exists() and (out / "headlines.parquet").exists()
    assert "rows" in result.output
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT instance_id, instance_name, route, n, suppressed FROM read_parquet('{out / 'flow.parquet'}') "
            "ORDER BY route"
        ).fetchall()
    assert rows == [
        ("regio-west", "regio-west", "appointment", None, True),
        ("regio-west", "regio-west", "self_care", 12, False),
    ]
    refused = runner.invoke(args=["export-aggregates", "--out", str(out), "--instance", "../x"])
    assert refused.exit_code != 0
