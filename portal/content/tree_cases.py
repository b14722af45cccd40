"""A tree's cases (its scenario tests) as form fields and back into its YAML, and in the patient's words.

Editors keep a tree's cases up to date without YAML: every case is shown as a
sentence-sized block (who it is for, the answers as the patient reads them, the
outcome it must reach), and changed, added or removed in a form. Like the texts
form (``portal.content.tree_texts``) this writes back through a round-trip YAML
library, so the draft's diff shows only the lines of the case that changed; a
new case is written in the one-line-per-part style of the shipped trees.

A case's name is wording; what it expects, its profile and its answers are
clinical logic (``portal.content.changes``): a change to them raises the tree's
``version:`` (``with_version_raised``), as any logic change must.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml as pyyaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..triage.cases import case_answers, run_cases
from ..triage.engine import AnswerNotOnPath, EmptyChecklist, NoneWithItems, Page, TriageError, UnknownAnswer, walk
from ..triage.model import (
    GENERAL_DANGER,
    NONE,
    PROFILE_QUESTIONS,
    RISK_QUESTIONS,
    AnswerValue,
    Case,
    Checklist,
    Outcome,
    Profile,
    Question,
    Route,
    Text,
    Tree,
    Urgency,
    ticked,
)
from .changes import LOGIC, classify_tree
from .files import read_only_yaml
from .tree_texts import NotATree, dump_round_trip, keep_style, load_round_trip

__all__ = [
    "CaseFields",
    "CaseQuestion",
    "NotATree",
    "Trial",
    "add_case",
    "case_from_walk",
    "case_questions",
    "in_order_asked",
    "left_uncovered",
    "outcome_choices",
    "read_cases",
    "remove_case",
    "replace_case",
    "to_case",
    "trial",
    "with_version_raised",
]


@dataclass(frozen=True)
class CaseFields:
    """One case as the form holds it. ``answers`` keeps the order asked: (question id, value or ticked values)."""

    name: str
    who_for: str
    age_band: str
    sex: str
    answers: tuple[tuple[str, str | tuple[str, ...]], ...]
    outcome: str
    route: str = ""
    urgency: str = ""

    @property
    def profile(self) -> Profile:
        return Profile(who_for=self.who_for or None, age_band=self.age_band or None, sex=self.sex or None)


# --- reading and writing the YAML ---------------------------------------------------------------


def _load(text: str) -> Any:
    try:
        data = load_round_trip(text)
    except Exception as exc:  # ruamel raises many kinds; the raw editor reports the line
        raise NotATree(str(exc)) from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
        raise NotATree("the file is not a tree with cases")
    return data


def _value(raw: Any) -> str | tuple[str, ...]:
    return str(raw) if isinstance(raw, str) else tuple(str(v) for v in raw)


def _fields(raw: Mapping[str, Any]) -> CaseFields:
    profile = raw.get("profile") or {}
    expect = raw.get("expect") or {}
    answers = raw.get("answers") or {}
    return CaseFields(
        name=str(raw.get("name", "")),
        who_for=str(profile.get("who_for", "")),
        age_band=str(profile.get("age_band", "")),
        sex=str(profile.get("sex", "")),
        answers=tuple((str(k), _value(v)) for k, v in answers.items()),
        outcome=str(expect.get("outcome", "")),
        route=str(expect.get("route", "")),
        urgency=str(expect.get("urgency", "")),
    )


def read_cases(text: str) -> list[CaseFields]:
    """The tree's cases, in file order (the form numbers them from 1)."""
    return [_fields(raw) for raw in _load(text)["cases"] if isinstance(raw, Mapping)]


def _plain_scalar(value: str) -> Any:
    """``value`` as it must be written so that the portal's YAML 1.1 reader reads the same string back:
    ``"yes"``, ``"no"``, ``"on"`` and numbers are quoted, everything else is left to the writer."""
    try:
        same = pyyaml.safe_load(value) == value
    except pyyaml.YAMLError:
        same = False
    return value if same else DoubleQuotedScalarString(value)


def _flow_map(pairs: Iterable[tuple[str, Any]]) -> CommentedMap:
    """A ``{key: value, …}`` mapping on one line, as the shipped cases are written."""
    found = CommentedMap()
    for key, value in pairs:
        found[key] = value
    found.fa.set_flow_style()
    return found


