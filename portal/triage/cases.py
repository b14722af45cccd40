"""Run the scenarios a tree carries: the test suite and the linter both use this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .engine import Page, TriageError, walk
from .model import (
    EMERGENCY_SCREEN,
    GENERAL_DANGER,
    NONE,
    AnswerValue,
    Case,
    Outcome,
    Prelude,
    Route,
    Text,
    TextList,
    Tree,
    Urgency,
)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    outcome: Outcome | None
    problem: str | None  # None when the case passes

    @property
    def passed(self) -> bool:
        return self.problem is None


def case_answers(tree: Tree, answers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """A case's answers, with the general danger screen answered "none" when the case does not name it.

    The danger screen is the same for every tree; a case about a complaint says
    what sets it apart, and "none of the general danger signs" is what most
    cases mean. A case that stops on the emergency screen never reaches it.
    """
    full = dict(answers)
    screen = tree.emergency_screen.answer(str(full.get(EMERGENCY_SCREEN, "")))
    if tree.prelude.general_danger is not None and screen is not None and not screen.next:
        full.setdefault(GENERAL_DANGER, NONE)
    return full


def run_case(tree: Tree, case: Case) -> CaseResult:
    """Walk the case's answers and compare the outcome with what the case expects."""
    try:
        result = walk(tree, case_answers(tree, case.answers), case.profile)
    except TriageError as exc:
        return CaseResult(case, None, str(exc))
    step = result.step
    if isinstance(step, Page):
        missing = ", ".join(q.id for q in step.questions if q.id not in case.answers)
        return CaseResult(case, None, f"the answers stop before an outcome: '{missing}' is asked next")
    found = (step.id, step.route, step.urgency)
    wanted = (case.expect_outcome, case.expect_route, case.expect_urgency)
    if found != wanted:
        return CaseResult(
            case,
            step,
            f"expected {wanted[0]} ({wanted[1]}, {wanted[2]}) "
            f"but the answers lead to {found[0]} ({found[1]}, {found[2]})",
        )
    return CaseResult(case, step, None)


def run_cases(tree: Tree) -> list[CaseResult]:
    return [run_case(tree, case) for case in tree.cases]


def prelude_probe_tree(prelude: Prelude) -> Tree:
    """A one-outcome tree around the prelude, so the prelude's own cases can run."""
    done = Outcome(
        id="prelude_passed",
        route=Route.SELF_CARE,
        urgency=Urgency.U5,
        title=Text("Geen alarmsignalen", "No alarm signs"),
        advice=TextList(("-",), ("-",)),
        safety_net=TextList(("-",), ("-",)),
    )
    return Tree(
        id=prelude.id,
        version=prelude.version,
        title=Text("Prelude", "Prelude"),
        keywords={"nl": (), "en": ()},
        sources=("-",),
        status="",
        reviewer="",
        reviewed_on=date.min,
        review_due=prelude.review_due,
        start=done.id,
        nodes={done.id: done},
        cases=prelude.cases,
        prelude=prelude,
        path=Path(prelude.path),
    )


def covered_outcomes(results: list[CaseResult]) -> set[str]:
    return {r.outcome.id for r in results if r.passed and r.outcome is not None}
