"""The reading kept by text for the editors' draft checks (issue 16): a kept reading must give
the same answer as a fresh one, and no caller may change what the next caller gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal.content import tree_cases
from portal.content.files import parse_yaml, read_only_yaml

KEELPIJN = (Path(__file__).parents[2] / "triage_rules" / "keelpijn.yaml").read_text(encoding="utf-8")

TREE = "id: demo\nversion: 3\nreview: 2026-05-01\nquestions:\n  - id: q1\n    answers: [ja, nee]\n"


def test_a_kept_reading_equals_a_fresh_one_and_no_caller_can_change_it():
    first = read_only_yaml(TREE)
    assert first == parse_yaml(Path("fresh.yaml"), TREE)[0]
    assert first["review"] == "2026-05-01"  # as the portal reads every content file (dates as written)
    with pytest.raises(TypeError):
        first["version"] = 99
    with pytest.raises((TypeError, AttributeError)):
        first["questions"][0]["answers"].append("misschien")
    assert read_only_yaml(TREE) == parse_yaml(Path("fresh.yaml"), TREE)[0]


def test_a_text_that_cannot_be_read_gives_none_each_time_and_its_version_is_left_alone():
    for _ in range(2):
        assert read_only_yaml("a: [unclosed\n") is None
    broken = "id: demo\nversion: 3\nquestions: [unclosed\n"
    assert tree_cases.with_version_raised(broken, TREE) == broken


def test_a_logic_change_still_raises_the_version_once():
    version = yaml.safe_load(KEELPIJN)["version"]
    changed = KEELPIJN.replace("red_flag: true", "red_flag: false", 1)
    raised = tree_cases.with_version_raised(changed, KEELPIJN)
    assert yaml.safe_load(raised)["version"] == version + 1
    assert tree_cases.with_version_raised(raised, KEELPIJN) == raised
    wording = KEELPIJN.replace("nl: Keelpijn", "nl: Pijn in de keel", 1)
    assert tree_cases.with_version_raised(wording, KEELPIJN) == wording
