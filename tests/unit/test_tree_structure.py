"""Structural changes to a tree written back into its YAML: only the change differs, the rest stays byte for byte.

Each change is checked the way an editor would notice it: the diff of the file, what the loaded tree does,
and the refusal (with what still leads somewhere) when a change would leave the tree broken.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.content import tree_structure as ts
from portal.content.changes import LOGIC, classify_tree
from portal.content.tree_cases import with_version_raised
from portal.triage.cases import run_cases
from portal.triage.checks import check_tree
from portal.triage.loader import build_tree, read_file
from portal.triage.model import Tree
from portal.triage.problems import errors
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY

SOURCE = (Path(__file__).resolve().parents[2] / "triage_rules" / "keelpijn.yaml").read_text("utf-8")


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser: the same YAML 1.1 reading (same resolvers, same
    constructors), ~10 times faster on a whole tree than the pure-Python parser."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _unchanged_outside(before: str, after: str, first: int, last: int) -> None:
    """Every line before ``first`` and after ``last`` (1-based, of ``before``) is still in ``after``, in order."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    assert new[: first - 1] == old[: first - 1]
    tail = len(old) - last
    assert new[len(new) - tail :] == old[len(old) - tail :]


def _codes(exc: pytest.ExceptionInfo[ts.StructureError]) -> set[str]:
    return {mistake.code for mistake in exc.value.mistakes}


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# --- change where an answer leads ---------------------------------------------------------------


def test_changing_where_an_answer_leads_changes_one_line_and_is_logic():
    after = ts.set_target(SOURCE, "duration/answers/1", "appointment_routine")
    assert _changed(SOURCE, after) == ["-         next: econsult", "+         next: appointment_routine"]
    assert classify_tree(_safe_load(SOURCE), _safe_load(after)).kind == LOGIC


def test_a_checklist_none_box_can_be_pointed_elsewhere():
    after = ts.set_target(SOURCE, "alarm_signs/none", "duration")
    assert _changed(SOURCE, after) == ["-       next: today_signs", "+       next: duration"]


@pytest.mark.parametrize(
    ("lead", "target", "code"),
    [
        ("duration/answers/1", "nowhere", "no_such_node"),
        ("duration/answers/1", "duration", "leads_to_itself"),
        ("duration/answers/1", "econsult", "unchanged"),
        ("duration/answers/1", "", "target_missing"),
    ],
)
def test_a_lead_to_an_unknown_node_itself_or_the_same_place_is_refused(lead, target, code):
    with pytest.raises(ts.StructureError) as exc:
        ts.set_target(SOURCE, lead, target)
    assert _codes(exc) == {code}


def test_an_answer_that_is_not_there_is_refused():
    with pytest.raises(ts.StructureError) as exc:
        ts.set_target(SOURCE, "duration/answers/9", "econsult")
    assert _codes(exc) == {"no_such_answer"}


# --- add a question -------------------------------------------------------------------------------


def _fever(node_id: str = "", lead_to: str = "appointment_24h") -> ts.NewQuestion:
    return ts.NewQuestion(
        node_id,
        "Heeft de persoon koorts?",
        "Does the person have a fever?",
        (
            ts.NewAnswer("Ja", "Yes", lead_to),
            ts.NewAnswer("Nee", "No", "self_care"),
            ts.NewAnswer("Weet ik niet", "I don't know", lead_to),
            ts.NewAnswer("", "", ""),  # an empty row of the form
        ),
    )


