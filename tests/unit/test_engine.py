"""The engine: order of pages, gating, raising urgency, strict answers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.triage.engine import (
    AnswerNotOnPath,
    Page,
    UnknownAnswer,
    next_step,
    progress,
    walk,
    with_answers,
)
from portal.triage.model import Outcome, Profile, Route, Tree, Urgency
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY
from tests.unit.test_safe_by_construction import TREE as FIXTURE_TREE

ADULT = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}


def _load_trees() -> dict[str, Tree]:
    book = RuleBook(RULES)
    book.refresh(TODAY)
    assert not book.refused()
    return book.trees


TREES = _load_trees()


@pytest.fixture(scope="module")
def trees() -> dict[str, Tree]:
    return TREES


@pytest.fixture(scope="module")
def fixture(tmp_path_factory) -> Tree:
    """The small tree of test_safe_by_construction: engine behaviour that does not move with the demo trees."""
    directory = tmp_path_factory.mktemp("fixture")
    shutil.copy(RULES / "_prelude.yaml", directory / "_prelude.yaml")
    (directory / "proefklacht.yaml").write_text(FIXTURE_TREE, "utf-8")
    book = RuleBook(directory)
    book.refresh(TODAY)
    assert not book.refused(), book.refused()
    return book.trees["proefklacht"]


def test_the_core_imports_no_flask_and_no_database():
    code = (
        "import sys, portal.triage.engine, portal.triage.checks, portal.triage.rules, "
        "portal.triage.search, portal.triage.cases; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlite_utils', 'sqlite3')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(RULES).parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_emergency_screen_comes_first(trees):
    for tree in trees.values():
        step = next_step(tree, {})
        assert isinstance(step, Page) and step.kind == "emergency"


def test_a_red_flag_on_the_emergency_screen_ends_at_112_at_once(trees):
    step = next_step(trees["keelpijn"], {"emergency_screen": "chest_pain"})
    assert isinstance(step, Outcome)
    assert (step.route, step.urgency) == (Route.EMERGENCY, Urgency.U1)


def test_a_complaints_own_112_sign_is_on_the_first_screen_and_ends_there(trees):
    tree = trees["hoofdpijn"]
    first = next_step(tree, {})
    assert isinstance(first, Page) and first.kind == "emergency"
    values = [a.value for a in first.questions[0].answers]
    # first, before the shared 112 signs (a reader skimmed past it when it came after them)
    assert values.index("thunderclap") < values.index("not_breathing")
    assert values[-2:] == ["not_sure", "none"]
    result = walk(tree, {"emergency_screen": "thunderclap"})
    assert isinstance(result.step, Outcome) and result.step.urgency is Urgency.U1
    assert [p.kind for p in result.pages] == ["emergency"]


def test_another_complaints_112_sign_is_not_offered(trees):
    with pytest.raises(UnknownAnswer):
        walk(trees["keelpijn"], {"emergency_screen": "thunderclap"})


def test_the_profile_is_asked_once_after_the_first_two_screens(trees):
    step = next_step(trees["hoesten"], {"emergency_screen": "none", "general_danger": "none"})
    assert isinstance(step, Page) and step.kind == "profile"
    assert [q.id for q in step.questions] == ["who_for", "age_band", "sex"]


def test_a_profile_from_the_context_is_not_asked_again(fixture):
    step = next_step(fixture, {"emergency_screen": "none", "general_danger": "none"}, Profile(**ADULT))
    assert isinstance(step, Page) and step.id == "alarm_signs"


def test_a_question_for_children_is_skipped_for_adults(fixture):
    answers = {"emergency_screen": "none", "general_danger": "none", **ADULT, "alarm_signs": "none"}
    answers["duration"] = "under_3_days"
    assert next_step(fixture, answers).id == "getting_worse"
    child = {**answers, "age_band": "child_1_4"}
    assert next_step(fixture, child).id == "child_drinking"


def test_an_answer_not_offered_to_this_profile_is_rejected(fixture):
    answers = {
        "emergency_screen": "none",
        "general_danger": "none",
        "who_for": "self",
        "age_band": "adult_18_64",
        "sex": "male",
        "alarm_signs": "none",
        "duration": "over_3_days",
        "risk_group": ["pregnant"],
        "second_contact": "no",
    }
    with pytest.raises(UnknownAnswer, match="pregnant"):
        walk(fixture, answers)


def test_an_unknown_answer_is_rejected_with_a_clear_error(trees):
    with pytest.raises(UnknownAnswer, match="'maybe' is not an answer to question 'emergency_screen'"):
        walk(trees["keelpijn"], {"emergency_screen": "maybe"})


def test_an_answer_to_a_question_off_the_path_is_rejected_not_ignored(trees):
    answers = {
        "emergency_screen": "none",
        "general_danger": "none",
        **ADULT,
        "alarm_signs": ["drooling"],
        "duration": "under_1_week",
    }
    with pytest.raises(AnswerNotOnPath, match="duration"):
        walk(trees["keelpijn"], answers)


def test_a_baby_under_three_months_raises_self_care_without_asking_risk(fixture):
    answers = {
        "emergency_screen": "none",
        "general_danger": "none",
        "who_for": "child",
        "age_band": "baby_0_3m",
        "sex": "male",
        "alarm_signs": "none",
        "duration": "under_3_days",
        "child_drinking": "no",
        "getting_worse": "no",
    }
    result = walk(fixture, answers)
    assert result.raised and result.step.route is Route.APPOINTMENT
    assert "risk_group" not in result.asked


def test_changing_an_earlier_answer_drops_the_answers_after_it(fixture):
    answers = {"emergency_screen": "none", "general_danger": "none", **ADULT, "alarm_signs": "none"}
    answers["duration"] = "under_3_days"
    answers["getting_worse"] = "no"
    result = walk(fixture, answers)
    question_page = next(p for p in result.pages if p.id == "duration")
    changed = with_answers(answers, question_page, {"duration": "over_3_days"})
    assert "getting_worse" not in changed
    assert walk(fixture, changed).step.id == "risk"
    same = with_answers(answers, question_page, {"duration": "under_3_days"})
    assert same == answers


def test_progress_never_exceeds_its_estimate(trees):
    tree = trees["keelpijn"]
    result = walk(tree, {"emergency_screen": "none", "general_danger": "none", **ADULT})
    done, total = progress(tree, result)
    assert 0 < done < total


# --- properties over every tree ---------------------------------------------------


def _random_walk(tree: Tree, data, profile_values: dict[str, str] | None = None) -> tuple[dict, Outcome]:
    answers: dict[str, str] = {}
    for _ in range(100):
        result = walk(tree, answers)
        if isinstance(result.step, Outcome):
            return answers, result.step
        for question in result.step.questions:
            if profile_values and question.id in profile_values:
                answers[question.id] = profile_values[question.id]
                continue
            options = [a.value for a in question.answers_for(result.profile)]
            answers[question.id] = data.draw(st.sampled_from(options), label=question.id)
    raise AssertionError(f"{tree.id}: no outcome after 100 pages: {answers}")


TREE_IDS = ["keelpijn", "hoesten", "buikpijn", "hoofdpijn", "zorgen"]


@pytest.mark.parametrize("tree_id", TREE_IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_path_ends_in_an_outcome(tree_id, data):
    _random_walk(TREES[tree_id], data)


@pytest.mark.parametrize("tree_id", TREE_IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_choosing_a_red_flag_never_lowers_the_urgency(tree_id, data):
    tree = TREES[tree_id]
    answers, outcome = _random_walk(tree, data)
    result = walk(tree, answers)
    for page in result.pages:
        for question in page.questions:
            flags = [a for a in question.answers_for(result.profile) if a.red_flag]
            for flag in flags:
                kept = with_answers(answers, page, {question.id: flag.value})
                flagged = _finish(tree, kept, data)
                assert flagged.urgency.rank <= max(outcome.urgency.rank, Urgency.U3.rank), (
                    f"{question.id}={flag.value} gave {flagged.id}"
                )
                assert flagged.route in (Route.EMERGENCY, Route.URGENT, Route.APPOINTMENT)


@pytest.mark.parametrize("tree_id", TREE_IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data(), risk=st.sampled_from(["low_immunity", "chronic_disease", "dont_know"]))
def test_a_risk_group_never_lowers_the_urgency(tree_id, data, risk):
    tree = TREES[tree_id]
    answers, _outcome = _random_walk(tree, data)
    if "risk_group" not in answers:
        return  # this path's outcome cannot be raised, so the risk page is not asked
    baseline = walk(tree, {**answers, "risk_group": "none", "second_contact": "no"}).step
    raised = walk(tree, {**answers, "risk_group": risk}).step
    assert raised.urgency.rank < baseline.urgency.rank, f"{risk} did not raise {baseline.id}"


def _finish(tree: Tree, answers: dict, data) -> Outcome:
    for _ in range(100):
        step = walk(tree, answers).step
        if isinstance(step, Outcome):
            return step
        for question in step.questions:
            options = [a.value for a in question.answers_for(walk(tree, answers).profile)]
            answers[question.id] = data.draw(st.sampled_from(options))
    raise AssertionError("no outcome")
