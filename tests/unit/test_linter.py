"""The linter: every kind of broken tree gives the right file:line message.

Each case takes the valid keelpijn tree, breaks it in one way, and names the
text on the line the message must point at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.triage.checks import RULES as RULE_REGISTRY
from portal.triage.problems import RuleKind, Severity
from portal.triage.rules import RuleBook, lint
from tests.conftest import RULES, TODAY

# A frozen copy of the keelpijn tree, so these tests do not move when the demo tree is edited (it was
# rewritten with checklists). Marked patient_knows/exhaustive so it passes the question-design rules,
# which tests/unit/test_safe_by_construction.py tests on a tree of its own.
VALID = (Path(__file__).parent / "fixtures" / "keelpijn.yaml").read_text("utf-8")
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
SIGN_TO_U2 = SIGN.format(value="pus_sign", target="urgent_now")
ECONSULT = "    route: econsult\n    urgency: U5\n"
# A policy slip: 'raises_urgency' is for the prelude's risk questions.
UNDER_1_WEEK = "      - value: under_1_week\n"
RAISES_IN_TREE = UNDER_1_WEEK + "        raises_urgency: true\n"

BROKEN = [
    pytest.param(
        "  breathing_or_drooling:\n    type: question\n    patient_knows: true\n    text:",
        "  breathing_or_drooling:\n    type: question\n    patient_knows: true\n   text: [oops",
        "   text: [oops",
        "not valid YAML",
        None,
        id="yaml-syntax",
    ),
    pytest.param(
        "  duration:\n    type: question",
        "  very_ill:\n    type: question",
        ("  very_ill:", 2, 0),
        "'very_ill' appears twice",
        None,
        id="duplicate-node-id",
    ),
    pytest.param(
        "      en: How long has the sore throat lasted?\n",
        "",
        ("      nl: Hoe lang is er al keelpijn?", 1, -1),
        "English text ('en') is missing",
        None,
        id="missing-translation",
    ),
    pytest.param(
        '      - value: "no"\n        label: {nl: Nee, en: "No"}\n        next: mouth_or_swelling',
        '      - value: no\n        label: {nl: Nee, en: "No"}\n        next: mouth_or_swelling',
        "      - value: no",
        "put it in quotes",
        None,
        id="bare-yes-no",
    ),
    pytest.param(
        "        next: mouth_or_swelling",
        "        next: mouth_or_swellin",
        ('        label: {nl: Nee, en: "No"}', 1, -1),
        "leads to unknown node 'mouth_or_swellin'",
        "I-unknown-node",
        id="unknown-reference",
    ),
    pytest.param(
        "        next: appointment_routine",
        "",
        "      - value: over_2_weeks",
        "dead end: answer 'over_2_weeks' of 'duration' has no 'next'",
        "I-dead-end",
        id="dead-end",
    ),
    pytest.param(
        "        next: econsult\n",
        "        next: self_care\n",
        "  econsult:",
        "'econsult' cannot be reached from 'start'",
        "I-unreachable",
        id="unreachable",
    ),
    pytest.param(
        "        next: duration\n",
        "        next: breathing_or_drooling\n",
        "  very_ill:",
        "is part of a loop",
        "I-loop",
        id="cycle",
    ),
    pytest.param(
        "        next: urgent_now\n",
        "        next: self_care\n",
        '      - value: "yes"',
        "red flag 'breathing_or_drooling=yes' can end in 'self_care'",
        "S-red-flag-urgent",
        id="red-flag-to-self-care",
    ),
    pytest.param(
        "  urgent_today:\n    type: outcome\n    route: urgent\n    urgency: U3",
        "  urgent_today:\n    type: outcome\n    route: urgent\n    urgency: U5",
        "  urgent_today:",
        "route urgent needs urgency U2, U3",
        "P-route-urgency",
        id="route-urgency-mismatch",
    ),
    pytest.param(
        URGENT_TODAY_SAFETY_NET,
        "",
        "  urgent_today:",
        "'urgent_today' has no safety_net",
        "S-safety-net",
        id="missing-safety-net",
    ),
    pytest.param(
        "    raise_to: appointment_24h\n    title:\n      nl: Stel uw vraag",
        "    raise_to: appointment_routine\n    title:\n      nl: Stel uw vraag",
        "  econsult:",
        "raises to 'appointment_routine', which is not more urgent",
        "S-raise-more-urgent",
        id="raise-not-more-urgent",
    ),
    pytest.param(
        "    expect: {outcome: appointment_routine, route: appointment, urgency: U5}",
        "    expect: {outcome: appointment_routine, route: appointment, urgency: U4}",
        "  - name: More than two weeks means a routine appointment",
        "but the answers lead to appointment_routine (appointment, U5)",
        "C-case-fails",
        id="case-expects-wrong-outcome",
    ),
    pytest.param(
        "  - name: More than two weeks means a routine appointment",
        "  - name: More than two weeks means a routine appointment\n    notes: oops",
        "    notes: oops",
        "Additional properties are not allowed ('notes' was unexpected)",
        None,
        id="unknown-field",
    ),
    pytest.param(
        "        next: appointment_today\n",
        "        next: urgent_now\n",
        "  very_ill:",
        "red flag 'very_ill' (U2) is asked after 'mouth_or_swelling' (U3): ask the most urgent signs first",
        "S-red-flag-order",
        id="red-flag-asked-too-late",
    ),
    pytest.param(
        '    answers: {emergency_screen: none, breathing_or_drooling: "no", mouth_or_swelling: "yes"}\n'
        "    expect: {outcome: urgent_today, route: urgent, urgency: U3}\n",
        '    answers: {emergency_screen: none, breathing_or_drooling: "yes"}\n'
        "    expect: {outcome: urgent_now, route: urgent, urgency: U2}\n",
        ('      - value: "yes"', 2, 0),
        "red flag 'mouth_or_swelling=yes' has no case",
        "S-red-flag-case",
        id="red-flag-without-case",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U3,
        "  - value: pus_sign",
        "emergency sign 'pus_sign' must lead straight to a U1 or U2 outcome",
        "S-emergency-screen-target",
        id="emergency-sign-not-urgent",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_SHARED,
        "  - value: stroke",
        "emergency sign 'stroke' is already an answer of the shared emergency screen",
        "P-emergency-sign-value",
        id="emergency-sign-duplicates-shared",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U3.replace("urgent_today", "urgent_now"),
        "  - value: pus_sign",
        "red flag 'emergency_screen=pus_sign' has no case",
        "S-red-flag-case",
        id="emergency-sign-without-case",
    ),
    pytest.param(
        "    route: urgent\n    urgency: U2\n    title:\n      nl: Bel nu de praktijk",
        "    route: emergency\n    urgency: U1\n    title:\n      nl: Bel nu de praktijk",
        ('      - value: "yes"', 1, 0),
        "'breathing_or_drooling=yes' leads to 112 after the profile page",
        "S-112-on-first-screen",
        id="112-asked-too-late",
    ),
    pytest.param(
        "    raise_to: appointment_24h\n    self_care_page: keelpijn",
        "    self_care_page: keelpijn",
        "  self_care:",
        "'self_care': a baby under 3 months can end in self-care here",
        "S-baby-self-care",
        id="self-care-open-to-young-babies",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        "",
        "# yaml-language-server",
        "'start' is required",
        "I-start-missing",
        id="start-missing",
    ),
    pytest.param(
        "  duration:\n    type: question\n",
        "  duration:\n    type: question\n    when: {age_bands: [adult_18_64]}\n",
        "  duration:",
        "'duration': 'when' and 'skip_to' go together",
        "I-when-and-skip-to",
        id="when-without-skip-to",
    ),
    pytest.param(
        "    raise_to: appointment_24h\n    title:\n      nl: Stel uw vraag",
        "    raise_to: very_ill\n    title:\n      nl: Stel uw vraag",
        "  econsult:",
        "'econsult' must raise to an outcome",
        "I-not-an-outcome",
        id="raise-to-a-question",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN.format(value="pus_sign", target="very_ill"),
        "  - value: pus_sign",
        "emergency sign 'pus_sign' must lead straight to a U1 or U2 outcome",
        "I-not-an-outcome",
        id="emergency-sign-to-a-question",
    ),
    pytest.param(
        "common: 1\n",
        "common: 1\naudience: {age_bands: [adult_18_64]}\n",
        "audience:",
        "'audience' and 'outside_audience' go together",
        "P-audience-pair",
        id="audience-without-outside-audience",
    ),
    pytest.param(
        "  duration:\n    type: question\n",
        "  profile:\n    type: question\n",
        "  profile:",
        "'profile' is reserved: it is part of the portal's URLs",
        "P-reserved-id",
        id="reserved-node-id",
    ),
    pytest.param(
        "      - value: dont_know\n",
        '      - value: "no"\n',
        "  very_ill:",
        "'very_ill' has the answer 'no' twice",
        "P-duplicate-answer",
        id="duplicate-answer",
    ),
    pytest.param(
        UNDER_1_WEEK,
        RAISES_IN_TREE,
        "      - value: under_1_week",
        "'raises_urgency' belongs in the prelude, not in a tree",
        "P-raises-urgency-in-tree",
        id="raises-urgency-in-a-tree",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U2.replace("    red_flag: true\n", ""),
        "  - value: pus_sign",
        "emergency sign 'pus_sign' must be marked red_flag: true",
        "P-emergency-sign-red-flag",
        id="emergency-sign-not-a-red-flag",
    ),
    pytest.param(
        "start: breathing_or_drooling\n",
        SIGN_TO_U2.replace("    red_flag: true\n", "    red_flag: true\n    when: {age_bands: [adult_18_64]}\n"),
        "  - value: pus_sign",
        "emergency sign 'pus_sign' cannot have 'when'",
        "P-emergency-sign-when",
        id="emergency-sign-with-when",
    ),
    pytest.param(
        ECONSULT,
        ECONSULT + "    appointment: {timeframe: today, professional: huisarts, minutes: 10}\n",
        "  econsult:",
        "'econsult': 'appointment' details go with, and only with, the appointment route",
        "P-appointment-details",
        id="appointment-details-off-route",
    ),
    pytest.param(
        ECONSULT,
        ECONSULT + "    social_service: schuldhulp\n",
        "  econsult:",
        "'econsult': 'social_service' goes with, and only with, the social_domain route",
        "P-social-service",
        id="social-service-off-route",
    ),
    pytest.param(
        ECONSULT,
        ECONSULT + "    self_care_page: keelpijn\n",
        "  econsult:",
        "'econsult': 'self_care_page' belongs to the self_care route",
        "P-self-care-page",
        id="self-care-page-off-route",
    ),
    pytest.param(
        "    urgency: U4\n    appointment: {timeframe: within_24h",
        "    urgency: U4\n    raise_to: urgent_today\n    appointment: {timeframe: within_24h",
        "  econsult:",
        "'econsult' raises to 'appointment_24h', which raises again: raise once",
        "P-raise-once",
        id="raise-twice",
    ),
    pytest.param(
        "        - Antibiotica helpen daar niet tegen.\n",
        "",
        "  self_care:",
        "'self_care.advice' has 3 Dutch and 4 English points",
        "C-translation-points",
        id="advice-points-untranslated",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message", "rule"), BROKEN)
def test_each_kind_of_broken_tree_is_reported_with_file_and_line(tmp_path, old, new, marker, message, rule):
    """``rule`` is the id of the check that must find it; None for YAML and schema errors, found before the checks."""
    path = _break(tmp_path, old, new)
    problems = [p for p in lint([path.parent], TODAY) if p.severity is Severity.ERROR]
    matching = [p for p in problems if message in p.message]
    assert matching, "\n".join(str(p) for p in problems)
    assert matching[0].path == path
    text, occurrence, offset = marker if isinstance(marker, tuple) else (marker, 1, 0)
    assert matching[0].line == _line_of(path, text.splitlines()[0], occurrence, offset), str(matching[0])
    assert matching[0].rule == rule, str(matching[0])
    tag = f"[{rule}] " if rule else ""
    assert str(matching[0]).startswith(f"{path}:{matching[0].line}: error: {tag}{matching[0].message[:20]}")


PRELUDE_BROKEN = [
    pytest.param(
        "  second_contact:\n    type: question",
        "  second_contacts:\n    type: question",
        "# yaml-language-server",
        "the prelude must define the question 'second_contact'",
        "I-prelude-question",
        id="prelude-question-missing",
    ),
    pytest.param(
        "        next: call_now_passed\n",
        "        next: who_for\n",
        "      - value: came_and_went",
        "'who_for' is not an outcome of the prelude",
        "I-not-an-outcome",
        id="emergency-screen-to-a-question",
    ),
    pytest.param(
        "          en: No, none of these\n",
        "          en: No, none of these\n        next: call_now_danger\n",
        "  emergency_screen:",
        "the emergency screen needs a 'none of these' answer without 'next'",
        "P-screen-none-answer",
        id="emergency-screen-without-none",
    ),
    pytest.param(
        "        label: {nl: Voor mezelf, en: For myself}\n",
        "        label: {nl: Voor mezelf, en: For myself}\n        next: call_112\n",
        "      - value: self",
        "answers to 'who_for' cannot have 'next'",
        "P-prelude-answer-next",
        id="profile-answer-with-next",
    ),
    pytest.param(
        "      - value: self\n",
        "      - value: pet\n        label: {nl: Huisdier, en: Pet}\n      - value: self\n",
        "  who_for:",
        "'who_for' must offer exactly self, child, other",
        "P-profile-values",
        id="profile-value-unknown-to-the-portal",
    ),
    pytest.param(
        "  call_now_danger:\n    type: outcome\n    route: urgent\n    urgency: U2\n",
        "  call_now_danger:\n    type: outcome\n    route: urgent\n    urgency: U2\n    raise_to: call_112\n",
        "  call_now_danger:",
        "'call_now_danger' cannot have 'raise_to'",
        "P-prelude-raise",
        id="prelude-outcome-that-raises",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message", "rule"), PRELUDE_BROKEN)
def test_each_kind_of_broken_prelude_is_reported_with_file_and_line(tmp_path, old, new, marker, message, rule):
    directory = tmp_path / "rules"
    directory.mkdir()
    prelude = (RULES / "_prelude.yaml").read_text("utf-8")
    assert prelude.count(old) == 1, old
    path = directory / "_prelude.yaml"
    path.write_text(prelude.replace(old, new), "utf-8")
    problems = [p for p in lint([directory], TODAY) if p.is_error]
    matching = [p for p in problems if message in p.message]
    assert matching, "\n".join(str(p) for p in problems)
    assert (matching[0].path, matching[0].rule) == (path, rule)
    assert matching[0].line == _line_of(path, marker), str(matching[0])


def test_a_policy_error_does_not_hide_a_red_flag_error(tmp_path):
    """One policy slip used to stop the checks, so the red flag that ends in self-care went unreported."""
    path = _break(tmp_path, UNDER_1_WEEK, RAISES_IN_TREE)
    text = path.read_text("utf-8").replace("        next: urgent_now\n", "        next: self_care\n", 1)
    path.write_text(text, "utf-8")
    found = {(p.rule, p.line) for p in lint([path.parent], TODAY) if p.is_error}
    assert ("P-raises-urgency-in-tree", _line_of(path, "      - value: under_1_week")) in found
    assert ("S-red-flag-urgent", _line_of(path, '      - value: "yes"')) in found


def test_every_safety_policy_and_coverage_rule_reports_on_its_own(tmp_path):
    """A policy slip, a missing safety net, an untranslated point and a red flag to self-care: all four are told."""
    path = _break(tmp_path, URGENT_TODAY_SAFETY_NET, "")
    text = path.read_text("utf-8").replace("common: 1\n", "common: 1\naudience: {age_bands: [adult_18_64]}\n")
    text = text.replace("        - Antibiotica helpen daar niet tegen.\n", "")
    text = text.replace("        next: urgent_now\n", "        next: self_care\n", 1)
    path.write_text(text, "utf-8")
    rules = {p.rule for p in lint([path.parent], TODAY)}
    assert {"P-audience-pair", "S-safety-net", "C-translation-points", "S-red-flag-urgent"} <= rules, rules


def test_a_broken_graph_holds_back_only_the_rules_that_follow_paths(tmp_path):
    """Red flags and cases cannot be followed through a node that does not exist; a missing safety net can be seen."""
    path = _break(tmp_path, "        next: mouth_or_swelling", "        next: nowhere")
    text = path.read_text("utf-8").replace(URGENT_TODAY_SAFETY_NET, "")
    text = text.replace("        next: urgent_now\n", "        next: self_care\n", 1)
    path.write_text(text, "utf-8")
    problems = [p for p in lint([path.parent], TODAY) if p.path == path]
    assert {p.rule for p in problems} == {"I-unknown-node", "S-safety-net"}, [str(p) for p in problems]
    assert all(RULE_REGISTRY[p.rule].stops or not RULE_REGISTRY[p.rule].follows_paths for p in problems if p.rule)


def test_an_unreachable_node_holds_nothing_back(tmp_path):
    """Every path can still be followed, so an unreachable node must not hide a red flag that ends in self-care."""
    path = _break(tmp_path, "        next: econsult\n", "        next: self_care\n")
    text = path.read_text("utf-8").replace("        next: urgent_now\n", "        next: self_care\n", 1)
    path.write_text(text, "utf-8")
    rules = {p.rule for p in lint([path.parent], TODAY)}
    assert {"I-unreachable", "S-red-flag-urgent"} <= rules, rules


def test_a_loop_holds_back_the_rules_that_follow_paths(tmp_path):
    """The cases would walk in circles: they wait, and so do the red-flag rules."""
    path = _break(tmp_path, "        next: duration\n", "        next: breathing_or_drooling\n")
    rules = {p.rule for p in lint([path.parent], TODAY) if p.path == path}
    assert rules == {"I-loop", "I-unreachable"}, rules


def test_every_rule_is_broken_on_purpose_by_a_test_here():
    """Each rule id in the registry is asserted by at least one test in this file (or, for the question-design
    and general-danger rules, in test_safe_by_construction.py), so each has a failing example."""
    source = Path(__file__).read_text("utf-8") + (Path(__file__).parent / "test_safe_by_construction.py").read_text(
        "utf-8"
    )
    untested = [rule_id for rule_id in RULE_REGISTRY if f'"{rule_id}"' not in source]
    assert not untested, untested


def test_rule_ids_are_unique_and_tell_their_kind():
    assert all(rule.id == rule_id and rule.kind.value == rule_id[0] for rule_id, rule in RULE_REGISTRY.items())
    assert all(rule.kind is RuleKind.INTEGRITY for rule in RULE_REGISTRY.values() if rule.stops)


def test_an_outcome_without_a_case_is_reported(tmp_path):
    start = VALID.index("  - name: More than two weeks means a routine appointment")
    path = _break(tmp_path, VALID[start:], "")
    problems = lint([path.parent], TODAY)
    assert any("'appointment_routine' is not covered by any case" in p.message for p in problems)
    covered = next(p for p in problems if "appointment_routine" in p.message)
    assert covered.line == _line_of(path, "  appointment_routine:")
    assert covered.rule == "C-outcome-without-case"


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
    assert "P-catch-all-audience" in {p.rule for p in problems}


def test_a_passed_review_date_is_a_warning_not_an_error(tmp_path):
    path = _break(tmp_path, "review_due: 2027-11-01", "review_due: 2026-01-01")
    problems = lint([path.parent], TODAY)
    assert [(p.severity, p.rule) for p in problems if "review was due" in p.message] == [
        (Severity.WARNING, "S-review-due")
    ]
    assert not [p for p in problems if p.is_error]


def test_missing_search_keywords_are_a_warning(tmp_path):
    english = VALID[VALID.index("  en: [throat") : VALID.index("sources:")]
    path = _break(tmp_path, english, "  en: []\n")
    problems = lint([path.parent], TODAY)
    assert [(p.severity, p.rule) for p in problems if "no search keywords in 'en'" in p.message] == [
        (Severity.WARNING, "C-keywords")
    ]


def test_the_emergency_screen_may_only_lead_to_112_or_call_now(tmp_path):
    directory = tmp_path / "rules"
    directory.mkdir()
    prelude = (RULES / "_prelude.yaml").read_text("utf-8")
    old = "  call_now_danger:\n    type: outcome\n    route: urgent\n    urgency: U2"
    assert prelude.count(old) == 1
    broken = prelude.replace(old, "  call_now_danger:\n    type: outcome\n    route: econsult\n    urgency: U5")
    (directory / "_prelude.yaml").write_text(broken, "utf-8")
    problems = lint([directory], TODAY)
    assert any("may only lead to 112 or call-now" in p.message for p in problems)
    assert "S-emergency-screen-target" in {p.rule for p in problems}


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