def test_a_new_question_is_placed_after_the_one_leading_to_it_and_the_rest_stays_byte_for_byte():
    after, node_id = ts.add_question(SOURCE, _fever(), "duration/answers/0")
    assert node_id == "koorts"
    data = _safe_load(after)  # the portal's YAML 1.1 reader
    assert data["nodes"]["duration"]["answers"][0]["next"] == "koorts"
    assert [a["value"] for a in data["nodes"]["koorts"]["answers"]] == ["yes", "no", "dont_know"]
    assert data["nodes"]["koorts"]["answers"][0]["label"] == {"nl": "Ja", "en": "Yes"}  # not True
    assert list(data["nodes"]).index("koorts") == list(data["nodes"]).index("duration") + 1
    changed = _changed(SOURCE, after)
    assert changed[:2] == ["-         next: self_care", "+         next: koorts"]
    assert all(line.startswith("+") for line in changed[2:])
    # A blank line on each side of the new question, like every other node.
    lines = after.splitlines()
    start = lines.index("  koorts:")
    assert lines[start - 1] == "" and lines[start + 21] == "" and lines[start + 22] == "  urgent_now:"


def test_a_new_question_can_become_the_first_one():
    after, _node_id = ts.add_question(SOURCE, _fever("fever"), "start")
    data = _safe_load(after)
    assert data["start"] == "fever" and list(data["nodes"])[-1] == "fever"
    assert _changed(SOURCE, after)[:2] == ["- start: alarm_signs", "+ start: fever"]


def test_a_new_question_needs_a_free_id_both_languages_and_two_answers():
    question = ts.NewQuestion("duration", "Koorts?", "", (ts.NewAnswer("Ja", "Yes", "self_care"),))
    with pytest.raises(ts.StructureError) as exc:
        ts.add_question(SOURCE, question, "nowhere/answers/0")
    assert _codes(exc) == {"id_taken", "text_missing", "too_few_answers", "no_such_answer"}
    fields = {m.field for m in exc.value.mistakes}
    assert {"node_id", "text_en", "answer-0-label_nl", "lead"} <= fields


@pytest.mark.parametrize(("node_id", "code"), [("Koorts!", "id_format"), ("emergency_screen", "id_reserved")])
def test_a_new_question_id_must_look_right_and_not_be_the_portals(node_id, code):
    with pytest.raises(ts.StructureError) as exc:
        ts.add_question(SOURCE, _fever(node_id), "duration/answers/0")
    assert _codes(exc) == {code}


def test_answers_of_a_new_question_need_different_codes_and_may_not_lead_to_itself():
    question = ts.NewQuestion(
        "fever",
        "Koorts?",
        "Fever?",
        (ts.NewAnswer("Ja", "Yes", "fever", value="x"), ts.NewAnswer("Ook ja", "Also yes", "self_care", value="x")),
    )
    with pytest.raises(ts.StructureError) as exc:
        ts.add_question(SOURCE, question, "duration/answers/0")
    assert _codes(exc) == {"leads_to_itself", "value_taken"}


def test_suggested_ids_come_from_the_dutch_words_and_are_unique():
    assert ts.suggest_id("Heeft de persoon koorts?", []) == "koorts"
    assert ts.suggest_id("Heeft de persoon koorts?", ["koorts"]) == "koorts_2"
    assert ts.suggest_id("Hoe lang is er al keelpijn?", []) == "hoe_lang_keelpijn"
    assert ts.suggest_id("Is het 3 dagen of langer?", []) == "question_3_dagen_langer"  # starts with a letter
    assert ts.suggest_id("", []) == "question"
    assert ts.suggest_id("Risico?", []) != "risk"  # never a reserved id
    assert ts.suggest_value("Ja", "Yes", []) == "yes"
    assert ts.suggest_value("Weet ik niet", "I don't know", []) == "dont_know"
    assert ts.suggest_value("Langer dan een week", "More than a week", ["more_than_a_week"]) == "more_than_a_week_2"


# --- add and remove answers --------------------------------------------------------------------


def test_a_new_answer_goes_before_dont_know_and_something_else():
    text = ts.add_answer(SOURCE, "duration", ts.NewAnswer("Dont", "Dont", "self_care", value="dont_know"))
    after = ts.add_answer(text, "duration", ts.NewAnswer("Een maand", "A month", "appointment_routine"))
    values = [a["value"] for a in _safe_load(after)["nodes"]["duration"]["answers"]]
    assert values == ["under_1_week", "1_to_2_weeks", "over_2_weeks", "a_month", "dont_know"]


