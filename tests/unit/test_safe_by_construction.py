"""Safe by construction (issue 10 §2): checklists, the first two screens, risk raising, question-design rules.

Every test runs on a small tree written here, with the real prelude, so it does
not depend on the complaint trees other helpers are editing. Each linter rule
gets a broken copy of that tree and must name the file and the line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.triage.cases import run_cases
from portal.triage.engine import (
    EmptyChecklist,
    NoneWithItems,
    Page,
    UnknownAnswer,
    raise_reasons,
    walk,
    with_answers,
)
from portal.triage.model import Checklist, Outcome, Tree
from portal.triage.problems import Severity
from portal.triage.rules import RuleBook, lint
from tests.conftest import RULES, TODAY

TREE = """\
# yaml-language-server: $schema=../portal/triage/schema/tree.schema.json
kind: tree
id: proefklacht
version: 1
status: demo — requires clinical validation
title: {nl: Proefklacht, en: Test complaint}
keywords: {nl: [proef], en: [test]}
sources: [NHG-Standaard Proef (alleen de opbouw)]
reviewer: Test
reviewed_on: "2026-11-01"
review_due: "2027-11-01"
start: alarm_signs
emergency_signs:
  - value: own_sign
    red_flag: true
    label: {nl: Een eigen alarmteken, en: An own alarm sign}
    next: urgent_now
