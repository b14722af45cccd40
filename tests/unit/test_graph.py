"""The one place that knows which node follows which: the checks, the engine and the diagram all use it."""

from __future__ import annotations

import pytest

from portal.triage.diagram import levels
from portal.triage.graph import EVERY_ARROW, STEPS, Edge, Via, edges, entries, reachable, successors
from portal.triage.model import EMERGENCY_SCREEN, Answer, Condition, Outcome, Question, Route, Text, TextList, Urgency
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY

BOOK = RuleBook(RULES)
BOOK.refresh(TODAY)
TREES = BOOK.trees

YES = Answer("yes", Text("Ja", "Yes"), next="call_now", red_flag=True)
NO = Answer("no", Text("Nee", "No"), next="self_care")
NOT_SURE = Answer("not_sure", Text("Weet niet", "Not sure"), next="call_now")
NONE = Answer("none", Text("Geen", "None"))


def _question(*answers: Answer, skip_to: str | None = None) -> Question:
    when = Condition(age_bands=frozenset({"adult_18_64"})) if skip_to else None
    return Question("q", Text("Vraag?", "Question?"), answers, when=when, skip_to=skip_to)


def _outcome(raise_to: str | None = None) -> Outcome:
    return Outcome("self_care", Route.SELF_CARE, Urgency.U5, Text("Zelf", "Self"), TextList((), ()), raise_to=raise_to)


def test_a_questions_arrows_are_its_answers_in_order_then_skip_to():
    question = _question(YES, NO, skip_to="elsewhere")
    assert edges(question) == (
        Edge("call_now", Via.ANSWER, YES),
        Edge("self_care", Via.ANSWER, NO),
        Edge("elsewhere", Via.SKIP),
    )


def test_an_answer_without_next_has_no_arrow():
    assert edges(_question(YES, NONE)) == (Edge("call_now", Via.ANSWER, YES),)


def test_an_outcomes_only_arrow_is_its_raise():
    assert edges(_outcome(raise_to="appointment_24h")) == (Edge("appointment_24h", Via.RAISE),)
    assert edges(_outcome()) == ()


def test_successors_name_each_node_once_in_file_order():
    """Two answers to the same node are two arrows in the diagram, but one successor."""
    assert successors(_question(YES, NO, NOT_SURE)) == ("call_now", "self_care")


def test_successors_can_leave_out_the_raise():
    """A patient's steps never include a raise: it is taken once, at the end, so it cannot make a loop."""
    outcome = _outcome(raise_to="appointment_24h")
    assert successors(outcome) == ("appointment_24h",)
    assert successors(outcome, STEPS) == ()
    assert successors(_question(YES, skip_to="elsewhere"), {Via.SKIP}) == ("elsewhere",)
    assert STEPS | {Via.RAISE} == EVERY_ARROW


def test_a_tree_is_entered_at_start_outside_audience_and_its_emergency_signs():
    assert entries(TREES["keelpijn"]) == ("alarm_signs",)
    assert entries(TREES["koorts_volwassene"]) == ("alarm_signs", "urgent_today_child")
    assert entries(TREES["hoofdpijn"]) == ("alarm_signs", "call_112")


def test_reachable_follows_every_arrow_and_skips_unknown_ids():
    tree = TREES["koorts_kind"]
    skipping = next(q for q in tree.questions() if q.skip_to)
    assert skipping.skip_to in reachable(tree, [skipping.id])
    raising = next(o for o in tree.outcomes() if o.raise_to)
    assert reachable(tree, [raising.id]) == {raising.id, raising.raise_to}
    assert reachable(tree, [raising.id], STEPS) == {raising.id}
    assert reachable(tree, ["no_such_node"]) == set()


@pytest.mark.parametrize("tree_id", sorted(TREES))
def test_the_checks_and_the_diagram_follow_the_same_arrows(tree_id):
    """Every node of a tree that passed the linter can be reached, and the diagram draws exactly those."""
    tree = TREES[tree_id]
    found = reachable(tree, entries(tree))
    assert found == set(tree.nodes)
    assert set(levels(tree)) - {EMERGENCY_SCREEN} == found
