"""Classifying a change (wording or clinical logic) and the readable diff: plain functions, no Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portal.content.changes import (
    ADDED,
    GAP,
    LOGIC,
    NONE,
    REMOVED,
    SAME_LINE,
    WORDING,
    classify_page,
    classify_tree,
    diff_rows,
)
from portal.content.files import parse_yaml

TREE = Path(__file__).resolve().parents[2] / "triage_rules" / "keelpijn.yaml"


def _data(text: str):
    data, problems = parse_yaml(TREE, text)
    assert not problems
    return data


@pytest.fixture(scope="module")
def source() -> str:
    return TREE.read_text("utf-8")


def _classify(source: str, old: str, new: str, count: int = 1):
    changed = source.replace(old, new, count)
    assert changed != source, old
    return classify_tree(_data(source), _data(changed))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Tick everything that is true.", "Tick all that apply."),  # a hint
        ("Kwijlt, omdat speeksel doorslikken niet meer lukt", "Kwijlt"),  # an answer label
        ("U kunt dit zelf goed aanpakken", "U kunt dit zelf aanpakken"),  # an outcome title
        ("reviewed_on: 2026-11-01", "reviewed_on: 2026-11-20"),  # metadata for editors
        ("name: Drooling because swallowing fails means calling now", "name: Drooling means calling now"),
    ],
)
def test_texts_labels_hints_and_metadata_are_wording(source, old, new):
    result = _classify(source, old, new)
    assert result.kind == WORDING and result.changes


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("next: today_signs", "next: duration", "nodes.alarm_signs.none.next"),  # where an answer leads
        ("urgency: U5", "urgency: U4", "urgency"),  # an urgency
        ("route: self_care", "route: appointment", "route"),  # a route
        ("red_flag: true", "red_flag: false", "red_flag"),  # a red flag
        ("raise_to: appointment_24h", "raise_to: appointment_today", "raise_to"),  # a risk raise
        ("start: alarm_signs", "start: today_signs", "start"),
        ("- value: drooling", "- value: slobbering", "value"),  # an answer's value
        ("expect: {outcome: urgent_now, route: urgent, urgency: U2}", "expect: {outcome: urgent_now}", "expect"),
    ],
)
def test_where_patients_go_is_clinical_logic(source, old, new, where):
    result = _classify(source, old, new)
    assert result.kind == LOGIC
    assert any(where in change for change in result.changes), result.changes


def test_adding_or_removing_a_node_is_logic(source):
    added = source.replace("\nnodes:\n", "\nnodes:\n  extra:\n    type: outcome\n    route: self_care\n", 1)
    result = classify_tree(_data(source), _data(added))
    assert result.kind == LOGIC and "nodes.extra: added" in result.changes
    assert "nodes.extra: removed" in classify_tree(_data(added), _data(source)).changes


def test_an_age_gate_is_logic():
    old = {
        "nodes": {"q": {"type": "question", "answers": [{"value": "a", "next": "x", "when": {"age_band": ["adult"]}}]}}
    }
    new = {
        "nodes": {"q": {"type": "question", "answers": [{"value": "a", "next": "x", "when": {"age_band": ["child"]}}]}}
    }
    assert classify_tree(old, new).kind == LOGIC


def test_an_unknown_field_counts_as_logic_until_someone_decides_otherwise():
    assert classify_tree({"nodes": {}}, {"nodes": {}, "new_field": 1}).kind == LOGIC


def test_the_same_tree_is_no_change_and_a_new_tree_is_logic(source):
    assert classify_tree(_data(source), _data(source)).kind == NONE
    assert classify_tree(None, _data(source)).kind == LOGIC


def test_every_page_change_is_wording():
    assert classify_page("a", "b").kind == WORDING
    assert classify_page("a", "a").kind == NONE
    assert classify_page(None, "b").kind == WORDING


def test_the_diff_names_added_and_removed_lines_with_their_numbers():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    rows = diff_rows(old, new, context=1)
    changed = [(r.change, r.old_line, r.new_line, r.text) for r in rows if r.change in (ADDED, REMOVED)]
    assert changed == [(REMOVED, 10, None, "line 10"), (ADDED, None, 10, "line ten"), (ADDED, None, 21, "line 21")]
    assert rows[0].change == GAP  # lines 1–8 left out
    assert [r.change for r in rows].count(GAP) == 2  # and the ones between the two changes
    assert (rows[1].change, rows[1].old_line, rows[1].new_line) == (SAME_LINE, 9, 9)


def test_no_difference_is_no_rows():
    assert diff_rows("a\nb", "a\nb") == []


def test_classification_needs_no_flask_and_no_database():
    code = "import sys, portal.content.changes; print(sorted({'flask', 'sqlite_utils'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
