"""The linter: every kind of broken tree gives the right file:line message.

Each case takes the valid keelpijn tree, breaks it in one way, and names the
text on the line the message must point at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.triage.problems import Severity
from portal.triage.rules import RuleBook, lint
from tests.conftest import RULES, TODAY

VALID = (RULES / "keelpijn.yaml").read_text("utf-8")
# The safety net of urgent_today, cut out to test the missing-safety-net check.
_SAFETY_START = VALID.index("    safety_net:", VALID.index("  urgent_today:"))
URGENT_TODAY_SAFETY_NET = VALID[_SAFETY_START : VALID.index("  appointment_today:")]


def _break(tmp_path: Path, old: str, new: str, *, count: int = 1) -> Path:
    assert old in VALID, old
    directory = tmp_path / "rules"
    directory.mkdir()
    shutil.copy(RULES / "_prelude.yaml", directory / "_prelude.yaml")
    path = directory / "keelpijn.yaml"
    path.write_text(VALID.replace(old, new, count), "utf-8")
    return path


def _line_of(path: Path, marker: str, occurrence: int = 1, offset: int = 0) -> int:
    """The line of the ``occurrence``-th line containing ``marker``, plus ``offset``."""
    seen = 0
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if marker in line:
            seen += 1
            if seen == occurrence:
                return number + offset
    raise AssertionError(f"{marker!r} not in {path}")


SIGN = """start: breathing_or_drooling
emergency_signs:
  - value: {value}
    red_flag: true
    label: {{nl: Een teken, en: A sign}}
    next: {target}