def test_a_new_last_answer_keeps_the_blank_line_before_the_next_node():
    after = ts.add_answer(SOURCE, "duration", ts.NewAnswer("Een maand", "A month", "appointment_routine"))
    assert all(line.startswith("+") for line in _changed(SOURCE, after))
    lines = after.splitlines()
    end = lines.index("  urgent_now:")
    assert lines[end - 1] == "" and lines[end - 2] == "        next: appointment_routine"
    assert lines[end - 4] == "          nl: Een maand"


def test_a_red_flag_box_is_added_to_the_end_of_a_checklist():
    after = ts.add_answer(SOURCE, "today_signs", ts.NewAnswer("Hoest bloed", "Coughs blood", "urgent_today", "", True))
    item = _safe_load(after)["nodes"]["today_signs"]["items"][-1]
    assert item == {
        "value": "coughs_blood",
        "red_flag": True,
        "label": {"nl": "Hoest bloed", "en": "Coughs blood"},
        "next": "urgent_today",
    }
    changed = _changed(SOURCE, after)
    assert len(changed) == 6 and all(line.startswith("+") for line in changed)


def test_an_answer_cannot_be_added_to_an_outcome_or_reuse_a_code():
    with pytest.raises(ts.StructureError) as exc:
        ts.add_answer(SOURCE, "econsult", ts.NewAnswer("Ja", "Yes", "self_care"))
    assert _codes(exc) == {"not_a_question"}
    with pytest.raises(ts.StructureError) as exc:
        ts.add_answer(SOURCE, "duration", ts.NewAnswer("Kort", "Short", "self_care", value="under_1_week"))
    assert _codes(exc) == {"value_taken"}
    with pytest.raises(ts.StructureError) as exc:
        ts.add_answer(SOURCE, "alarm_signs", ts.NewAnswer("Geen", "None", "self_care", value="none"))
    assert _codes(exc) == {"value_reserved"}


def test_removing_the_last_answer_keeps_the_blank_line_and_the_rest_of_the_file():
    after = ts.remove_answer(SOURCE, "duration/answers/2")
    assert _changed(SOURCE, after) == [
        "-       - value: over_2_weeks",
        "-         label: {nl: Langer dan 2 weken, en: More than 2 weeks}",
        "-         next: appointment_routine",
    ]
    first = _line(SOURCE, "- value: over_2_weeks")
    _unchanged_outside(SOURCE, after, first, first + 2)


def test_a_question_keeps_two_answers_and_a_checklist_its_none_box():
    text = ts.remove_answer(SOURCE, "duration/answers/2")
    with pytest.raises(ts.StructureError) as exc:
        ts.remove_answer(text, "duration/answers/1")
    assert _codes(exc) == {"last_answers"}
    with pytest.raises(ts.StructureError) as exc:
        ts.remove_answer(SOURCE, "alarm_signs/none")
    assert _codes(exc) == {"none_fixed"}


# --- remove a question or an outcome -----------------------------------------------------------


def test_removing_an_outcome_that_answers_lead_to_is_refused_with_what_leads_there():
    with pytest.raises(ts.StructureError) as exc:
        ts.remove_node(SOURCE, "appointment_24h")
    (mistake,) = exc.value.mistakes
    assert mistake.code == "still_referenced"
    found = [(ref.kind, ref.node_words.nl, ref.label.nl) for ref in mistake.details["references"]]
    assert ("item", "Geldt een of meer van deze dingen?", "Koorts van 38,5 °C of hoger, al langer dan 3 dagen") in found
    assert ("raise_to", "Stel uw vraag via een e-consult", "") in found  # the risk-group raise counts too


def test_removing_the_first_question_is_refused_because_the_start_leads_there():
    with pytest.raises(ts.StructureError) as exc:
        ts.remove_node(SOURCE, "alarm_signs")
    assert [ref.kind for ref in exc.value.mistakes[0].details["references"]] == ["start"]


