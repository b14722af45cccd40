"""A tree's cases to form fields and back: only the edited case's lines change, and a walk kept from the
simulator is a case the engine passes. Plain functions, no Flask."""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.content import tree_cases, tree_texts
from portal.content.changes import LOGIC, WORDING, classify_tree
from portal.content.tree_cases import CaseFields
from portal.triage.cases import run_cases
from portal.triage.loader import build_tree, read_file
from portal.triage.model import Profile, Tree
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY

TREES = sorted(p for p in RULES.glob("*.yaml") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def book() -> RuleBook:
    found = RuleBook(RULES)
    found.refresh(TODAY)
    return found


def _changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-"]


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser: the same YAML 1.1 reading (same resolvers, same
    constructors), ~10 times faster on a whole tree than the pure-Python parser."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _tree(book: RuleBook, path: Path, text: str, tmp_path: Path) -> Tree:
    """The tree built from ``text`` exactly as the loader builds a file."""
    copy = tmp_path / path.name
    copy.write_text(text, "utf-8")
    data, problems = read_file(copy)
    assert data is not None, problems
    return build_tree(copy, data, book.prelude)


# Every ruamel round trip of a whole tree costs a quarter of a second; so each shipped tree is written back
# once (a case added: the rest of the file must come back byte for byte), and the other edits run on trees
# that between them hold every layout the files use (checklists, quoted yes/no, folded texts, long files).
EDITED_IN_FULL = [
    "keelpijn.yaml",
    "koorts_kind.yaml",
    "pijn_op_de_borst.yaml",
    "somber_angst.yaml",
    "zwangerschap.yaml",
]


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.name)
def test_in_every_shipped_tree_a_case_is_added_at_the_end_and_the_rest_stays_byte_for_byte(path):
    source = path.read_text("utf-8")
    cases = tree_cases.read_cases(source)
    assert cases
    added = tree_cases.add_case(source, cases[0])
    assert added.startswith(source.rstrip()) and len(_changed(source, added)) == 4  # four new lines at the end
    assert _safe_load(added)["cases"][-1] == _safe_load(source)["cases"][0]  # read back as the same data


@pytest.mark.parametrize("name", EDITED_IN_FULL)
def test_an_edit_touches_only_its_case_and_removing_an_added_case_gives_the_file_back(name):
    source = (RULES / name).read_text("utf-8")
    cases = tree_cases.read_cases(source)
    assert tree_cases.replace_case(source, 1, cases[0]) == source  # saved unchanged: the same text

    renamed = tree_cases.replace_case(source, 1, replace(cases[0], name=cases[0].name + " (checked)"))
    lines = _changed(source, renamed)
    assert [line[:1] for line in lines] == ["-", "+"] and "(checked)" in lines[1]  # one line, its quotes kept

    added = tree_cases.add_case(source, cases[0])
    assert tree_cases.remove_case(added, len(cases) + 1) == source  # and removing it gives the file back


@pytest.mark.parametrize("name", ["oorpijn.yaml", "somber_angst.yaml", "zwangerschap.yaml"])
def test_removing_a_case_in_the_middle_removes_just_its_lines(name):
    source = (RULES / name).read_text("utf-8")
    removed = tree_cases.remove_case(source, 2)
    lines = _changed(source, removed)
    assert len(lines) == 4 and all(line.startswith("-") for line in lines)
    assert _safe_load(removed)["cases"] == [c for i, c in enumerate(_safe_load(source)["cases"]) if i != 1]


