"""Walks and longest paths are remembered per tree object, and only what fits is remembered."""

from __future__ import annotations

import gc

import pytest

from portal.triage import memo
from portal.triage.engine import TriageError, progress, walk
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY
from tests.factories import ADULT_WOMAN


def _tree():
    book = RuleBook(RULES)
    book.refresh(TODAY)
    return book.trees["keelpijn"]


def test_the_same_answers_give_the_same_walk_without_walking_again():
    tree = _tree()
    answers = {"emergency_screen": "none", "general_danger": "none", **ADULT_WOMAN}
    first = walk(tree, answers)
    assert walk(tree, dict(reversed(list(answers.items())))) is first
    assert walk(tree, {**answers, "alarm_signs": "none"}) is not first


def test_answers_that_do_not_fit_are_refused_every_time():
    tree = _tree()
    for _ in range(2):
        with pytest.raises(TriageError):
            walk(tree, {"emergency_screen": "none", "not_a_question": "x"})


def test_a_reloaded_tree_does_not_see_the_old_trees_values():
    old, new = _tree(), _tree()
    answers = {"emergency_screen": "none"}
    assert walk(old, answers) is not walk(new, answers)
    assert walk(old, answers) == walk(new, answers)
    assert memo.per_tree(old) is not memo.per_tree(new)
    assert progress(old, walk(old, answers)) == progress(new, walk(new, answers))


def test_a_trees_values_go_with_it():
    tree = _tree()
    walk(tree, {"emergency_screen": "none"})
    key = id(tree)
    assert key in memo._stores
    del tree
    gc.collect()
    assert key not in memo._stores
