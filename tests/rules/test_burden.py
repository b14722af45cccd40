"""Patient burden and safety figures over every case: the targets of the content issue."""

from __future__ import annotations

import re

from portal.triage.burden import (
    TARGET_EMERGENCY_SCREENS,
    TARGET_MEDIAN_SCREENS,
    all_burdens,
    case_burden,
    markdown,
    summarise,
)
from portal.triage.model import Route
from portal.triage.rules import RuleBook
from tests.conftest import REPO, RULES, TODAY

BOOK = RuleBook(RULES)
BOOK.refresh(TODAY)
TREES = list(BOOK.trees.values())


def test_the_median_patient_answers_at_most_six_screens():
    summary = summarise(all_burdens(TREES))
    assert summary.median_screens <= TARGET_MEDIAN_SCREENS, summary


def test_every_112_outcome_is_reached_within_two_screens():
    burdens = [b for b in all_burdens(TREES) if b.outcome.route is Route.EMERGENCY]
    assert burdens, "the demo content should have 112 cases"
    assert max(b.screens for b in burdens) <= TARGET_EMERGENCY_SCREENS


def test_a_first_time_patient_sees_the_profile_screen():
    tree = BOOK.trees["keelpijn"]
    case = next(c for c in tree.cases if c.expect_outcome == "self_care" and c.answers.get("risk_group") == "none")
    burden = case_burden(tree, case)
    # emergency screen, profile screen, 4 questions, risk screen
    assert burden.screens == 7
    assert burden.answers == 1 + 3 + 4 + 2


def test_the_figures_in_the_docs_are_current():
    text = (REPO / "docs" / "performance.md").read_text("utf-8")
    kept = re.search(r"<!-- burden:start -->\n(.*?)<!-- burden:end -->", text, re.S).group(1)
    assert kept == markdown(TREES), "regenerate with: python -m portal.triage.burden"