def test_removing_with_a_new_destination_points_everything_there_first():
    after = ts.remove_node(SOURCE, "econsult", redirect_to="appointment_routine")
    data = _safe_load(after)
    assert "econsult" not in data["nodes"]
    assert data["nodes"]["duration"]["answers"][1]["next"] == "appointment_routine"
    assert ts.references(after, "econsult") == []
    # The outcome before it and the one after it are untouched, with one blank line between them.
    lines = after.splitlines()
    assert lines[lines.index("  self_care:") - 1] == ""


def test_a_raise_can_only_be_pointed_at_an_outcome():
    with pytest.raises(ts.StructureError) as exc:
        ts.remove_node(SOURCE, "appointment_24h", redirect_to="duration")
    assert _codes(exc) == {"raise_needs_outcome"}


def test_removing_the_last_outcome_keeps_the_blank_line_before_the_cases_and_can_drop_its_cases():
    after = ts.remove_node(SOURCE, "appointment_routine", redirect_to="appointment_24h", drop_cases=True)
    lines = after.splitlines()
    assert lines[lines.index("cases:") - 1] == ""
    assert lines[lines.index("cases:") - 2].startswith("        - Call the practice if the person feels")
    assert ts.cases_ending_at(after, "appointment_routine") == []
    assert len(_safe_load(after)["cases"]) == len(_safe_load(SOURCE)["cases"]) - 1


# --- add an outcome ------------------------------------------------------------------------------


def _week(**changes: str) -> ts.NewOutcome:
    fields = dict(
        node_id="",
        route="appointment",
        urgency="U4",
        title_nl="Maak een afspraak deze week",
        title_en="Make an appointment this week",
        advice_nl="De huisarts kijkt deze week.\n- Drink genoeg.",
        advice_en="The GP will look this week.\nDrink enough.",
        safety_net_nl="Bel als slikken moeilijk gaat.",
        safety_net_en="Call if swallowing gets difficult.",
        timeframe="within_3_days",
        professional="huisarts",
        minutes="10",
    )
    return ts.NewOutcome(**(fields | changes))


def test_a_new_outcome_is_added_at_the_end_of_the_nodes_and_the_answer_leads_to_it():
    after, node_id = ts.add_outcome(SOURCE, _week(), "duration/answers/1")
    assert node_id == "maak_afspraak_week"
    data = _safe_load(after)
    assert data["nodes"]["duration"]["answers"][1]["next"] == node_id
    outcome = data["nodes"][node_id]
    assert list(data["nodes"])[-1] == node_id
    assert outcome["appointment"] == {"timeframe": "within_3_days", "professional": "huisarts", "minutes": 10}
    assert outcome["advice"] == {
        "nl": ["De huisarts kijkt deze week.", "Drink genoeg."],
        "en": ["The GP will look this week.", "Drink enough."],
    }
    lines = after.splitlines()
    assert lines[lines.index("cases:") - 1] == "" and lines[lines.index(f"  {node_id}:") - 1] == ""
    assert ts.cases_ending_at(after, node_id) == []  # the form says a case is needed


def test_an_outcome_must_fit_the_vocabulary_and_have_what_the_schema_requires():
    outcome = _week(route="self_care", urgency="U2", safety_net_en="", advice_en="Only one\nTwo\nThree")
    with pytest.raises(ts.StructureError) as exc:
        ts.add_outcome(SOURCE, outcome, "duration/answers/1")
    assert _codes(exc) == {"route_urgency", "safety_net_missing", "points_differ"}
    with pytest.raises(ts.StructureError) as exc:
        ts.add_outcome(SOURCE, _week(timeframe="", minutes="7"), "duration/answers/1")
    assert _codes(exc) == {"timeframe_missing", "minutes_missing"}
    with pytest.raises(ts.StructureError) as exc:
        ts.add_outcome(SOURCE, _week(route="social_domain", urgency="U5"), "duration/answers/1")
    assert _codes(exc) == {"social_service_missing"}


