"""The validation harness's core: destinations, scoring, the report and replay (issue 10, section 1)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from portal.triage.engine import walk
from portal.triage.model import Outcome, Tree
from portal.triage.rules import RuleBook
from portal.validation.destinations import Destination, destination
from portal.validation.replay import MOVED, NEW_PLAY, SAME, Recorded, path_prints, replay
from portal.validation.report import markdown
from portal.validation.scoring import PlayedRun, score
from portal.validation.vignettes import ValidationFileError, Vignette, parse_results, parse_vignettes
from tests.conftest import RULES, TODAY

NOW, TODAY_, APPT, SELF, SOCIAL = (
    Destination.NOW,
    Destination.TODAY,
    Destination.APPOINTMENT_OR_ECONSULT,
    Destination.SELF_CARE,
    Destination.SOCIAL_DOMAIN,
)


def test_the_core_imports_no_flask_and_no_database():
    code = (
        "import sys, portal.validation.scoring, portal.validation.report, portal.validation.replay, "
        "portal.validation.vignettes; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlite_utils', 'sqlite3')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(RULES).parent)
    assert result.returncode == 0, result.stdout + result.stderr


# --- destinations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "urgency", "expected"),
    [
        ("emergency", "U1", NOW),
        ("urgent", "U2", NOW),
        ("urgent", "U3", TODAY_),
        ("appointment", "U3", TODAY_),  # an appointment today is a same-day contact
        ("appointment", "U4", APPT),
        ("appointment", "U5", APPT),
        ("econsult", "U4", APPT),
        ("econsult", "U5", APPT),
        ("self_care", "U5", SELF),
        ("social_domain", "U5", SOCIAL),
        ("urgent", "U4", APPT),  # the checker forbids it; it still means contact with the practice
        ("self_care", "U3", TODAY_),  # urgency first: the clock the patient was given
        ("a_future_route", "U2", NOW),  # a route the table does not know is mapped by urgency
        ("a_future_route", "U5", APPT),
        (None, None, Destination.NOT_FINISHED),
        ("self_care", None, Destination.NOT_FINISHED),
    ],
)
def test_route_and_urgency_map_to_the_vignette_destinations(route, urgency, expected):
    assert destination(route, urgency) is expected


def test_an_urgency_that_is_not_u1_to_u5_is_refused_not_guessed():
    with pytest.raises(ValueError, match="'U9' is not an urgency"):
        destination("appointment", "U9")


# --- the files -----------------------------------------------------------------------------


def test_every_problem_in_a_vignette_file_names_its_vignette():
    entries = [
        {"id": "d001", "expected_nl": "self_care", "acceptable_nl": ["huisarts_today"]},
        {"id": "d002", "expected_nl": "ambulance"},
        {"id": "d003", "expected_nl": "self_care", "acceptable_nl": ["later"]},
        {"id": "d001", "expected_nl": "self_care"},
        {"expected_nl": "self_care"},
    ]
    with pytest.raises(ValidationFileError) as caught:
        parse_vignettes(entries, "dev.yaml")
    assert caught.value.problems == [
        "vignette d002: expected_nl 'ambulance' is not a destination (112_or_huisartsenpost_now, huisarts_today, "
        "huisarts_appointment_or_econsult, self_care, social_domain)",
        "vignette d003: acceptable_nl 'later' is not a destination (112_or_huisartsenpost_now, huisarts_today, "
        "huisarts_appointment_or_econsult, self_care, social_domain)",
        "vignette d001: the id is used twice",
        "entry 5 has no id",
    ]


def test_the_development_set_reads_without_problems():
    # The vignettes live beside the checkout (../shared), not in it: a clone elsewhere has none.
    dev = Path(RULES).parent.parent / "shared/vignettes/dev.yaml"
    if not dev.is_file():
        pytest.skip(f"no development vignettes at {dev}")
    vignettes = parse_vignettes(__import__("yaml").safe_load(dev.read_text()))
    assert len(vignettes) == 110
    assert sum(v.expected is NOW for v in vignettes) == 28  # the README's baseline counts 28 emergencies


def test_results_keep_an_empty_run_id_as_missing():
    assert parse_results({"d001": "abc", "d002": None, "d003": ""}) == {"d001": "abc", "d002": None, "d003": None}
    with pytest.raises(ValidationFileError):
        parse_results(["d001", "abc"])


# --- scoring ---------------------------------------------------------------------------------


def _run(run_id: str, route: str | None, urgency: str | None, tree: str = "keelpijn", version: int = 1) -> PlayedRun:
    return PlayedRun(run_id, tree, version, 1, route, urgency, outcome_node="x", validation_round="r1")


def _round():
    vignettes = [
        Vignette("v1", NOW),  # caught: reached now
        Vignette("v2", NOW, frozenset({TODAY_})),  # caught through acceptable_nl
        Vignette("v3", NOW),  # missed: ended at self-care (under, and a doctor was needed)
        Vignette("v4", SELF, frozenset({APPT})),  # appropriate through acceptable_nl
        Vignette("v5", SELF),  # over-triage
        Vignette("v6", SOCIAL),  # sideways: self-care instead of the social domain
        Vignette("v7", TODAY_),  # not finished
        Vignette("v8", APPT),  # unknown run id
        Vignette("v9", APPT),  # no run id
        Vignette("v10", APPT),  # not in the results: not played
    ]
    results = {f"v{i}": f"r{i}" for i in range(1, 9)} | {"v9": None, "v99": "r1"}
    runs = {
        "r1": _run("r1", "emergency", "U1"),
        "r2": _run("r2", "appointment", "U3", version=2),
        "r3": _run("r3", "self_care", "U5", tree="hoesten"),
        "r4": _run("r4", "econsult", "U5", tree="hoesten"),
        "r5": _run("r5", "appointment", "U4", tree="hoesten"),
        "r6": _run("r6", "self_care", "U5", tree="zorgen"),
        "r7": replace(_run("r7", None, None, tree="zorgen"), validation_round=None),
    }
    return score(vignettes, results, runs)


def test_a_round_is_scored_against_expected_and_acceptable_destinations():
    total = _round().total
    assert (total.n, total.appropriate, total.exact) == (7, 3, 1)
    assert (total.under, total.over, total.sideways, total.not_finished) == (1, 1, 1, 1)
    assert (total.emergencies, total.emergencies_now, total.emergencies_caught) == (3, 1, 2)
    assert total.doctor_needed_got_none == 1


def test_results_that_cannot_be_scored_name_their_vignette():
    result = _round()
    assert result.errors == (
        "vignette v99: in the results, but not in the vignette file",
        "vignette v8: run 'r8' is not in the routing log",
        "vignette v9: no run id recorded",
    )
    assert result.not_played == ("v10",)
    assert result.warnings == (
        "vignette v7: run 'r7' was not played in a validation session (it counts in the evaluation figures)",
    )


def test_the_round_is_broken_down_per_tree_and_per_tree_version():
    result = _round()
    assert {tree: (t.n, t.appropriate) for tree, t in result.per_tree.items()} == {
        "hoesten": (3, 1),
        "keelpijn": (2, 2),
        "zorgen": (2, 0),
    }
    assert {key: t.n for key, t in result.per_version.items()} == {
        ("hoesten", 1): 3,
        ("keelpijn", 1): 1,
        ("keelpijn", 2): 1,
        ("zorgen", 1): 2,
    }
    assert result.confusion[(NOW, NOW)] == 1
    assert result.confusion[(NOW, SELF)] == 1
    assert result.confusion[(TODAY_, Destination.NOT_FINISHED)] == 1


def test_the_targets_say_which_are_not_met():
    targets = {t.name: (t.met, t.value) for t in _round().targets()}
    assert targets == {
        "appropriate ≥ 90 %": (False, "3/7"),
        "every 112_or_huisartsenpost_now case caught": (False, "2/3"),
        "no case that needs a doctor today or sooner ends at self-care": (False, "1"),
        "over-triage ≤ 15 %": (True, "1/7"),
    }


def test_the_report_shows_the_figures_the_confusion_matrix_and_the_problems():
    text = markdown(_round(), title="ronde test", made_on="2026-12-01", vignettes_file="v.yaml", results_file="r.yaml")
    assert text.startswith("# Validation report: ronde test\n")
    assert "- Appropriate (expected or acceptable): 3 of 7 (43 %); on `expected_nl` alone: 1 (14 %)." in text
    assert "- Emergencies (`112_or_huisartsenpost_now`): 1 of 3 reached U1/U2; 2 of 3 with acceptable" in text
    assert "| now | 1 | 1 | 0 | 1 | 0 | 0 | 3 |" in text  # the row of expected 112_or_huisartsenpost_now
    assert "| keelpijn | 2 | 1 | 1 (100 %) |" in text  # per tree version
    assert "| v3 | hoesten v1 | x | self_care | 112_or_huisartsenpost_now | – | under |" in text
    assert "- Error: vignette v8: run 'r8' is not in the routing log" in text
    assert "- Not played (no entry in the results): v10" in text
    assert "hoesten v1, keelpijn v1/2, zorgen v1" in text


# --- replay ----------------------------------------------------------------------------------


def _trees() -> dict[str, Tree]:
    book = RuleBook(RULES)
    book.refresh(TODAY)
    return book.trees


def case_path(tree: Tree) -> tuple[dict[str, str], Outcome] | None:
    """Answers a reader could have given: a case of the tree with its profile as answers, passing a question."""
    for case in tree.cases:
        answers = {k: v for k, v in vars(case.profile).items() if v} | dict(case.answers)
        try:
            result = walk(tree, answers)
        except ValueError:
            continue
        if isinstance(result.step, Outcome) and any(p.kind == "question" for p in result.pages):
            return answers, result.step
    return None


@pytest.fixture(scope="module")
def played() -> tuple[Tree, Recorded]:
    for tree in _trees().values():
        found = case_path(tree)
        if found:
            answers, outcome = found
            pages = path_prints(walk(tree, answers))
            return tree, Recorded(
                "run1", tree.id, tree.version, tree.prelude.version, answers, outcome.route.value,
                outcome.urgency.value, outcome.id, pages,
            )  # fmt: skip
    pytest.fail("no tree has a case that passes a question")


def test_an_unchanged_path_is_compared_automatically(played):
    tree, recorded = played
    assert replay(tree, recorded).status == SAME
    moved = replace(recorded, route="self_care", urgency="U5", outcome_node="elsewhere")
    outcome = replay(tree, moved)
    assert (outcome.status, outcome.reason) == (MOVED, "was elsewhere (self_care U5)")
    assert outcome.outcome_node == recorded.outcome_node


def test_a_page_the_reader_saw_that_changed_needs_a_new_blind_play(played):
    tree, recorded = played
    question_page = next(i for i, (page_id, _) in enumerate(recorded.pages) if page_id in tree.nodes)
    pages = list(recorded.pages)
    pages[question_page] = (pages[question_page][0], "another-hash")
    outcome = replay(tree, replace(recorded, pages=tuple(pages)))
    assert outcome.status == NEW_PLAY
    assert outcome.reason == f"page '{pages[question_page][0]}' changed since the reader saw it"


def test_answers_that_no_longer_fit_or_stop_early_need_a_new_blind_play(played):
    tree, recorded = played
    unfit = {**recorded.answers, "emergency_screen": "no-such-answer"}
    assert replay(tree, replace(recorded, answers=unfit)).status == NEW_PLAY
    pages = walk(tree, recorded.answers).pages
    last = max(i for i, page in enumerate(pages) if page.id in tree.nodes)
    last_question = pages[last].id
    dropped = {q.id for page in pages[last:] for q in page.questions}
    shorter = {k: v for k, v in recorded.answers.items() if k not in dropped}
    outcome = replay(tree, replace(recorded, answers=shorter))
    assert (outcome.status, outcome.reason) == (
        NEW_PLAY,
        f"the path now asks '{last_question}', which the reader never saw",
    )
    assert replay(None, recorded).reason == f"the tree '{tree.id}' no longer exists"


def test_without_a_record_of_the_pages_only_the_same_versions_count_as_unchanged(played):
    tree, recorded = played
    assert replay(tree, replace(recorded, pages=None)).status == SAME
    older = replace(recorded, pages=None, tree_version=tree.version - 1)
    assert replay(tree, older).status == NEW_PLAY