def test_a_changed_expectation_rewrites_only_that_line_and_answers_are_quoted_where_yaml_1_1_needs_it():
    source = (RULES / "oorpijn.yaml").read_text("utf-8")
    cases = tree_cases.read_cases(source)
    fields = cases[4]  # Earache for less than 3 days is self-care
    assert dict(fields.answers)["second_contact"] == "no"
    changed = replace(fields, outcome="appointment_3d", route="appointment", urgency="U4")
    new = tree_cases.replace_case(source, 5, changed)
    assert _changed(source, new) == [
        "-     expect: {outcome: self_care, route: self_care, urgency: U5}",
        "+     expect: {outcome: appointment_3d, route: appointment, urgency: U4}",
    ]
    # The same answers in another order are no change (the form sends them in the order asked).
    shuffled = replace(fields, answers=tuple(reversed(fields.answers)))
    assert tree_cases.replace_case(source, 5, shuffled) == source

    fresh = tree_cases.add_case(source, replace(fields, name="Yes", answers=(("second_contact", "yes"),)))
    assert fresh.endswith(
        '  - name: "Yes"\n' + "    profile: {who_for: child, age_band: child_1_4, sex: male}\n"
        '    answers: {second_contact: "yes"}\n'
        "    expect: {outcome: self_care, route: self_care, urgency: U5}\n"
    )
    assert _safe_load(fresh)["cases"][-1]["answers"] == {"second_contact": "yes"}


def test_a_case_name_is_wording_and_everything_else_about_a_case_is_logic():
    source = (RULES / "oorpijn.yaml").read_text("utf-8")
    cases = tree_cases.read_cases(source)

    def kind(new: str) -> str:
        return classify_tree(_safe_load(source), _safe_load(new)).kind

    assert kind(tree_cases.replace_case(source, 2, replace(cases[1], name="Sudden deafness"))) == WORDING
    assert kind(tree_cases.replace_case(source, 2, replace(cases[1], sex="male"))) == LOGIC
    assert kind(tree_cases.replace_case(source, 8, replace(cases[7], outcome="self_care"))) == LOGIC
    assert kind(tree_cases.add_case(source, cases[0])) == LOGIC
    assert kind(tree_cases.remove_case(source, 8)) == LOGIC


def test_a_logic_change_raises_the_version_once_and_wording_leaves_it():
    source = (RULES / "oorpijn.yaml").read_text("utf-8")
    cases = tree_cases.read_cases(source)
    renamed = tree_cases.replace_case(source, 2, replace(cases[1], name="Sudden deafness"))
    assert tree_cases.with_version_raised(renamed, source) == renamed

    removed = tree_cases.remove_case(source, 8)
    raised = tree_cases.with_version_raised(removed, source)
    assert _changed(removed, raised) == ["- version: 2", "+ version: 3"]
    assert tree_cases.with_version_raised(raised, source) == raised  # already above what patients get now
    assert tree_cases.with_version_raised(raised, None) == raised  # a new tree: nothing to compare with


def _raised_by_rewriting(text: str, number: int) -> str:
    """The version raised the general way: the whole tree read, changed and written back."""
    data = tree_texts.round_trip_yaml().load(text)
    data["version"] = number
    return tree_texts.dump_round_trip(data)


@pytest.mark.parametrize("name", ["oorpijn.yaml", "keelpijn.yaml", "zwangerschap.yaml"])
def test_the_version_line_is_raised_exactly_as_rewriting_the_whole_tree_would(name):
    source = (RULES / name).read_text("utf-8")
    number = _safe_load(source)["version"]
    removed = tree_cases.remove_case(source, 2)
    raised = tree_cases.with_version_raised(removed, source)
    assert _changed(removed, raised) == [f"- version: {number}", f"+ version: {number + 1}"]
    assert raised == _raised_by_rewriting(removed, number + 1)


@pytest.mark.parametrize(
    "layout",
    [
        "version: {n}  # raised by hand",  # a comment on the line
        'version: "{n}"',  # a quoted number
        'version: {n}  # see below\nnote: "a text that reads\nversion: {n}\nin its second line"',  # the words in a text
    ],
)
def test_a_version_written_otherwise_is_raised_as_rewriting_the_whole_tree_would(layout):
    source = (RULES / "oorpijn.yaml").read_text("utf-8")
    number = _safe_load(source)["version"]
    plain = f"version: {number}\n"
    assert source.count(plain) == 1
    old = source.replace(plain, layout.format(n=number) + "\n")
    changed = tree_cases.remove_case(old, 2)
    raised = tree_cases.with_version_raised(changed, old)
    assert _safe_load(raised)["version"] == number + 1
    assert raised == _raised_by_rewriting(changed, number + 1)


