"""The readings kept by text for the editors' draft checks (issue 16): a kept reading must give
the same answer as a fresh one, and no caller may change what the next caller gets."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from portal.content import tree_cases
from portal.editor import shared_checks

TREE = "id: demo\nversion: 3\nreview: 2026-05-01\nquestions:\n  - id: q1\n    answers: [ja, nee]\n"


def test_a_kept_safe_reading_equals_a_fresh_one_and_each_caller_gets_its_own_copy():
    first = tree_cases._safe_loaded(TREE)
    assert first == yaml.safe_load(TREE)
    assert first["review"] == date(2026, 5, 1)
    first["version"] = 99
    first["questions"][0]["answers"].append("misschien")
    assert tree_cases._safe_loaded(TREE) == yaml.safe_load(TREE)


def test_a_text_that_cannot_be_read_raises_each_time():
    for _ in range(2):
        with pytest.raises(yaml.YAMLError):
            tree_cases._safe_loaded("a: [unclosed\n")


def test_the_kept_draft_reading_is_read_only_and_none_for_broken_yaml():
    data = shared_checks._parsed(TREE)
    assert data["version"] == 3 and list(data["questions"][0]["answers"]) == ["ja", "nee"]
    with pytest.raises(TypeError):
        data["version"] = 4  # type: ignore[index]
    assert shared_checks._parsed("a: [unclosed\n") is None