def test_an_emergency_outcome_needs_no_safety_net():
    outcome = _week(route="emergency", urgency="U1", safety_net_nl="", safety_net_en="", node_id="bel_112")
    after, _node_id = ts.add_outcome(SOURCE, outcome, "alarm_signs/items/0")
    node = _safe_load(after)["nodes"]["bel_112"]
    assert "safety_net" not in node and "appointment" not in node


# --- the version -----------------------------------------------------------------------------------


def test_the_version_is_raised_once_above_what_patients_get():
    changed = ts.set_target(SOURCE, "duration/answers/1", "appointment_routine")
    raised = with_version_raised(changed, SOURCE)
    assert _changed(changed, raised) == ["- version: 2", "+ version: 3"]
    assert with_version_raised(raised, SOURCE) == raised


def test_an_unreadable_tree_is_refused_in_words():
    with pytest.raises(ts.StructureError) as exc:
        ts.outline("nodes: [")
    assert _codes(exc) == {"unreadable"}


def test_every_shipped_tree_reads_as_an_outline_with_patient_words():
    for path in sorted((Path(__file__).resolve().parents[2] / "triage_rules").glob("[!_]*.yaml")):
        outline = ts.outline(path.read_text("utf-8"))
        assert outline.start and all(node.words.nl for node in outline.nodes), path.name


def test_the_outcomes_with_a_case_are_those_some_case_ends_at():
    for text in (SOURCE, SOURCE.replace("outcome: self_care", "outcome: nowhere")):
        outcomes = [node.id for node in ts.outline(text).nodes if node.is_outcome]
        expected = {node_id for node_id in outcomes if ts.cases_ending_at(text, node_id)}
        assert ts.outcomes_with_cases(text) & set(outcomes) == expected
    assert "self_care" in ts.outcomes_with_cases(SOURCE)
    assert "self_care" not in ts.outcomes_with_cases(SOURCE.replace("outcome: self_care", "outcome: nowhere"))


# --- change an advice's route and urgency -------------------------------------------------------------------


@pytest.fixture(scope="module")
def book() -> RuleBook:
    found = RuleBook(RULES)
    found.refresh(TODAY)
    return found


def _tree(book: RuleBook, text: str, tmp_path: Path) -> Tree:
    """The tree built from ``text`` exactly as the loader builds the file (the linter's view of it)."""
    copy = tmp_path / "keelpijn.yaml"
    copy.write_text(text, "utf-8")
    data, problems = read_file(copy)
    assert data is not None, problems
    return build_tree(copy, data, book.prelude)


def test_changing_an_advices_urgency_changes_that_line_and_what_its_cases_expect():
    after = ts.set_route(SOURCE, "econsult", ts.NewRoute("econsult", "U4"))
    assert _changed(SOURCE, after) == [
        "-     urgency: U5",
        "+     urgency: U4",
        "-     expect: {outcome: econsult, route: econsult, urgency: U5}",
        "+     expect: {outcome: econsult, route: econsult, urgency: U4}",
    ]
    assert classify_tree(_safe_load(SOURCE), _safe_load(after)).kind == LOGIC


def test_a_new_route_brings_what_it_needs_drops_what_it_no_longer_uses_and_the_tree_still_passes(book, tmp_path):
    change = ts.NewRoute("appointment", "U5", timeframe="within_2_weeks", professional="huisarts", minutes="10")
    after = ts.set_route(SOURCE, "self_care", change)
    assert _changed(SOURCE, after) == [
        "-     route: self_care",
        "+     route: appointment",
        "+     appointment: {timeframe: within_2_weeks, professional: huisarts, minutes: 10}",
        "-     self_care_page: keelpijn",
        "-     expect: {outcome: self_care, route: self_care, urgency: U5}",
        "+     expect: {outcome: self_care, route: appointment, urgency: U5}",
    ]
    tree = _tree(book, after, tmp_path)
    assert all(result.passed for result in run_cases(tree))
    assert errors(check_tree(tree, TODAY)) == []
    back = ts.set_route(after, "self_care", ts.NewRoute("econsult", "U5"))
    assert "appointment" not in _safe_load(back)["nodes"]["self_care"]