def test_a_walk_kept_from_the_simulator_is_a_case_that_passes_the_engine(book, tmp_path):
    path = RULES / "oorpijn.yaml"
    source = path.read_text("utf-8")
    tree = book.trees["oorpijn"]
    answers = {
        "emergency_screen": "none",
        "general_danger": "none",
        "ear_alarm": "none",
        "duration": "under_3_days",
        "risk_group": ["low_immunity"],
        "second_contact": "yes",
    }
    profile = Profile("self", "adult_18_64", "female")  # a senior is raised by age: no risk page
    fields, walked = tree_cases.case_from_walk(tree, "  An older woman at risk  ", profile, answers)
    assert walked.reached is not None and walked.reached.id == "appointment_24h"
    assert (fields.outcome, fields.route, fields.urgency) == ("appointment_24h", "appointment", "U4")
    assert fields.name == "An older woman at risk"
    # In the order asked; "none" on the general danger signs is left out, as in the shipped cases.
    assert [q for q, _v in fields.answers] == [
        "emergency_screen",
        "ear_alarm",
        "duration",
        "risk_group",
        "second_contact",
    ]

    new = tree_cases.add_case(source, fields)
    rebuilt = _tree(book, path, new, tmp_path)
    results = run_cases(rebuilt)
    assert len(results) == len(tree.cases) + 1
    assert all(r.passed for r in results), [r.problem for r in results if not r.passed]
    assert results[-1].case.name == "An older woman at risk"


def test_a_walk_that_stops_before_an_outcome_says_which_question_comes_next(book):
    tree = book.trees["oorpijn"]
    fields, walked = tree_cases.case_from_walk(
        tree, "Unfinished", Profile("self", "adult_18_64", "male"), {"emergency_screen": "none", "ear_alarm": "none"}
    )
    assert walked.reached is None and walked.why == "stops"
    assert [q.id for q in walked.questions] == ["duration"]
    assert fields.outcome == ""


def test_the_trial_names_answers_the_path_never_asks(book):
    tree = book.trees["oorpijn"]
    fields = CaseFields(
        "Stray",
        "self",
        "adult_18_64",
        "male",
        (("emergency_screen", "none"), ("ear_alarm", ("sudden_deaf",)), ("duration", "under_3_days")),
        "appointment_24h_hearing",
    )
    walked = tree_cases.trial(tree, fields)
    assert walked.why == "not_on_path" and [q.id for q in walked.questions] == ["duration"]


def test_removing_the_only_case_of_an_outcome_or_red_flag_is_named_and_a_covered_one_is_not(book):
    tree = book.trees["oorpijn"]
    left = tree_cases.left_uncovered(tree, 1)  # the only case for 'urgent_today' and the red swelling
    assert [o.id for o in left.outcomes] == ["urgent_today"]
    assert {q.id for q, _label in left.red_flags} == {"ear_alarm"}
    assert not tree_cases.left_uncovered(tree, 8)  # appointment_24h has other cases


def test_the_questions_a_case_can_answer_come_in_the_order_a_patient_meets_them(book):
    tree = book.trees["oorpijn"]
    ids = [q.id for q in tree_cases.case_questions(tree)]
    assert ids == ["emergency_screen", "general_danger", "ear_alarm", "duration", "risk_group", "second_contact"]
    outcomes = [o.id for o in tree_cases.outcome_choices(tree)]
    assert outcomes[:1] == ["urgent_today"] and "call_112" in outcomes