nodes:
  alarm_signs:
    type: checklist
    text: {nl: Heeft de persoon een of meer van deze dingen?, en: Does the person have one or more of these?}
    items:
      - value: stiff_neck
        red_flag: true
        label: {nl: Een stijve nek, en: A stiff neck}
        next: urgent_now
      - value: purple_spots
        red_flag: true
        label: {nl: Paarse vlekjes, en: Purple spots}
        next: urgent_today
      - value: dont_know
        label: {nl: Weet ik niet, en: I don't know}
        next: urgent_today
    none:
      label: {nl: "Nee, geen van deze", en: "No, none of these"}
      next: duration
  duration:
    type: question
    exhaustive: true
    text: {nl: Hoe lang heeft de persoon dit al?, en: How long has the person had this?}
    answers:
      - value: under_3_days
        label: {nl: Korter dan 3 dagen, en: Less than 3 days}
        next: child_drinking
      - value: over_3_days
        label: {nl: 3 dagen of langer, en: 3 days or longer}
        next: appointment
  child_drinking:
    type: question
    when: {age_bands: [baby_0_3m, baby_3_12m, child_1_4]}
    skip_to: getting_worse
    text: {nl: Drinkt het kind minder dan de helft van normaal?, en: Is the child drinking less than half of usual?}
    answers:
      - value: "yes"
        red_flag: true
        label: {nl: Ja, en: "Yes"}
        next: urgent_today
      - value: "no"
        label: {nl: Nee, en: "No"}
        next: getting_worse
      - value: dont_know
        label: {nl: Weet ik niet, en: I don't know}
        next: urgent_today
  getting_worse:
    type: question
    text: {nl: Wordt de hoofdpijn steeds erger?, en: Is the headache getting worse and worse?}
    answers:
      - value: "yes"
        label: {nl: Ja, en: "Yes"}
        next: appointment
      - value: "no"
        label: {nl: Nee, en: "No"}
        next: self_care
      - value: dont_know
        label: {nl: Weet ik niet, en: I don't know}
        next: appointment
  urgent_now:
    type: outcome
    route: urgent
    urgency: U2
    title: {nl: Bel nu, en: Call now}
    advice: {nl: [Bel nu de praktijk.], en: [Call the practice now.]}
    safety_net: {nl: [Ademt de persoon niet normaal? Bel 112.], en: [Not breathing normally? Call 112.]}
  urgent_today:
    type: outcome
    route: urgent
    urgency: U3
    title: {nl: Bel vandaag, en: Call today}
    advice: {nl: [Bel vandaag de praktijk.], en: [Call the practice today.]}
    safety_net: {nl: [Wordt de persoon suffer? Bel meteen.], en: [Getting drowsier? Call at once.]}
  appointment:
    type: outcome
    route: appointment
    urgency: U4
    title: {nl: Maak een afspraak, en: Make an appointment}
    advice: {nl: [Maak een afspraak.], en: [Make an appointment.]}
    safety_net: {nl: [Krijgt de persoon koorts? Bel de praktijk.], en: [A fever? Call the practice.]}
    raise_to: urgent_today
    appointment: {timeframe: within_3_days, professional: huisarts, minutes: 10}
  self_care:
    type: outcome
    route: self_care
    urgency: U5
    title: {nl: Dit kunt u zelf doen, en: You can do this yourself}
    advice: {nl: [Rust goed uit.], en: [Rest well.]}
    safety_net: {nl: [Krijgt de persoon koorts? Bel de praktijk.], en: [A fever? Call the practice.]}
    raise_to: appointment_soon
  appointment_soon:
    type: outcome
    route: appointment
    urgency: U3
    title: {nl: Afspraak vandaag, en: Appointment today}
    advice: {nl: [De huisarts wil vandaag meekijken.], en: [The GP wants to see this today.]}
    safety_net: {nl: [Krijgt de persoon koorts? Bel de praktijk.], en: [A fever? Call the practice.]}
    appointment: {timeframe: today, professional: huisarts, minutes: 10}
cases:
  - name: The own sign on the first screen calls now
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers: {emergency_screen: own_sign}
    expect: {outcome: urgent_now, route: urgent, urgency: U2}
  - name: A stiff neck with purple spots calls now (the first ticked item decides)
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers: {emergency_screen: none, alarm_signs: [stiff_neck, purple_spots]}
    expect: {outcome: urgent_now, route: urgent, urgency: U2}
  - name: Purple spots alone call today
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers: {emergency_screen: none, alarm_signs: [purple_spots]}
    expect: {outcome: urgent_today, route: urgent, urgency: U3}
  - name: Not knowing the alarm signs calls today
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers: {emergency_screen: none, alarm_signs: [dont_know]}
    expect: {outcome: urgent_today, route: urgent, urgency: U3}
  - name: Long complaints without risk mean an appointment
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers: {emergency_screen: none, alarm_signs: none, duration: over_3_days, risk_group: none, second_contact: "no"}
    expect: {outcome: appointment, route: appointment, urgency: U4}
  - name: Long complaints with diabetes are raised
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers:
      emergency_screen: none
      alarm_signs: none
      duration: over_3_days
      risk_group: [diabetes]
      second_contact: "no"
    expect: {outcome: urgent_today, route: urgent, urgency: U3}
  - name: A short, calm complaint is self-care
    profile: {who_for: self, age_band: adult_18_64, sex: female}
    answers:
      emergency_screen: none
      alarm_signs: none
      duration: under_3_days
      getting_worse: "no"
      risk_group: none
      second_contact: "no"
    expect: {outcome: self_care, route: self_care, urgency: U5}
  - name: A young child drinking less than half calls today
    profile: {who_for: child, age_band: child_1_4, sex: male}
    answers: {emergency_screen: none, alarm_signs: none, duration: under_3_days, child_drinking: "yes"}
    expect: {outcome: urgent_today, route: urgent, urgency: U3}
  - name: A short complaint in someone of 65 or older is raised without the risk page
    profile: {who_for: self, age_band: senior_65_plus, sex: male}
    answers: {emergency_screen: none, alarm_signs: none, duration: under_3_days, getting_worse: "no"}
    expect: {outcome: appointment_soon, route: appointment, urgency: U3}
"""

ADULT = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}
CALM = {"emergency_screen": "none", "general_danger": "none", **ADULT, "alarm_signs": "none"}


def _write(tmp_path: Path, text: str = TREE) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(RULES / "_prelude.yaml", directory / "_prelude.yaml")
    path = directory / "proefklacht.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Tree:
    path = _write(tmp_path_factory.mktemp("valid"))
    book = RuleBook(path.parent)
    book.refresh(TODAY)
    assert not book.refused(), book.refused()
    return book.trees["proefklacht"]


def _line_of(path: Path, marker: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if marker in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{marker!r} not in {path}")


# --- the fixture tree itself is clean -----------------------------------------------


def test_the_fixture_tree_and_the_real_prelude_lint_clean(tmp_path):
    path = _write(tmp_path)
    problems = lint([path.parent], TODAY)
    assert [str(p) for p in problems if p.severity is Severity.ERROR] == []


def test_every_case_of_the_fixture_passes(tree):
    assert [r.problem for r in run_cases(tree) if not r.passed] == []


# --- the first two screens ------------------------------------------------------------


def test_the_complaints_own_emergency_sign_comes_first_on_the_first_screen(tree):
    screen = tree.emergency_screen
    assert screen.answers[0].value == "own_sign"
    assert [a.value for a in screen.answers[1:]] == [a.value for a in tree.prelude.emergency_screen.answers]


THREE_SIGNS = TREE.replace(
    "emergency_signs:\n",
    "emergency_signs:\n"
    + "".join(
        f"  - value: sign_{n}\n    red_flag: true\n    label: {{nl: Teken {n}, en: Sign {n}}}\n    next: urgent_now\n"
        for n in range(2)
    ),
).replace(
    "cases:\n",
    "cases:\n"
    + "".join(
        f"  - name: Sign {n} calls now\n    profile: {{who_for: self, age_band: adult_18_64, sex: male}}\n"
        f"    answers: {{emergency_screen: sign_{n}}}\n"
        "    expect: {outcome: urgent_now, route: urgent, urgency: U2}\n"
        for n in range(2)
    ),
)


def test_a_tree_with_three_own_signs_moves_shared_112_signs_to_the_top_of_the_second_screen(tmp_path):
    """Measured at 375 x 667: five alarm answers fit above the fold. The complaint's own come first."""
    path = _write(tmp_path, THREE_SIGNS)
    book = RuleBook(path.parent)
    book.refresh(TODAY)
    assert not book.refused(), book.refused()
    tree = book.trees["proefklacht"]
    first = [a.value for a in tree.emergency_screen.answers]
    assert first == ["sign_0", "sign_1", "own_sign", "not_breathing", "unconscious", "not_sure", "none"]
    second = [a.value for a in tree.general_danger.answers]
    assert second[:2] == ["chest_pain", "stroke"]
    result = walk(tree, {"emergency_screen": "none", "general_danger": ["severe_pain", "stroke"]})
    assert isinstance(result.step, Outcome) and result.step.id == "call_112" and len(result.pages) == 2
    with pytest.raises(UnknownAnswer):
        walk(tree, {"emergency_screen": "stroke"})


def test_the_general_danger_checklist_is_the_second_screen_for_every_tree(tree):
    step = walk(tree, {"emergency_screen": "none"}).step
    assert isinstance(step, Page) and step.kind == "danger"
    assert isinstance(step.questions[0], Checklist)
    real = RuleBook(RULES)
    real.refresh(TODAY)
    for other in real.trees.values():  # whatever state the complaint trees are in
        page = walk(other, {"emergency_screen": "none"}).step
        assert isinstance(page, Page) and page.kind == "danger", other.id


@pytest.mark.parametrize(
    ("ticked", "urgency"),
    [
        (["floppy_child"], "U1"),
        (["suicide_plan"], "U1"),
        (["severe_bleeding"], "U1"),
        (["anaphylaxis"], "U1"),
        (["breathless_speech"], "U1"),
        (["pale_clammy"], "U1"),
        (["drowsy_confused"], "U2"),
        (["breathless_rest"], "U2"),
        (["fainted"], "U2"),
        (["getting_worse_fast"], "U2"),
        (["severe_pain"], "U2"),
        (["came_and_went"], "U2"),
        (["severe_pain", "pale_clammy"], "U1"),
    ],
)
def test_each_general_danger_sign_ends_at_112_or_call_now(tree, ticked, urgency):
    step = walk(tree, {"emergency_screen": "none", "general_danger": ticked}).step
    assert isinstance(step, Outcome) and step.urgency.value == urgency


def test_112_is_reached_within_two_screens_from_the_danger_screen(tree):
    result = walk(tree, {"emergency_screen": "none", "general_danger": ["floppy_child"]})
    assert isinstance(result.step, Outcome) and len(result.pages) == 2


def test_not_sure_on_the_first_screen_goes_on_to_the_questions_that_place_it(tree):
    """A drowsy but responsive child: 'not sure' used to end the triage at once at call-now."""
    step = walk(tree, {"emergency_screen": "not_sure"}).step
    assert isinstance(step, Page) and step.kind == "danger"
    placed = walk(tree, {"emergency_screen": "not_sure", "general_danger": ["drowsy_confused"]}).step
    assert isinstance(placed, Outcome) and placed.id == "call_now_danger"
    onward = walk(tree, {"emergency_screen": "not_sure", "general_danger": "none", **ADULT}).step
    assert isinstance(onward, Page) and onward.id == "alarm_signs"


def test_not_sure_raises_the_outcome_but_is_never_called_a_risk(tree):
    answers = {**CALM, "emergency_screen": "not_sure", "duration": "under_3_days", "getting_worse": "no"}
    result = walk(tree, answers)
    assert result.raised and result.step.id == "appointment_soon"
    assert result.raised_for_unknown_only
    assert raise_reasons(tree, result, "nl") == []


# --- checklists ---------------------------------------------------------------------


def test_the_first_ticked_item_in_listed_order_decides_whatever_order_they_were_sent(tree):
    one = walk(tree, {**CALM, "alarm_signs": ["purple_spots", "stiff_neck"]}).step
    other = walk(tree, {**CALM, "alarm_signs": ["stiff_neck", "purple_spots"]}).step
    assert one == other and isinstance(one, Outcome) and one.id == "urgent_now"


def test_a_checklist_with_nothing_ticked_is_refused(tree):
    with pytest.raises(EmptyChecklist):
        walk(tree, {**CALM, "alarm_signs": []})


def test_none_together_with_an_item_is_refused(tree):
    with pytest.raises(NoneWithItems):
        walk(tree, {**CALM, "alarm_signs": ["none", "stiff_neck"]})


def test_an_unknown_ticked_value_is_refused(tree):
    with pytest.raises(UnknownAnswer):
        walk(tree, {**CALM, "alarm_signs": ["stiff_neck", "made_up"]})


def test_a_single_value_counts_as_one_tick_so_old_runs_stay_readable(tree):
    """Runs stored before risk_group became a checklist hold a string: they still walk."""
    assert walk(tree, {**CALM, "alarm_signs": "purple_spots"}).step.id == "urgent_today"
    old = {**CALM, "duration": "over_3_days", "risk_group": "chronic_disease", "second_contact": "no"}
    assert walk(tree, old).raised


def test_changing_only_the_order_of_ticks_keeps_later_answers(tree):
    answers = {**CALM, "alarm_signs": ["none"], "duration": "over_3_days"}
    page = walk(tree, {**CALM}).step
    assert isinstance(page, Page)
    kept = with_answers(answers, page, {"alarm_signs": ("none",)})
    assert kept["duration"] == "over_3_days"


ITEMS = ["stiff_neck", "purple_spots", "dont_know"]


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(ITEMS), min_size=1), st.sampled_from(ITEMS))
def test_ticking_an_extra_item_never_lowers_urgency(tree, ticked, extra):
    before = walk(tree, {**CALM, "alarm_signs": sorted(ticked)}).step
    after = walk(tree, {**CALM, "alarm_signs": sorted(ticked | {extra})}).step
    assert isinstance(before, Outcome) and isinstance(after, Outcome)
    assert after.urgency.rank <= before.urgency.rank


RISKS = ["low_immunity", "chronic_disease", "diabetes", "recent_hospital", "travel_outside_europe", "dont_know"]
PATHS = [{"duration": "over_3_days"}, {"duration": "under_3_days", "getting_worse": "no"}]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PATHS), st.sets(st.sampled_from(RISKS), min_size=1), st.sampled_from(["yes", "no"]))
def test_a_risk_factor_never_lowers_urgency(tree, path, risks, second):
    calm = walk(tree, {**CALM, **path, "risk_group": "none", "second_contact": "no"}).step
    risky = walk(tree, {**CALM, **path, "risk_group": sorted(risks), "second_contact": second}).step
    assert isinstance(calm, Outcome) and isinstance(risky, Outcome)
    assert risky.urgency.rank < calm.urgency.rank  # every outcome on these paths can be raised


