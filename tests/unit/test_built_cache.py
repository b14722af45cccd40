"""Each text is built and checked once per process, and what it gives stays the file's own.

Every app, the linter and the portal load the same trees; ``portal.triage.rules``
remembers what a text gave. These tests make sure that memory never shows a file
something other than what loading it from scratch would show.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from portal.triage import memo
from portal.triage.checks import check_tree
from portal.triage.lexicon import load_lexicon
from portal.triage.loader import build_tree, read_file
from portal.triage.rules import RuleBook, built_cache_info, clear_built_cache, load_prelude, load_tree
from tests.conftest import RULES, TODAY


def _copy(target: Path) -> Path:
    shutil.copytree(RULES, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def _from_scratch(path: Path, today: date) -> tuple[object, list]:
    """What loading gives without any memory of earlier loads."""
    clear_built_cache()
    return load_tree(path, load_prelude(path.parent / "_prelude.yaml", today)[0], today)


@pytest.fixture
def two_copies(tmp_path: Path) -> tuple[Path, Path]:
    return _copy(tmp_path / "one"), _copy(tmp_path / "two")


def test_a_second_copy_of_the_same_files_is_not_built_again(two_copies):
    one, two = two_copies
    clear_built_cache()
    first = RuleBook(one)
    first.refresh(TODAY)
    misses = built_cache_info().misses
    second = RuleBook(two)
    second.refresh(TODAY)
    assert built_cache_info().misses == misses
    assert second.trees.keys() == first.trees.keys()
    for tree_id, tree in second.trees.items():
        assert tree.path == two / first.trees[tree_id].path.name
        assert tree.prelude is second.prelude
        assert tree == replace(first.trees[tree_id], path=tree.path, prelude=tree.prelude)
    assert second.prelude.path == two / "_prelude.yaml"


def test_every_load_is_a_new_tree_object_so_values_remembered_per_tree_stay_its_own(two_copies):
    one, _two = two_copies
    prelude, _ = load_prelude(one / "_prelude.yaml", TODAY)
    first, _ = load_tree(one / "keelpijn.yaml", prelude, TODAY)
    again, _ = load_tree(one / "keelpijn.yaml", prelude, TODAY)
    assert first is not again
    assert memo.per_tree(first) is not memo.per_tree(again)


def test_problems_of_a_remembered_text_name_the_file_loaded_now(two_copies):
    one, two = two_copies
    for copy in (one, two):
        _edit(copy / "keelpijn.yaml", "review_due: 2027-11-01", "review_due: 2026-01-01")
    _from_scratch(one / "keelpijn.yaml", TODAY)
    prelude, _ = load_prelude(two / "_prelude.yaml", TODAY)
    tree, problems = load_tree(two / "keelpijn.yaml", prelude, TODAY)
    assert tree is not None and problems, "an overdue review is a warning; the tree still loads"
    assert {p.path for p in problems} == {two / "keelpijn.yaml"}
    assert problems == _from_scratch(two / "keelpijn.yaml", TODAY)[1]


def test_a_changed_file_is_built_and_checked_again(two_copies):
    one, _two = two_copies
    path = one / "keelpijn.yaml"
    prelude, _ = load_prelude(one / "_prelude.yaml", TODAY)
    before, problems = load_tree(path, prelude, TODAY)
    assert before is not None and not [p for p in problems if p.is_error]
    _edit(path, "next: self_care", "next: nowhere")
    after, problems = load_tree(path, prelude, TODAY)
    assert after is None
    assert [p for p in problems if p.is_error] == [p for p in _from_scratch(path, TODAY)[1] if p.is_error]
    assert any("nowhere" in p.message for p in problems)


def test_the_same_text_on_another_day_is_checked_on_that_day(two_copies):
    one, _two = two_copies
    path = one / "keelpijn.yaml"
    prelude, _ = load_prelude(one / "_prelude.yaml", TODAY)
    _tree, today = load_tree(path, prelude, TODAY)
    later = date(2027, 11, 1) + timedelta(days=1)
    _tree, then = load_tree(path, load_prelude(one / "_prelude.yaml", later)[0], later)
    assert not any("review" in p.message for p in today)
    assert any("review" in p.message for p in then)
    assert then == _from_scratch(path, later)[1]


def test_a_tree_is_checked_again_on_a_changed_prelude(two_copies):
    one, two = two_copies
    _copy_prelude = two / "_prelude.yaml"
    _edit(_copy_prelude, 'review_due: "2027-11-01"', 'review_due: "2027-11-02"')
    load_tree(one / "keelpijn.yaml", load_prelude(one / "_prelude.yaml", TODAY)[0], TODAY)
    misses = built_cache_info().misses
    prelude, _ = load_prelude(_copy_prelude, TODAY)
    second, _ = load_tree(two / "keelpijn.yaml", prelude, TODAY)
    assert built_cache_info().misses == misses + 2, "a new prelude text, and the tree on top of it"
    assert second is not None and second.prelude is prelude


def test_a_prelude_made_elsewhere_is_never_mistaken_for_a_remembered_one(two_copies):
    one, _two = two_copies
    path = one / "keelpijn.yaml"
    prelude, _ = load_prelude(one / "_prelude.yaml", TODAY)
    load_tree(path, prelude, TODAY)
    without_cases = replace(prelude, cases=())
    data, _ = read_file(path)
    expected = check_tree(build_tree(path, data, without_cases), TODAY)
    tree, problems = load_tree(path, without_cases, TODAY)
    assert problems == expected
    assert tree is not None and tree.prelude is without_cases


def test_a_remembered_lexicon_names_the_file_loaded_now(two_copies):
    one, two = two_copies
    for copy in (one, two):  # the same term under two trees: a duplicate, reported on its line
        _edit(copy / "_lexicon.yaml", "nl: [ander probleem,", "nl: [ander probleem, notenallergie,")
    first = load_lexicon(one / "_lexicon.yaml", TODAY)
    second = load_lexicon(two / "_lexicon.yaml", TODAY)
    assert first.problems and [p.message for p in second.problems] == [p.message for p in first.problems]
    assert {p.path for p in second.problems} == {two / "_lexicon.yaml"}
    assert first.value is None and second.value is None, "a duplicate is an error"
    _edit(two / "_lexicon.yaml", "ander probleem, notenallergie,", "ander probleem,")
    fixed = load_lexicon(two / "_lexicon.yaml", TODAY)
    assert fixed.problems == () and fixed.value is not None and fixed.value.path == two / "_lexicon.yaml"
    assert load_lexicon(RULES / "_lexicon.yaml", TODAY).value.path == RULES / "_lexicon.yaml"