def _answer_value(value: str | tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _plain_scalar(value)
    items = CommentedSeq([_plain_scalar(v) for v in value])
    items.fa.set_flow_style()
    return items


def _new_case(fields: CaseFields) -> CommentedMap:
    case = CommentedMap()
    case["name"] = _plain_scalar(fields.name.strip())
    case["profile"] = _flow_map([("who_for", fields.who_for), ("age_band", fields.age_band), ("sex", fields.sex)])
    case["answers"] = _flow_map((k, _answer_value(v)) for k, v in fields.answers)
    case["expect"] = _flow_map([("outcome", fields.outcome), ("route", fields.route), ("urgency", fields.urgency)])
    return case


def _set(mapping: Any, key: str, value: Any) -> None:
    """Change one value of a mapping in place (so the line keeps its layout), only when it differs."""
    if str(mapping.get(key, "")) != str(value):
        mapping[key] = _plain_scalar(value) if isinstance(value, str) else value


def _update(raw: Any, fields: CaseFields) -> None:
    """Write ``fields`` over one case in place: unchanged parts keep their exact text."""
    name = fields.name.strip()
    if str(raw.get("name", "")) != name:
        styled = keep_style(raw.get("name"), name)
        raw["name"] = styled if type(styled) is not str else _plain_scalar(name)
    profile = raw["profile"]
    for key in PROFILE_QUESTIONS:
        _set(profile, key, getattr(fields, key))
    if dict(_fields(raw).answers) != dict(fields.answers):
        old = raw["answers"]
        new = _flow_map(
            (k, old[k] if k in old and _value(old[k]) == v else _answer_value(v)) for k, v in fields.answers
        )
        if not old.fa.flow_style():
            new.fa.set_block_style()
        raw["answers"] = new
    expect = raw["expect"]
    for key, value in (("outcome", fields.outcome), ("route", fields.route), ("urgency", fields.urgency)):
        _set(expect, key, value)


def replace_case(text: str, number: int, fields: CaseFields) -> str:
    """The tree with case ``number`` (1-based) changed; an unchanged form gives back ``text`` itself."""
    data = _load(text)
    cases = data["cases"]
    if not 1 <= number <= len(cases):
        raise IndexError(number)
    if _same(_fields(cases[number - 1]), fields):
        return text
    _update(cases[number - 1], fields)
    return dump_round_trip(data)


def _same(old: CaseFields, new: CaseFields) -> bool:
    """Nothing to write: the same case, answers compared whatever their order."""
    return replace(old, answers=()) == replace(new, name=new.name.strip(), answers=()) and dict(old.answers) == dict(
        new.answers
    )


def add_case(text: str, fields: CaseFields) -> str:
    """The tree with a new case after the last one."""
    data = _load(text)
    data["cases"].append(_new_case(fields))
    return dump_round_trip(data)


def remove_case(text: str, number: int) -> str:
    """The tree without case ``number`` (1-based)."""
    data = _load(text)
    cases = data["cases"]
    if not 1 <= number <= len(cases):
        raise IndexError(number)
    del cases[number - 1]
    return dump_round_trip(data)


def with_version_raised(text: str, old: str | None) -> str:
    """``text`` with its ``version:`` one above ``old``'s when it changes clinical logic against ``old``
    (what patients get now) and has not raised it yet: runs and the evaluation tell the versions apart
    by that number, and the workflow refuses a logic change without it."""
    if old is None:
        return text
    try:
        before, after = read_only_yaml(old), read_only_yaml(text)
        if before is None or after is None:
            return text  # the checks on the draft say what is wrong
        if classify_tree(before, after).kind != LOGIC or int(after["version"]) > int(before["version"]):
            return text
        number = int(before["version"]) + 1
    except (pyyaml.YAMLError, TypeError, KeyError, ValueError):
        return text  # the checks on the draft say what is wrong
    return _version_line_raised(text, after, number) or _version_raised_by_rewriting(text, number)


#: The tree's own ``version:`` as the shipped files and the form editors write it: a top-level key with a
#: plain number and nothing else on its line.
_VERSION_LINE = re.compile(r"^version: (\d+)$", re.MULTILINE)


def _version_line_raised(text: str, after: Any, number: int) -> str | None:
    """``text`` with the number on its ``version:`` line changed, or None when that line is not plainly
    there. Reading and writing the whole tree back costs ~0.2 s of CPU per save, and for a text the
    form editors wrote it gives the same text with that one line changed; here only the line is
    touched, and the result is read back (libyaml, kept by text) to make sure that it is the tree's
    own version that changed and nothing else (a line inside a quoted text would fail that check)."""
    found = list(_VERSION_LINE.finditer(text))
    if len(found) != 1:
        return None
    line = found[0]
    raised = text[: line.start(1)] + str(number) + text[line.end(1) :]
    reread = read_only_yaml(raised)
    if not isinstance(reread, Mapping) or not isinstance(after, Mapping):
        return None
    if reread.get("version") != number or {**after, "version": number} != dict(reread):
        return None
    return raised


def _version_raised_by_rewriting(text: str, number: int) -> str:
    """The general way: read the tree, set its version, write it back (the layout kept by the round trip)."""
    data = _load(text)
    data["version"] = number
    return dump_round_trip(data)


# --- the tree's questions and outcomes, for the form ---------------------------------------------


@dataclass(frozen=True)
class CaseQuestion:
    """A question a case can answer, with the answers it offers (for a checklist: its boxes, "none" last)."""

    question: Question
    part: str  # "screen" (the first two screens), "tree" or "risk"

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def is_checklist(self) -> bool:
        return isinstance(self.question, Checklist)


def case_questions(tree: Tree) -> list[CaseQuestion]:
    """Every question a case of this tree can answer, in the order a patient meets them."""
    found = [CaseQuestion(tree.emergency_screen, "screen")]
    if tree.general_danger is not None:
        found.append(CaseQuestion(tree.general_danger, "screen"))
    found += [CaseQuestion(q, "tree") for q in tree.questions()]
    found += [CaseQuestion(tree.prelude.question(q), "risk") for q in RISK_QUESTIONS]
    return found


def outcome_choices(tree: Tree) -> list[Outcome]:
    """The outcomes a case may expect: the tree's own, then the prelude's (112 and call-now from the first screens)."""
    return [*tree.outcomes(), *(n for n in tree.prelude.nodes.values() if isinstance(n, Outcome))]


def to_case(fields: CaseFields, line: int = 0) -> Case:
    """The model's case for ``fields`` (route and urgency as given; ``trial`` fills them from the outcome)."""
    return Case(
        name=fields.name,
        profile=fields.profile,
        answers={k: (v if isinstance(v, str) else list(v)) for k, v in fields.answers},
        expect_outcome=fields.outcome,
        expect_route=Route(fields.route) if fields.route in {r.value for r in Route} else Route.SELF_CARE,
        expect_urgency=Urgency(fields.urgency) if fields.urgency in {u.value for u in Urgency} else Urgency.U5,
        line=line,
    )


def with_expectation(tree: Tree, fields: CaseFields) -> CaseFields:
    """``fields`` with the route and urgency of the outcome it expects (a case names all three; the outcome decides)."""
    try:
        outcome = tree.node(fields.outcome)
    except KeyError:
        return fields
    if not isinstance(outcome, Outcome):
        return fields
    return replace(fields, route=outcome.route.value, urgency=outcome.urgency.value)


@dataclass(frozen=True)
class Trial:
    """What a case's answers do in the tree: the outcome they reach, or why they do not reach one.

    ``why`` is ``""`` when an outcome is reached; else ``stops`` (more questions are asked: ``questions``),
    ``not_on_path`` (answers to ``questions`` that this path never asks), ``not_offered`` (an answer the
    question does not offer to this profile), ``empty`` (a checklist with nothing ticked), ``none_with_items``
    (a checklist with "none" and a box ticked) or ``error``.
    """

    reached: Outcome | None
    why: str = ""
    questions: tuple[Question, ...] = ()

    def passes(self, fields: CaseFields) -> bool:
        return self.reached is not None and self.reached.id == fields.outcome


def _question(tree: Tree, question_id: str) -> tuple[Question, ...]:
    node = next((q.question for q in case_questions(tree) if q.id == question_id), None)
    return (node,) if node is not None else ()


def trial(tree: Tree, fields: CaseFields) -> Trial:
    """Walk the case's answers through the tree, as ``run_case`` does, and say in data what happens."""
    answers = case_answers(tree, to_case(fields).answers)
    try:
        result = walk(tree, answers, fields.profile)
    except AnswerNotOnPath as exc:
        return Trial(None, "not_on_path", tuple(q for i in exc.question_ids for q in _question(tree, i)))
    except UnknownAnswer as exc:
        return Trial(None, "not_offered", _question(tree, exc.question_id))
    except EmptyChecklist as exc:
        return Trial(None, "empty", _question(tree, exc.question_id))
    except NoneWithItems as exc:
        return Trial(None, "none_with_items", _question(tree, exc.question_id))
    except (TriageError, KeyError, AssertionError):  # KeyError: a draft pointing at a node it lacks
        return Trial(None, "error")
    if isinstance(result.step, Page):
        return Trial(None, "stops", tuple(q for q in result.step.questions if q.id not in answers))
    return Trial(result.step)


def in_order_asked(
    tree: Tree, profile: Profile, answers: Mapping[str, AnswerValue]
) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    """The answers in the order the patient is asked them (as the shipped cases are written); answers the
    walk does not take keep their place after them, so the checks can name them."""
    try:
        asked = walk(tree, answers, profile).asked
    except (TriageError, KeyError, AssertionError):
        asked = ()
    order = [q for q in asked if q in answers] + [q for q in answers if q not in asked]
    return tuple((q, _value(answers[q])) for q in order)


def case_from_walk(
    tree: Tree, name: str, profile: Profile, answers: Mapping[str, AnswerValue]
) -> tuple[CaseFields, Trial]:
    """A new case from a walk in the simulator: the persona, the answers in the order asked, and the
    outcome they reach as what it expects. "None" on the general danger signs is left out, as in the
    shipped cases (a case that does not name it answers "none")."""
    ordered = tuple(
        (question_id, value)
        for question_id, value in in_order_asked(tree, profile, answers)
        if not (question_id == GENERAL_DANGER and ticked(value) == (NONE,))
    )
    fields = CaseFields(
        name=name.strip(),
        who_for=profile.who_for or "",
        age_band=profile.age_band or "",
        sex=profile.sex or "",
        answers=ordered,
        outcome="",
    )
    found = trial(tree, fields)
    if found.reached is not None:
        fields = with_expectation(tree, replace(fields, outcome=found.reached.id))
    return fields, found


# --- what removing a case leaves untested --------------------------------------------------------


@dataclass(frozen=True)
class Uncovered:
    """What no passing case would test any more: outcomes, and red flags as (question, answer label)."""

    outcomes: tuple[Outcome, ...]
    red_flags: tuple[tuple[Question, Text], ...]

    def __bool__(self) -> bool:
        return bool(self.outcomes or self.red_flags)


def _red_flags(tree: Tree) -> list[tuple[Question, str, Text]]:
    flags = [(tree.emergency_screen, a.value, a.label) for a in tree.emergency_signs]
    return flags + [(q, a.value, a.label) for q in tree.questions() for a in q.answers if a.red_flag]


def _covered(tree: Tree, cases: Sequence[Case]) -> tuple[set[str], set[tuple[str, str]]]:
    results = [r for r in run_cases(replace(tree, cases=tuple(cases))) if r.passed]
    outcomes = {r.outcome.id for r in results if r.outcome is not None}
    chosen = {(q, one) for r in results for q, value in r.case.answers.items() for one in ticked(value)}
    return outcomes, chosen


def left_uncovered(tree: Tree, number: int) -> Uncovered:
    """What removing case ``number`` (1-based) would leave without a passing case — the linter's
    ``C-outcome-without-case`` and ``S-red-flag-case`` would then refuse the tree. Only what this case
    alone covers counts: a gap that is there already is not this removal's doing."""
    before_outcomes, before_flags = _covered(tree, tree.cases)
    rest = [c for i, c in enumerate(tree.cases, start=1) if i != number]
    after_outcomes, after_flags = _covered(tree, rest)
    return Uncovered(
        outcomes=tuple(o for o in outcome_choices(tree) if o.id in before_outcomes - after_outcomes),
        red_flags=tuple(
            (question, label)
            for question, value, label in _red_flags(tree)
            if (question.id, value) in before_flags - after_flags
        ),
    )
