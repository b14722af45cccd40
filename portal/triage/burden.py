"""Patient burden and safety figures, computed over every case of every tree.

A patient pays for every screen: each one is a moment to give up or to tap the
wrong answer. The issue that asked for 25+ trees set two targets, and this module
measures them so a new tree cannot quietly break them:

* the median number of question screens from choosing a complaint to an outcome
  is at most 6;
* an emergency (112) outcome is reached in at most 2 screens.

Cases are walked as a first-time patient: the profile page (who, age, sex) is
shown, as it is to anyone who has not answered it earlier in the session.

``python -m portal.triage.burden`` prints the Markdown table kept in
docs/performance.md; a test fails when that copy is out of date.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .cases import case_answers
from .engine import AnswerNotOnPath, walk
from .model import PROFILE_QUESTIONS, Case, Outcome, Route, Tree, Urgency

TARGET_MEDIAN_SCREENS = 6
TARGET_EMERGENCY_SCREENS = 2


@dataclass(frozen=True)
class CaseBurden:
    tree_id: str
    case: str
    outcome: Outcome
    screens: int  # pages the patient answered before seeing the outcome
    answers: int  # single answers given (the profile page holds three)


def case_burden(tree: Tree, case: Case) -> CaseBurden:
    """Screens and answers of one case for a patient whose profile is not known yet."""
    profile = {q: v for q in PROFILE_QUESTIONS if (v := case.profile.value(q))}
    answers = case_answers(tree, case.answers)
    try:
        result = walk(tree, {**answers, **profile})
    except AnswerNotOnPath:
        # The first two screens ended the triage before the profile page was shown.
        result = walk(tree, answers)
    assert isinstance(result.step, Outcome), f"{tree.id}: case '{case.name}' does not reach an outcome"
    return CaseBurden(tree.id, case.name, result.step, len(result.pages), len(result.asked))


def all_burdens(trees: Iterable[Tree]) -> list[CaseBurden]:
    return [case_burden(tree, case) for tree in trees for case in tree.cases]


@dataclass(frozen=True)
class Summary:
    cases: int
    median_screens: float
    max_screens: int
    median_answers: float
    max_answers: int
    max_emergency_screens: int
    max_call_now_screens: int

    @property
    def meets_targets(self) -> bool:
        return self.median_screens <= TARGET_MEDIAN_SCREENS and self.max_emergency_screens <= TARGET_EMERGENCY_SCREENS


def summarise(burdens: list[CaseBurden]) -> Summary:
    screens = [b.screens for b in burdens]
    answers = [b.answers for b in burdens]
    emergency = [b.screens for b in burdens if b.outcome.route is Route.EMERGENCY]
    call_now = [b.screens for b in burdens if b.outcome.urgency is Urgency.U2]
    return Summary(
        cases=len(burdens),
        median_screens=statistics.median(screens),
        max_screens=max(screens),
        median_answers=statistics.median(answers),
        max_answers=max(answers),
        max_emergency_screens=max(emergency, default=0),
        max_call_now_screens=max(call_now, default=0),
    )


def markdown(trees: list[Tree]) -> str:
    """The report kept in docs/performance.md: totals first, then one row per tree."""
    burdens = all_burdens(trees)
    total = summarise(burdens)
    lines = [
        f"Over {total.cases} cases in {len(trees)} trees, walked as a first-time patient:",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| median question screens, complaint → outcome | {total.median_screens:g} | ≤ {TARGET_MEDIAN_SCREENS} |",
        f"| maximum question screens | {total.max_screens} | |",
        f"| median single answers (the profile screen holds 3) | {total.median_answers:g} | |",
        f"| maximum single answers | {total.max_answers} | |",
        f"| maximum screens to a 112 outcome | {total.max_emergency_screens} | ≤ {TARGET_EMERGENCY_SCREENS} |",
        f"| maximum screens to a call-now (U2) outcome | {total.max_call_now_screens} | |",
        "",
        "| tree | cases | median screens | max screens | max screens to 112 |",
        "|---|---|---|---|---|",
    ]
    for tree in sorted(trees, key=lambda t: t.id):
        own = [b for b in burdens if b.tree_id == tree.id]
        summary = summarise(own)
        emergency = summary.max_emergency_screens or "–"
        lines.append(
            f"| {tree.id} | {summary.cases} | {summary.median_screens:g} | {summary.max_screens} | {emergency} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from .rules import RuleBook

    args = sys.argv[1:] if argv is None else argv
    book = RuleBook(Path(args[0]) if args else Path("triage_rules"))
    book.refresh(date.today())
    sys.stdout.write(markdown(list(book.trees.values())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