"""
SIGN_TO_U3 = SIGN.format(value="pus_sign", target="urgent_today")
SIGN_SHARED = SIGN.format(value="stroke", target="urgent_now")

BROKEN = [
    pytest.param(
        "  breathing_or_drooling:\n    type: question\n    text:",
        "  breathing_or_drooling:\n    type: question\n   text: [oops",
        "   text: [oops",
        "not valid YAML",
        id="yaml-syntax",
    ),
    pytest.param(
        "  duration:\n    type: question",
        "  very_ill:\n    type: question",
        ("  very_ill:", 2, 0),
        "'very_ill' appears twice",
        id="duplicate-node-id",
    ),
    pytest.param(
        "      en: How long has the sore throat lasted?\n",
        "",
        ("      nl: Hoe lang is er al keelpijn?", 1, -1),
        "English text ('en') is missing",
        id="missing-translation",
    ),
    pytest.param(
        '      - value: "no"\n        label: {nl: Nee, en: "No"}\n        next: mouth_or_swelling',
        '      - value: no\n        label: {nl: Nee, en: "No"}\n        next: mouth_or_swelling',
        "      - value: no",
        "put it in quotes",
        id="bare-yes-no",
    ),
    pytest.param(
        "        next: mouth_or_swelling",
        "        next: mouth_or_swellin",
        ('        label: {nl: Nee, en: "No"}', 1, -1),
        "leads to unknown node 'mouth_or_swellin'",
        id="unknown-reference",
    ),
    pytest.param(
        "        next: appointment_routine",
        "",
        "      - value: over_2_weeks",
        "dead end: answer 'over_2_weeks' of 'duration' has no 'next'",
        id="dead-end",
    ),
    pytest.param(
        "        next: econsult\n",
        "        next: self_care\n",
        "  econsult:",
        "'econsult' cannot be reached from 'start'",
        id="unreachable",
    ),
    pytest.param(
        "        next: duration\n",
        "        next: breathing_or_drooling\n",
        "  very_ill:",
        "is part of a loop",
        id="cycle",
    ),
    pytest.param(
        "        next: urgent_now\n",
        "        next: self_care\n",
        '      - value: "yes"',
        "red flag 'breathing_or_drooling=yes' can end in 'self_care'",
        id="red-flag-to-self-care",
    ),
    pytest.param(
        "  urgent_today:\n    type: outcome\n    route: urgent\n    urgency: U3",
        "  urgent_today:\n    type: outcome\n    route: urgent\n    urgency: U5",
        "  urgent_today:",
        "route urgent needs urgency U2, U3",
        id="route-urgency-mismatch",
    ),
    pytest.param(
        URGENT_TODAY_SAFETY_NET,
        "",
        "  urgent_today:",
        "'urgent_today' has no safety_net",
        id="missing-safety-net",
    ),
    pytest.param(
        "    raise_to: appointment_24h\n    title:\n      nl: Stel uw vraag",
        "    raise_to: appointment_routine\n    title:\n      nl: Stel uw vraag",
        "  econsult:",
        "raises to 'appointment_routine', which is not more urgent",
        id="raise-not-more-urgent",
    ),
    pytest.param(
        "    expect: {outcome: appointment_routine, route: appointment, urgency: U5}",
        "    expect: {outcome: appointment_routine, route: appointment, urgency: U4}",
        "  - name: More than two weeks means a routine appointment",
        "but the answers lead to appointment_routine (appointment, U5)",
        id="case-expects-wrong-outcome",
    ),
    pytest.param(
        "  - name: More than two weeks means a routine appointment",
        "  - name: More than two weeks means a routine appointment\n    notes: oops",
        "    notes: oops",
        "Additional properties are not allowed ('notes' was unexpected)",
        id="unknown-field",
    ),
    pytest.param(
        "        next: appointment_today\n",
        "        next: urgent_now\n",
        "  very_ill:",
        "red flag 'very_ill' (U2) is asked after 'mouth_or_swelling' (U3): ask the most urgent signs first",
        id="red-flag-asked-too-late",
    ),
    pytest.param(
        '    answers: {emergency_screen: none, breathing_or_drooling: "no", mouth_or_swelling: "yes"}\n'
        "    expect: {outcome: urgent_today, route: urgent, urgency: U3}\n",
        '    answers: {emergency_screen: none, breathing_or_drooling: "yes"}\n'
        "    expect: {outcome: urgent_now, route: urgent, urgency: U2}\n",
        ('      - value: "yes"', 2, 0),
        "red flag 'mouth_or_swelling=yes' has no case",
        id="red-flag-without-case",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U3,
        "  - value: pus_sign",
        "emergency sign 'pus_sign' must lead straight to a U1 or U2 outcome",
        id="emergency-sign-not-urgent",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_SHARED,
        "  - value: stroke",
        "emergency sign 'stroke' is already an answer of the shared emergency screen",
        id="emergency-sign-duplicates-shared",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U3.replace("urgent_today", "urgent_now"),
        "  - value: pus_sign",
        "red flag 'emergency_screen=pus_sign' has no case",
        id="emergency-sign-without-case",
    ),
    pytest.param(
        "    route: urgent\n    urgency: U2\n    title:\n      nl: Bel nu de praktijk",
        "    route: emergency\n    urgency: U1\n    title:\n      nl: Bel nu de praktijk",
        ('      - value: "yes"', 1, 0),
        "'breathing_or_drooling=yes' leads to 112 after the profile page",
        id="112-asked-too-late",
    ),
    pytest.param(
        "    raise_to: appointment_24h\n    self_care_page: keelpijn",
        "    self_care_page: keelpijn",
        "  self_care:",
        "'self_care': a baby under 3 months can end in self-care here",
        id="self-care-open-to-young-babies",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), BROKEN)
def test_each_kind_of_broken_tree_is_reported_with_file_and_line(tmp_path, old, new, marker, message):
    path = _break(tmp_path, old, new)
    problems = [p for p in lint([path.parent], TODAY) if p.severity is Severity.ERROR]
    matching = [p for p in problems if message in p.message]
    assert matching, "\n".join(str(p) for p in problems)
    assert matching[0].path == path
    text, occurrence, offset = marker if isinstance(marker, tuple) else (marker, 1, 0)
    assert matching[0].line == _line_of(path, text.splitlines()[0], occurrence, offset), str(matching[0])
    assert str(matching[0]).startswith(f"{path}:{matching[0].line}: error: ")


def test_an_outcome_without_a_case_is_reported(tmp_path):
    start = VALID.index("  - name: More than two weeks means a routine appointment")
    path = _break(tmp_path, VALID[start:], "")
    problems = lint([path.parent], TODAY)
    assert any("'appointment_routine' is not covered by any case" in p.message for p in problems)
    covered = next(p for p in problems if "appointment_routine" in p.message)
    assert covered.line == _line_of(path, "  appointment_routine:")


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    path = _break(tmp_path, "        next: mouth_or_swelling", "        next: nowhere_a")
    text = path.read_text("utf-8").replace("        next: very_ill", "        next: nowhere_b")
    path.write_text(text, "utf-8")
    messages = [p.message for p in lint([path.parent], TODAY)]
    assert any("nowhere_a" in m for m in messages) and any("nowhere_b" in m for m in messages)


def test_only_one_tree_may_be_the_catch_all(tmp_path):
    path = _break(tmp_path, "common: 1\n", "common: 1\ncatch_all: true\n")
    second = path.parent / "algemeen.yaml"
    shutil.copy(RULES / "algemeen.yaml", second)
    problems = [p for p in lint([path.parent], TODAY) if p.is_error]
    assert len(problems) == 1 and "only one tree may be the catch-all" in problems[0].message
    assert problems[0].path in (path, second)


def test_the_catch_all_tree_cannot_have_an_audience(tmp_path):
    path = _break(tmp_path, "common: 1\n", "common: 1\ncatch_all: true\naudience: {age_bands: [adult_18_64]}\n")
    text = path.read_text("utf-8").replace(
        "start: breathing_or_drooling\n", "start: breathing_or_drooling\noutside_audience: appointment_24h\n"
    )
    path.write_text(text, "utf-8")
    problems = [p for p in lint([path.parent], TODAY) if p.is_error]
    assert any("the catch-all tree is for everyone" in p.message for p in problems), problems


def test_a_passed_review_date_is_a_warning_not_an_error(tmp_path):
    path = _break(tmp_path, "review_due: 2027-11-01", "review_due: 2026-01-01")
    problems = lint([path.parent], TODAY)
    assert [p.severity for p in problems if "review was due" in p.message] == [Severity.WARNING]
    assert not [p for p in problems if p.is_error]


def test_the_emergency_screen_may_only_lead_to_112_or_call_now(tmp_path):
    directory = tmp_path / "rules"
    directory.mkdir()
    prelude = (RULES / "_prelude.yaml").read_text("utf-8")
    broken = prelude.replace(
        "  call_now_unsure:\n    type: outcome\n    route: urgent\n    urgency: U2",
        "  call_now_unsure:\n    type: outcome\n    route: econsult\n    urgency: U5",
    )
    (directory / "_prelude.yaml").write_text(broken, "utf-8")
    problems = lint([directory], TODAY)
    assert any("may only lead to 112 or call-now" in p.message for p in problems)


def test_a_broken_tree_does_not_take_the_others_down(tmp_path, rules_dir):
    (rules_dir / "keelpijn.yaml").write_text("kind: tree\nid: [", "utf-8")
    book = RuleBook(rules_dir)
    book.refresh(TODAY)
    assert "keelpijn" not in book.trees
    assert {"hoesten", "buikpijn", "hoofdpijn", "zorgen"} <= set(book.trees)
    assert rules_dir / "keelpijn.yaml" in book.refused()


def test_a_broken_change_keeps_the_last_good_version(rules_dir):
    book = RuleBook(rules_dir)
    book.refresh(TODAY)
    good = book.trees["keelpijn"]
    path = rules_dir / "keelpijn.yaml"
    path.write_text(path.read_text("utf-8").replace("next: urgent_now", "next: self_care"), "utf-8")
    book.refresh(TODAY)
    assert book.trees["keelpijn"] is good
    assert any("red flag" in p.message for p in book.refused()[path])