def test_only_the_appointment_details_change_when_the_route_stays():
    change = ts.NewRoute("appointment", "U4", timeframe="today", professional="huisarts", minutes="10")
    after = ts.set_route(SOURCE, "appointment_24h", change)
    assert _changed(SOURCE, after) == [
        "-     appointment: {timeframe: within_24h, professional: huisarts, minutes: 10}",
        "+     appointment: {timeframe: today, professional: huisarts, minutes: 10}",
    ]


@pytest.mark.parametrize(
    ("node_id", "change", "codes"),
    [
        ("econsult", ts.NewRoute("econsult", "U2"), {"route_urgency"}),
        ("econsult", ts.NewRoute("self_care", "U4"), {"route_urgency"}),
        ("econsult", ts.NewRoute("", ""), {"route_missing"}),
        ("econsult", ts.NewRoute("econsult", "U5"), {"route_unchanged"}),
        ("econsult", ts.NewRoute("econsult", "U5", timeframe="today"), {"route_unchanged"}),
        (
            "econsult",
            ts.NewRoute("appointment", "U4"),
            {"timeframe_missing", "professional_missing", "minutes_missing"},
        ),
        ("econsult", ts.NewRoute("social_domain", "U5"), {"social_service_missing"}),
        ("duration", ts.NewRoute("econsult", "U5"), {"not_an_outcome"}),
        ("nowhere", ts.NewRoute("econsult", "U5"), {"no_such_node"}),
    ],
)
def test_a_route_and_urgency_that_do_not_fit_or_change_nothing_are_refused(node_id, change, codes):
    with pytest.raises(ts.StructureError) as exc:
        ts.set_route(SOURCE, node_id, change)
    assert _codes(exc) == codes


def test_an_advice_a_red_flag_leads_to_stays_urgent_as_the_linter_asks(book, tmp_path):
    tree = _tree(book, SOURCE, tmp_path)
    with pytest.raises(ts.StructureError) as exc:
        ts.set_route(SOURCE, "urgent_today", ts.NewRoute("econsult", "U4"), tree)
    (mistake,) = exc.value.mistakes
    assert mistake.code == "red_flag_urgency"
    assert [label.en for label, _question in mistake.details["answers"]] == [
        "The mouth hardly opens any more",
        "A large swelling on one side at the back of the throat",
        "Talks as if there is something hot in the mouth",
    ]
    assert ts.outcome_route(SOURCE, "urgent_today", tree).red_flags  # the form shows them before saving
    assert not ts.outcome_route(SOURCE, "econsult", tree).red_flags

    # An appointment at U3 is still urgent enough after a red flag.
    change = ts.NewRoute("appointment", "U3", timeframe="today", professional="huisarts", minutes="10")
    assert "route: appointment" in ts.set_route(SOURCE, "urgent_today", change, tree)

    # Without the loaded tree the form cannot tell, and the draft's lint says it with the same rule.
    unchecked = ts.set_route(SOURCE, "urgent_today", ts.NewRoute("econsult", "U4"))
    assert "S-red-flag-urgent" in {problem.rule for problem in check_tree(_tree(book, unchecked, tmp_path), TODAY)}


def test_cases_may_keep_what_they_expect_and_then_fail_until_changed(book, tmp_path):
    after = ts.set_route(SOURCE, "econsult", ts.NewRoute("econsult", "U4"), update_cases=False)
    assert _changed(SOURCE, after) == ["-     urgency: U5", "+     urgency: U4"]
    failed = [result for result in run_cases(_tree(book, after, tmp_path)) if not result.passed]
    assert [result.case.expect_outcome for result in failed] == ["econsult"]