def test_a_known_risk_is_named_and_an_unknown_one_is_not(tree):
    base = {**CALM, "duration": "over_3_days", "second_contact": "no"}
    known = walk(tree, {**base, "risk_group": ["diabetes", "dont_know"]})
    assert raise_reasons(tree, known, "nl") == ["Suikerziekte (diabetes)"]
    assert not known.raised_for_unknown_only
    unknown = walk(tree, {**base, "risk_group": ["dont_know"]})
    assert unknown.raised and unknown.raised_for_unknown_only and raise_reasons(tree, unknown, "en") == []


def test_age_65_and_over_raises_without_asking_the_risk_page(tree):
    answers = {**CALM, "age_band": "senior_65_plus", "duration": "over_3_days"}
    result = walk(tree, answers)
    assert result.raised and result.step.id == "urgent_today"
    assert raise_reasons(tree, result, "en") == ["65 years or older"]


# --- linter rules: a broken copy of the fixture, with file and line -------------------------

BROKEN = [
    pytest.param(
        "    exhaustive: true\n",
        "",
        "  duration:",
        "'duration' is multiple-choice: mark it 'exhaustive: true'",
        "P-choice-escape",
        id="multiple-choice-without-escape",
    ),
    pytest.param(
        "      - value: dont_know\n        label: {nl: Weet ik niet, en: I don't know}\n        next: appointment\n",
        "",
        "  getting_worse:",
        "yes/no question 'getting_worse' has no 'dont_know'",
        "P-yes-no-dont-know",
        id="yes-no-without-dont-know",
    ),
    pytest.param(
        "    exhaustive: true\n",
        "    exhaustive: true\n    patient_knows: true\n",
        "  duration:",
        "'duration': 'patient_knows' is only for a yes/no question",
        "P-question-flags",
        id="patient-knows-on-multiple-choice",
    ),
    pytest.param(
        "        label: {nl: Weet ik niet, en: I don't know}\n        next: appointment\n",
        "        label: {nl: Weet ik niet, en: I don't know}\n        next: self_care\n",
        ("      - value: dont_know", 3),
        "'getting_worse=dont_know' can end at U5, less urgent than 'getting_worse=yes' (U4)",
        "S-conservative-unknown",
        id="dont-know-routed-to-calmer",
    ),
    pytest.param(
        "        label: {nl: Een stijve nek, en: A stiff neck}\n        next: urgent_now\n"
        "      - value: purple_spots\n        red_flag: true\n"
        "        label: {nl: Paarse vlekjes, en: Purple spots}\n        next: urgent_today\n",
        "        label: {nl: Een stijve nek, en: A stiff neck}\n        next: urgent_today\n"
        "      - value: purple_spots\n        red_flag: true\n"
        "        label: {nl: Paarse vlekjes, en: Purple spots}\n        next: urgent_now\n",
        ("      - value: purple_spots", 1),
        "'purple_spots' (U2) is listed after 'stiff_neck' (U3)",
        "S-checklist-order",
        id="checklist-less-urgent-first",
    ),
    pytest.param(
        "        label: {nl: Een stijve nek, en: A stiff neck}\n        next: urgent_now\n",
        "        label: {nl: Een stijve nek, en: A stiff neck}\n        next: duration\n",
        ("      - value: purple_spots", 1),
        "'purple_spots' (U3) is listed after 'stiff_neck' (U5)",
        "S-checklist-order",
        id="checklist-item-calmer-than-a-later-one",
    ),
    pytest.param(
        "    advice: {nl: [De huisarts wil vandaag meekijken.], en: [The GP wants to see this today.]}",
        "    advice: {nl: [Omdat de persoon meer risico loopt, kijkt de huisarts vandaag.], en: [Today.]}",
        "  appointment_soon:",
        "'appointment_soon' is a raise_to outcome and says",
        "S-raise-reason",
        id="raised-outcome-claims-a-known-risk",
    ),
    pytest.param(
        "    label: {nl: Een eigen alarmteken, en: An own alarm sign}",
        "    label: {nl: Een eigen alarmteken dat veel te lang is voor het eerste scherm op een kleine telefoon "
        "echt waar en zeker, en: An own alarm sign}",
        "  - value: own_sign",
        "emergency sign 'own_sign' (nl) is longer than 90 characters",
        "S-first-screen-length",
        id="first-screen-label-too-long",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message", "rule"), BROKEN)
def test_each_new_rule_names_file_and_line(tmp_path, old, new, marker, message, rule):
    assert old in TREE, old
    path = _write(tmp_path, TREE.replace(old, new, 1))
    problems = [p for p in lint([path.parent], TODAY) if p.severity is Severity.ERROR]
    if rule is None:  # a change that must stay clean
        assert [str(p) for p in problems if p.path == path and (not message or message in p.message)] == []
        return
    matching = [p for p in problems if message in p.message]
    assert matching, "\n".join(str(p) for p in problems)
    text, occurrence = marker if isinstance(marker, tuple) else (marker, 1)
    assert (matching[0].path, matching[0].rule) == (path, rule)
    assert matching[0].line == _line_of(path, text, occurrence), str(matching[0])


def test_a_safety_net_that_repeats_a_sign_answered_yes_is_reported(tmp_path):
    """'Wordt de hoofdpijn erger? Bel' after 'yes, it is getting worse' reads as a mistake."""
    text = TREE.replace(
        "    safety_net: {nl: [Krijgt de persoon koorts? Bel de praktijk.], en: [A fever? Call the practice.]}\n"
        "    raise_to: urgent_today",
        "    safety_net: {nl: [Wordt de hoofdpijn erger? Bel de praktijk.], en: [Worse? Call the practice.]}\n"
        "    raise_to: urgent_today",
    )
    path = _write(tmp_path, text)
    found = [p for p in lint([path.parent], TODAY) if p.rule == "S-safety-net-repeats"]
    assert found and found[0].severity is Severity.WARNING
    assert found[0].line == _line_of(path, "  appointment:")
    assert "getting_worse=yes" in found[0].message


_JOIN = (
    "{nl: Wordt de hoofdpijn steeds erger?, en:",
    '{nl: "Wordt de hoofdpijn steeds erger, of komt er koorts bij?", en:',
)


def test_a_yes_no_question_that_joins_two_signs_is_reported(tmp_path):
    """'A, of B?' forces a guess on a patient who knows one half: a warning, as the check is a heuristic."""
    text = TREE.replace(*_JOIN)
    # Without "weet ik niet", a patient who knows only one half must guess.
    text = text.replace(
        "      - value: dont_know\n        label: {nl: Weet ik niet, en: I don't know}\n        next: appointment\n", ""
    ).replace(
        "  getting_worse:\n    type: question\n", "  getting_worse:\n    type: question\n    patient_knows: true\n"
    )
    path = _write(tmp_path, text)
    found = [p for p in lint([path.parent], TODAY) if p.rule == "P-one-thing"]
    assert found and found[0].severity is Severity.WARNING
    assert found[0].line == _line_of(path, "  getting_worse:")
    offered = _write(tmp_path / "with_dont_know", TREE.replace(*_JOIN))
    assert [p for p in lint([offered.parent], TODAY) if p.rule == "P-one-thing"] == []


def test_a_checklist_without_none_is_refused_by_the_schema(tmp_path):
    text = TREE.replace('      label: {nl: "Nee, geen van deze", en: "No, none of these"}\n      next: duration\n', "")
    text = text.replace("    none:\n", "")
    path = _write(tmp_path, text)
    problems = [p for p in lint([path.parent], TODAY) if p.path == path and p.severity is Severity.ERROR]
    assert any("none" in p.message for p in problems), [str(p) for p in problems]


def test_a_prelude_without_a_general_danger_sign_is_refused(tmp_path):
    directory = tmp_path / "rules"
    directory.mkdir()
    prelude = (RULES / "_prelude.yaml").read_text("utf-8")
    old = "      - value: fainted\n"
    assert prelude.count(old) == 1
    path = directory / "_prelude.yaml"
    path.write_text(prelude.replace(old, "      - value: fainted_long_ago\n"), "utf-8")
    problems = [p for p in lint([directory], TODAY) if p.rule == "S-general-danger"]
    assert problems and problems[0].path == path
    assert problems[0].line == _line_of(path, "  general_danger:")
    assert "'fainted' is missing" in problems[0].message


def _real_checklists() -> list[tuple[Tree, Checklist]]:
    book = RuleBook(RULES)
    book.refresh(TODAY)
    return [(t, q) for t in book.trees.values() for q in t.questions() if isinstance(q, Checklist)]


REAL_CHECKLISTS = _real_checklists()


@pytest.mark.skipif(not REAL_CHECKLISTS, reason="no demo tree uses a checklist yet")
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_in_every_demo_tree_ticking_an_extra_item_never_lowers_urgency(data):
    """Over the checklists of the real trees that pass the linter: S-checklist-order makes this hold."""
    from portal.triage.checks import _least_urgent

    tree, checklist = data.draw(st.sampled_from(REAL_CHECKLISTS), label="checklist")
    items = [a.value for a in checklist.items]
    ticked = data.draw(st.sets(st.sampled_from(items), min_size=1), label="ticked")
    extra = data.draw(st.sampled_from(items), label="extra")

    def worst(values: set[str]) -> int:
        decided = checklist.decide(tuple(values))
        assert decided is not None and decided.next
        urgency = _least_urgent(tree, decided.next)
        assert urgency is not None
        return urgency.rank

    assert worst(ticked | {extra}) <= worst(ticked), (tree.id, checklist.id)
