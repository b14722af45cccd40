"""Validation rounds in the running portal: readers' runs are marked, kept out of every evaluation
figure, scored by `voordeur validate` and replayed against changed trees (issue 10, section 1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from portal.patient.validation import start_token
from portal.storage import stats
from portal.storage.feedback import record_feedback
from portal.storage.routing import get_run, sweep_abandoned
from portal.storage.validation import close_round, create_round
from portal.triage.engine import walk
from portal.triage.model import Tree
from portal.triage.rules import RuleBook
from portal.validation.destinations import Destination, destination
from tests.conftest import TODAY
from tests.factories import ECONSULT_FORM, econsult_run, request_url, send_econsult, soup
from tests.unit.test_validation import case_path

NOW = datetime.now(UTC)


@pytest.fixture
def trees(rules_dir: Path) -> list[tuple[Tree, dict]]:
    """Trees (from this test's copy of the rules) with answers a reader could give, each to an outcome."""
    book = RuleBook(rules_dir)
    book.refresh(TODAY)
    found = [(tree, path[0]) for tree in book.trees.values() if (path := case_path(tree))]
    assert len(found) >= 2, "the rules need at least two trees with a case that passes a question"
    return found


def join(app, client, db, **kwargs) -> str:
    """Open a new round's start URL in ``client``; the round's id."""
    found = create_round(db, practice="de-linde", label="ronde test", now=NOW, days=14, **kwargs)
    response = client.get(f"/de-linde/validatie/{start_token(found.id, app.config['SECRET_KEY'])}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/de-linde/")
    return found.id


def play(client, tree: Tree, answers: dict) -> str:
    """Answer page after page as a browser without JavaScript; the run id."""
    url = f"/de-linde/triage/{tree.id}"
    for page in walk(tree, answers).pages:
        response = client.post(url, data={q.id: answers[q.id] for q in page.questions})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        url = response.headers["Location"]
    assert url.endswith("/uitkomst")
    return url.split("/")[4]


def banner(response) -> bool:
    return soup(response).select_one("main .validation-banner") is not None


def test_a_readers_run_is_marked_and_left_out_of_every_evaluation_figure(app, db, trees):
    (tree, answers), (other_tree, other_answers) = trees[0], trees[1]
    reader, patient = app.test_client(), app.test_client()
    round_id = join(app, reader, db)
    assert banner(reader.get("/de-linde/"))
    marked = play(reader, tree, answers)
    assert banner(reader.get(f"/de-linde/triage/{tree.id}/{marked}/uitkomst"))
    reader.post(f"/de-linde/triage/{other_tree.id}", data={"emergency_screen": other_answers["emergency_screen"]})
    real = play(patient, tree, answers)
    page = patient.get(f"/de-linde/triage/{tree.id}/{real}/uitkomst")
    assert not banner(page) and not banner(patient.get("/de-linde/"))  # the page cache kept them apart
    assert get_run(db, marked).validation_round == round_id
    assert get_run(db, real).validation_round is None
    for run_id in (marked, real):
        record_feedback(db, page="keelpijn", language="nl", run_id=run_id, helped=True, reason=None, now=NOW)
    sweep_abandoned(db, NOW + timedelta(days=1), timedelta(hours=2))  # the reader's unfinished run

    stats.rebuild(db)
    day = NOW.date()
    assert sum(stats.state_counts(db, ["de-linde"], day, day).values()) == 1
    assert sum(stats.route_counts(db, ["de-linde"], day, day).values()) == 1
    assert sum(row["n"] for row in stats.export_rows(db, ["de-linde"], day, day)) == 1
    assert stats.dropout(db, ["de-linde"], day, day) == []
    assert sum(sum(t["questions"].values()) for t in stats.per_tree(db, ["de-linde"], day, day).values()) == 1
    assert stats.helped(db, day, day) == (1, 1)


@pytest.mark.parametrize("problem", ["forged", "expired", "closed", "other practice"])
def test_a_start_url_that_does_not_work_marks_nothing(app, client, db, trees, problem):
    found = create_round(db, practice="de-linde", label="r", now=NOW - timedelta(days=20), days=14)
    if problem != "expired":
        found = create_round(db, practice="de-linde", label="r", now=NOW, days=14)
    if problem == "closed":
        close_round(db, found.id, NOW)
    token = start_token(found.id, "another-secret" if problem == "forged" else app.config["SECRET_KEY"])
    practice = "het-anker" if problem == "other practice" else "de-linde"
    response = client.get(f"/{practice}/validatie/{token}")
    assert response.status_code == 404
    assert not banner(client.get("/de-linde/"))
    assert get_run(db, play(client, *trees[0])).validation_round is None


def test_runs_started_after_the_round_closes_count_as_real_use(app, client, db, trees):
    round_id = join(app, client, db)
    close_round(db, round_id, NOW)
    assert not banner(client.get("/de-linde/"))
    assert get_run(db, play(client, *trees[0])).validation_round is None


def _vignettes(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "vignettes.yaml"
    path.write_text(yaml.safe_dump(rows))
    return path


def test_the_command_starts_a_round_and_scores_it_from_the_routing_log(app, runner, db, trees, tmp_path):
    result = runner.invoke(args=["validate", "session", "--practice", "de-linde", "--label", "ronde 2026-12-01"])
    assert result.exit_code == 0, result.output
    url = re.search(r"http://127\.0\.0\.1:5000(/de-linde/validatie/\S+)", result.output)
    assert url, result.output
    reader = app.test_client()
    assert reader.get(url.group(1)).status_code == 303
    (tree, answers), (other, other_answers) = trees[0], trees[1]
    first, second = play(reader, tree, answers), play(reader, other, other_answers)
    reached = destination(get_run(db, first).route, get_run(db, first).urgency)
    elsewhere = next(d for d in (Destination.SOCIAL_DOMAIN, Destination.NOW) if d != reached)
    vignettes = _vignettes(
        tmp_path,
        [
            {"id": "v1", "expected_nl": reached.value},
            {"id": "v2", "expected_nl": "social_domain", "acceptable_nl": []},
            {"id": "v3", "expected_nl": elsewhere.value},
        ],
    )
    results = tmp_path / "results.yaml"
    results.write_text(f"v1: {first}\nv2: {second}\nv3: no-such-run\n")
    out = tmp_path / "report.md"

    result = runner.invoke(args=["validate", str(vignettes), str(results), "--out", str(out)])
    assert result.exit_code == 1  # one result could not be scored …
    assert "Error: vignette v3: run 'no-such-run' is not in the routing log" in result.output
    report = out.read_text()  # … and the report is written all the same, saying so
    assert report.startswith("# Validation report: ronde 2026-12-01\n")
    assert "- Scored: 2 vignettes; not scored: 1 (see Problems)." in report
    assert f"| {tree.id} | {tree.version} | 1 |" in report
    assert "- Error: vignette v3: run 'no-such-run' is not in the routing log" in report

    results.write_text(f"v1: {first}\n")
    result = runner.invoke(args=["validate", str(vignettes), str(results)])
    assert result.exit_code == 0, result.output
    assert "- Appropriate (expected or acceptable): 1 of 1 (100 %)" in result.output
    assert "- Not played (no entry in the results): v2, v3" in result.output


def test_replay_lists_the_vignettes_whose_path_changed(app, runner, db, rules_dir, trees, tmp_path):
    reader = app.test_client()
    join(app, reader, db)
    (tree, answers), (other, other_answers) = trees[0], trees[1]
    changed, unchanged = play(reader, tree, answers), play(reader, other, other_answers)
    vignettes = _vignettes(
        tmp_path,
        [
            {"id": "v1", "expected_nl": destination(get_run(db, changed).route, get_run(db, changed).urgency).value},
            {"id": "v2", "expected_nl": "social_domain", "acceptable_nl": [d.value for d in list(Destination)[:4]]},
        ],
    )
    results = tmp_path / "results.yaml"
    results.write_text(f"v1: {changed}\nv2: {unchanged}\n")
    assert runner.invoke(args=["validate", str(vignettes), str(results)]).exit_code == 0  # records the paths

    question = next(page.id for page in walk(tree, answers).pages if page.id in tree.nodes)
    path = rules_dir / tree.path.name
    data = yaml.safe_load(path.read_text())
    data["version"] += 1
    data["nodes"][question]["text"]["nl"] += " (of iets anders?)"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    result = runner.invoke(args=["validate", "--replay", str(vignettes), str(results)])
    assert result.exit_code == 0, result.output
    rows = {line.split(" | ")[0].strip("| "): line for line in result.output.splitlines() if line.startswith("| v")}
    assert "needs a new blind play" in rows["v1"]
    assert f"page '{question}' changed since the reader saw it" in rows["v1"]
    assert f"{tree.id} v{tree.version} → v{tree.version + 1}" in rows["v1"]
    assert "same outcome" in rows["v2"]
    everything = runner.invoke(args=["validate", "--replay"])  # every validation run, by run id
    assert "2 runs: 1 same outcome, 0 outcome moved, 1 need a new blind play." in everything.output


def test_a_reader_in_a_validation_round_cannot_send_anything_to_the_practice(app, db):
    """A reader plays a made-up story: a request from it would reach real staff as if a patient wrote."""
    reader = app.test_client()
    join(app, reader, db)
    patient = econsult_run(reader)
    form_url = request_url(patient)
    shown = reader.get(form_url)
    assert shown.status_code == 200 and soup(shown).select_one("h1#nothing-sent") is not None
    assert soup(shown).select_one("form textarea") is None
    sent = reader.post(form_url, data={**ECONSULT_FORM, "idempotency_key": f"key-{patient.run_id}"})
    assert sent.status_code == 200 and soup(sent).select_one("h1#nothing-sent") is not None
    assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 0
    send_econsult(app.test_client())  # a patient's browser still sends
    assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1
