"""Structural changes to a tree — add or remove a question, an answer, an outcome; change where an answer leads,
and an outcome's route and urgency.

Editors who are not programmers change a tree's structure through guided forms
instead of YAML. Each function here takes the YAML source of one tree and gives
back the new source, written through a round-trip YAML library: everything the
change does not touch (comments, quotes, layout, the blank line between nodes)
stays byte for byte, so the draft's diff shows just the change. The result is an
ordinary draft text (``portal.editor.workflow.save_draft``): it is linted with
line numbers, its cases run, it is classified as clinical logic
(``portal.content.changes``) and reviewed like any other change.

A change that would leave the tree broken in a way an editor cannot see from
the form is refused with a :class:`StructureError` that lists every
:class:`Mistake`, each with a stable code, the form field it concerns and the
words to say it with; the view translates them. Removing a question or an
outcome that something still leads to is refused and names what does
(:func:`references`), unless the editor points those answers elsewhere first.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

import yaml as pyyaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from ..triage.checks import RESERVED_PAGE_IDS, red_flag_allows, red_flags_reaching
from ..triage.loader import schema
from ..triage.model import DONT_KNOW, NONE, PRELUDE_QUESTIONS, ROUTE_URGENCIES, SOMETHING_ELSE, Route, Tree, Urgency
from .tree_texts import dump_round_trip, load_round_trip

#: What node ids and answer values look like (the tree schema's ``nodeId`` and answer ``value``).
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")
#: Ids a tree may not use: the prelude's questions and the portal's own page names (rule P-reserved-id).
RESERVED_IDS = frozenset({*PRELUDE_QUESTIONS, *RESERVED_PAGE_IDS})
#: Answers that stay at the end of a question, after any answer added later.
ESCAPES = (DONT_KNOW, SOMETHING_ELSE)
#: Little words left out of an id made from a question (Dutch and English).
FILLER = frozenset(
    [
        "de",
        "het",
        "een",
        "u",
        "uw",
        "je",
        "jij",
        "is",
        "er",
        "al",
        "nog",
        "dan",
        "die",
        "dat",
        "deze",
        "dit",
        "of",
        "en",
        "ook",
        "wel",
        "hij",
        "zij",
        "ze",
        "we",
        "wij",
        "heeft",
        "hebt",
        "heb",
        "hebben",
        "bent",
        "ben",
        "zijn",
        "was",
        "kan",
        "kunt",
        "moet",
        "wordt",
        "worden",
        "persoon",
        "the",
        "a",
        "an",
        "is",
        "are",
        "does",
        "do",
        "you",
        "your",
        "have",
        "has",
        "of",
        "or",
        "and",
        "any",
        "there",
        "this",
        "that",
    ]
)
#: Common answer labels and the values the shipped trees give them.
KNOWN_VALUES = {
    "ja": "yes",
    "yes": "yes",
    "nee": "no",
    "no": "no",
    "weet ik niet": DONT_KNOW,
    "ik weet het niet": DONT_KNOW,
    "i don't know": DONT_KNOW,
    "iets anders": SOMETHING_ELSE,
    "something else": SOMETHING_ELSE,
}
#: Where a node can be led to from: the keys of :class:`Reference`.
START, ANSWER, ITEM, NONE_BOX = "start", "answer", "item", "none"
SKIP_TO, RAISE_TO, OUTSIDE_AUDIENCE, EMERGENCY_SIGN = "skip_to", "raise_to", "outside_audience", "emergency_sign"
#: Outcome fields that belong to one route only (rules P-appointment-details, P-social-service, P-self-care-page):
#: they go when an outcome's route changes away from it.
ROUTE_ONLY = {
    "appointment": Route.APPOINTMENT,
    "social_service": Route.SOCIAL_DOMAIN,
    "self_care_page": Route.SELF_CARE,
}


# --- what the forms show -----------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """A text as patients read it, in both languages."""

    nl: str = ""
    en: str = ""

    def get(self, locale: str) -> str:
        """The text in ``locale``, or the Dutch one when that is all there is."""
        return (self.en if locale == "en" else self.nl) or self.nl


@dataclass(frozen=True)
class Lead:
    """One answer, checklist box or 'none of these' box of a question: something that leads somewhere.

    ``key`` names it in forms: ``node/answers/2``, ``node/items/0`` or ``node/none``.
    """

    key: str
    kind: str  # answer | item | none
    node: str
    label: Words
    value: str
    target: str
    red_flag: bool


@dataclass(frozen=True)
class Node:
    """A question, checklist or outcome, named by its patient words, with its answers (for a question)."""

    id: str
    type: str  # question | checklist | outcome
    words: Words
    leads: tuple[Lead, ...] = ()
    route: str = ""
    urgency: str = ""

    @property
    def is_outcome(self) -> bool:
        return self.type == "outcome"


@dataclass(frozen=True)
class Reference:
    """Something that leads to a node: the start, an answer, a skip or a raise. ``key`` is where it sits."""

    kind: str
    key: str
    node: str  # the node it belongs to ('' for the start and the audience)
    node_words: Words
    label: Words = Words()


@dataclass(frozen=True)
class Outline:
    """The tree as the structure forms show it: every node in file order, and where the tree starts."""

    title: Words
    start: str
    nodes: tuple[Node, ...]

    def node(self, node_id: str) -> Node | None:
        return next((node for node in self.nodes if node.id == node_id), None)

    def lead(self, key: str) -> Lead | None:
        return next((lead for node in self.nodes for lead in node.leads if lead.key == key), None)

    @property
    def leads(self) -> tuple[Lead, ...]:
        return tuple(lead for node in self.nodes for lead in node.leads)


# --- what the forms send -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAnswer:
    """An answer (or checklist box) as typed: ``value`` may be empty (it is made from the label)."""

    label_nl: str
    label_en: str
    target: str
    value: str = ""
    red_flag: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.label_nl.strip() or self.label_en.strip() or self.value.strip())


@dataclass(frozen=True)
class NewQuestion:
    """A single-choice question as typed; ``node_id`` may be empty (it is made from the Dutch text)."""

    node_id: str
    text_nl: str
    text_en: str
    answers: tuple[NewAnswer, ...]
    help_nl: str = ""
    help_en: str = ""


@dataclass(frozen=True)
class NewOutcome:
    """An outcome as typed. Advice and safety net are one point per line; appointment details only for that route."""

    node_id: str
    route: str
    urgency: str
    title_nl: str
    title_en: str
    advice_nl: str
    advice_en: str
    safety_net_nl: str = ""
    safety_net_en: str = ""
    timeframe: str = ""
    professional: str = ""
    minutes: str = ""
    social_service: str = ""


@dataclass(frozen=True)
class NewRoute:
    """An outcome's route and urgency as chosen, with the appointment details (only for that route) and the help
    in the neighbourhood (only for the social domain), as strings the way a form sends them."""

    route: str
    urgency: str
    timeframe: str = ""
    professional: str = ""
    minutes: str = ""
    social_service: str = ""

    def relevant(self) -> NewRoute:
        """Only what the route uses: two choices that differ in a detail the route ignores are the same change."""
        appointment = self.route == Route.APPOINTMENT
        return NewRoute(
            self.route,
            self.urgency,
            self.timeframe if appointment else "",
            self.professional if appointment else "",
            self.minutes if appointment else "",
            self.social_service if self.route == Route.SOCIAL_DOMAIN else "",
        )


@dataclass(frozen=True)
class Mistake:
    """One reason a change is refused: ``code`` says which, ``field`` which form field, ``details`` the names."""

    code: str
    field: str = ""
    details: Mapping[str, Any] = default(default_factory=dict)


class StructureError(ValueError):
    """The change is refused; ``mistakes`` says why, each in a form the view can put in the editor's words."""

    def __init__(self, mistakes: Sequence[Mistake]) -> None:
        self.mistakes = tuple(mistakes)
        super().__init__("; ".join(f"{m.code} {m.field} {dict(m.details)}".strip() for m in self.mistakes))


def _refuse(code: str, field: str = "", **details: Any) -> StructureError:
    return StructureError([Mistake(code, field, details)])


# --- reading ---------------------------------------------------------------------------------------


def _load(text: str) -> Any:
    try:
        data = load_round_trip(text)
    except Exception as exc:  # ruamel raises many kinds; the raw editor reports the line
        raise _refuse("unreadable", detail=str(exc)) from exc
    if not isinstance(data, CommentedMap) or not isinstance(data.get("nodes"), CommentedMap):
        raise _refuse("unreadable", detail="the file has no nodes")
    return data


def _text(value: Any) -> Words:
    if isinstance(value, Mapping):
        return Words(str(value.get("nl", "") or ""), str(value.get("en", "") or ""))
    return Words()


def node_words(node: Any) -> Words:
    """What a patient reads first on a node: its question, or its advice title."""
    if not isinstance(node, Mapping):
        return Words()
    for key in ("text", "title"):
        if isinstance(node.get(key), Mapping):
            return _text(node[key])
    return Words()


def _leads(node_id: str, node: Any) -> list[Lead]:
    found: list[Lead] = []
    kind_of = {"answers": ANSWER, "items": ITEM}
    for part, kind in kind_of.items():
        answers = node.get(part)
        if isinstance(answers, list):
            for index, answer in enumerate(answers):
                if isinstance(answer, Mapping):
                    found.append(
                        Lead(
                            f"{node_id}/{part}/{index}",
                            kind,
                            node_id,
                            _text(answer.get("label")),
                            str(answer.get("value", "")),
                            str(answer.get("next", "") or ""),
                            answer.get("red_flag") is True,
                        )
                    )
    none = node.get("none")
    if isinstance(none, Mapping):
        found.append(
            Lead(f"{node_id}/none", NONE_BOX, node_id, _text(none.get("label")), NONE, str(none.get("next", "")), False)
        )
    return found


def outline(text: str) -> Outline:
    """Every node of the tree in file order, with its answers, as the forms show them."""
    return _outline(_load(text))


def _outline(data: Any) -> Outline:
    nodes = []
    for node_id, node in data["nodes"].items():
        if not isinstance(node, Mapping):
            continue
        nodes.append(
            Node(
                str(node_id),
                str(node.get("type", "")),
                node_words(node),
                tuple(_leads(str(node_id), node)),
                str(node.get("route", "") or ""),
                str(node.get("urgency", "") or ""),
            )
        )
    return Outline(_text(data.get("title")), str(data.get("start", "") or ""), tuple(nodes))


def references(text: str, node_id: str) -> list[Reference]:
    """Everything that leads to ``node_id``: the start, answers, boxes, skips, raises and 112 signs, in file order."""
    return _references(_load(text), node_id)


def _references(data: Any, node_id: str) -> list[Reference]:
    found: list[Reference] = []
    if data.get("start") == node_id:
        found.append(Reference(START, "start", "", Words()))
    if data.get("outside_audience") == node_id:
        found.append(Reference(OUTSIDE_AUDIENCE, "outside_audience", "", Words()))
    for index, sign in enumerate(data.get("emergency_signs") or []):
        if isinstance(sign, Mapping) and sign.get("next") == node_id:
            found.append(Reference(EMERGENCY_SIGN, f"emergency_signs/{index}", "", Words(), _text(sign.get("label"))))
    for other_id, node in data["nodes"].items():
        if not isinstance(node, Mapping):
            continue
        words = node_words(node)
        for lead in _leads(str(other_id), node):
            if lead.target == node_id:
                found.append(Reference(lead.kind, lead.key, str(other_id), words, lead.label))
        for key, kind in ((SKIP_TO, SKIP_TO), (RAISE_TO, RAISE_TO)):
            if node.get(key) == node_id:
                found.append(Reference(kind, f"{other_id}/{key}", str(other_id), words))
    return found


def cases_ending_at(text: str, node_id: str) -> list[str]:
    """The names of the cases that expect to end at ``node_id``."""
    return [name for _index, name in _cases_ending_at(_load(text), node_id)]


def outcomes_with_cases(text: str) -> set[str]:
    """The outcomes some case expects to end at (``cases_ending_at`` is not empty for each): one
    reading of the tree for the overview, instead of one per outcome."""
    found: set[str] = set()
    for case in _load(text).get("cases") or []:
        expect = case.get("expect") if isinstance(case, Mapping) else None
        outcome = expect.get("outcome") if isinstance(expect, Mapping) else None
        if isinstance(outcome, str):
            found.add(str(outcome))
    return found


def _cases_ending_at(data: Any, node_id: str) -> list[tuple[int, str]]:
    found = []
    for index, case in enumerate(data.get("cases") or []):
        expect = case.get("expect") if isinstance(case, Mapping) else None
        if isinstance(expect, Mapping) and expect.get("outcome") == node_id:
            found.append((index, str(case.get("name", ""))))
    return found


# --- ids and values ------------------------------------------------------------------------------


def _words_of(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


def _snake(words: list[str], limit: int = 40) -> str:
    name = ""
    for word in words:
        longer = f"{name}_{word}" if name else word
        if len(longer) > limit:
            break
        name = longer
    return name or (words[0][:limit] if words else "")


def _unique(base: str, taken: Iterable[str]) -> str:
    used = set(taken) | RESERVED_IDS
    if base not in used:
        return base
    number = 2
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


def suggest_id(text: str, taken: Iterable[str], fallback: str = "question") -> str:
    """An id for a new node made from its Dutch words ('Heeft de persoon koorts?' → ``koorts``), unused in the tree."""
    words = _words_of(text)
    base = _snake([word for word in words if word not in FILLER][:4]) or _snake(words[:4]) or fallback
    if not base[0].isalpha():
        base = f"{fallback}_{base}"
    return _unique(base[:63], taken)


def suggest_value(label_nl: str, label_en: str, taken: Iterable[str]) -> str:
    """An answer value for the routing log: the usual one for 'Ja', 'Nee', 'Weet ik niet', else made from the
    English label (the shipped trees' values are English)."""
    for label in (label_nl, label_en):
        known = KNOWN_VALUES.get(label.strip().lower().rstrip("."))
        if known:
            return _unique_value(known, taken)
    words = _words_of(label_en) or _words_of(label_nl)
    return _unique_value(_snake(words[:5]) or "answer", taken)


def _unique_value(base: str, taken: Iterable[str]) -> str:
    used = set(taken) | {NONE}
    if base not in used:
        return base
    number = 2
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


def taken_ids(text: str) -> list[str]:
    """The ids of the tree's nodes (a new node needs another)."""
    return [str(key) for key in _load(text)["nodes"]]


# --- writing helpers -------------------------------------------------------------------------------


def _scalar(value: str) -> Any:
    """``value`` quoted when a YAML 1.1 reader (the portal's) would read it as something else ('Yes', 'no', '12')."""
    try:
        plain = pyyaml.safe_load(value) == value
    except pyyaml.YAMLError:
        plain = False
    return value if plain else DoubleQuotedScalarString(value)


def _pair(nl: str, en: str) -> CommentedMap:
    text = CommentedMap()
    text["nl"] = _scalar(nl.strip())
    text["en"] = _scalar(en.strip())
    return text


def _points(value: str) -> list[str]:
    return [line.strip().lstrip("-•").strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


def _list_pair(nl: list[str], en: list[str]) -> CommentedMap:
    text = CommentedMap()
    text["nl"] = CommentedSeq([_scalar(line) for line in nl])
    text["en"] = CommentedSeq([_scalar(line) for line in en])
    return text


def _tail(obj: Any) -> tuple[Any, Any, int] | None:
    """Where the comment after ``obj``'s last line is kept (the blank line between two nodes lives there):
    the innermost last entry, as (container, key, slot in ruamel's comment list)."""
    while isinstance(obj, CommentedMap | CommentedSeq) and obj:
        key: Any = list(obj)[-1] if isinstance(obj, CommentedMap) else len(obj) - 1
        slot = 2 if isinstance(obj, CommentedMap) else 0
        entry = obj.ca.items.get(key)
        child = obj[key]
        if (entry and entry[slot] is not None) or not isinstance(child, CommentedMap | CommentedSeq) or not child:
            return obj, key, slot
        if child.fa.flow_style():
            return obj, key, slot
        obj = child
    return None


def _take_tail(obj: Any) -> str:
    """Take away the blank and comment lines after ``obj`` (its own end-of-line comment stays); returns them."""
    found = _tail(obj)
    if found is None:
        return ""
    holder, key, slot = found
    entry = holder.ca.items.get(key)
    token = entry[slot] if entry else None
    if token is None:
        return ""
    first, _newline, rest = str(token.value).partition("\n")
    token.value = first + "\n"
    return rest


def _give_tail(obj: Any, rest: str) -> None:
    """Put blank or comment lines after ``obj``'s last line."""
    found = _tail(obj)
    if found is None or not rest:
        return
    holder, key, slot = found
    entry = holder.ca.items.setdefault(key, [None, None, None, None])
    if entry[slot] is None:
        entry[slot] = CommentToken("\n" + rest, CommentMark(0), None)
    else:
        first, _newline, _old = str(entry[slot].value).partition("\n")
        entry[slot].value = first + "\n" + rest


def _insert_node(nodes: CommentedMap, after: str | None, node_id: str, node: CommentedMap) -> None:
    """Add ``node`` after the node ``after`` (at the end when None), with a blank line on each side."""
    keys = list(nodes)
    previous = after if after in nodes else keys[-1]
    rest = _take_tail(nodes[previous])
    _give_tail(nodes[previous], "\n")
    nodes.insert(keys.index(previous) + 1, node_id, node)
    _give_tail(node, rest or "\n")


def _remove_item(container: CommentedMap | CommentedSeq, key: Any) -> None:
    """Remove one node or answer; when it was the last one, the lines after it stay after the new last one."""
    is_last = (list(container)[-1] if isinstance(container, CommentedMap) else len(container) - 1) == key
    if is_last and len(container) > 1:
        rest = _take_tail(container[key])
        before = list(container)[-2] if isinstance(container, CommentedMap) else len(container) - 2
        previous = _take_tail(container[before])
        del container[key]
        _give_tail(container[before], rest or previous)
        return
    del container[key]


def _node(data: Any, node_id: str, field: str = "node") -> CommentedMap:
    node = data["nodes"].get(node_id)
    if not isinstance(node, CommentedMap):
        raise _refuse("no_such_node", field, node=node_id)
    return node


def _at(data: Any, key: str) -> tuple[CommentedMap, str]:
    """The answer (or box) a lead key names, and the node it belongs to."""
    parts = key.split("/")
    node_id = parts[0]
    node = data["nodes"].get(node_id)
    try:
        if isinstance(node, CommentedMap) and parts[1:] == ["none"] and isinstance(node.get("none"), CommentedMap):
            return node["none"], node_id
        if isinstance(node, CommentedMap) and len(parts) == 3 and parts[1] in ("answers", "items"):
            answer = node[parts[1]][int(parts[2])]
            if isinstance(answer, CommentedMap):
                return answer, node_id
    except (KeyError, IndexError, ValueError, TypeError):
        pass
    raise _refuse("no_such_answer", "lead")


def _check_target(data: Any, target: str, field: str, mistakes: list[Mistake], outcome_only: bool = False) -> None:
    if not target:
        mistakes.append(Mistake("target_missing", field))
        return
    node = data["nodes"].get(target)
    if not isinstance(node, Mapping):
        mistakes.append(Mistake("no_such_node", field, {"node": target}))
    elif outcome_only and node.get("type") != "outcome":
        mistakes.append(Mistake("raise_needs_outcome", field, {"node": target}))


def _check_id(data: Any, node_id: str, field: str, mistakes: list[Mistake]) -> None:
    if not NODE_ID.match(node_id):
        mistakes.append(Mistake("id_format", field, {"id": node_id}))
    elif node_id in data["nodes"]:
        mistakes.append(Mistake("id_taken", field, {"id": node_id}))
    elif node_id in RESERVED_IDS:
        mistakes.append(Mistake("id_reserved", field, {"id": node_id}))


def _check_pair(nl: str, en: str, field: str, mistakes: list[Mistake]) -> None:
    if not nl.strip():
        mistakes.append(Mistake("text_missing", f"{field}_nl", {"language": "nl"}))
    if not en.strip():
        mistakes.append(Mistake("text_missing", f"{field}_en", {"language": "en"}))


def _answer(answer: NewAnswer, value: str) -> CommentedMap:
    made = CommentedMap()
    made["value"] = _scalar(value)
    if answer.red_flag:
        made["red_flag"] = True
    made["label"] = _pair(answer.label_nl, answer.label_en)
    made["next"] = answer.target
    return made


def _answer_mistakes(
    data: Any, answer: NewAnswer, value: str, taken: Iterable[str], field: str, checklist: bool
) -> list[Mistake]:
    mistakes: list[Mistake] = []
    _check_pair(answer.label_nl, answer.label_en, f"{field}label", mistakes)
    if not VALUE.match(value):
        mistakes.append(Mistake("value_format", f"{field}value", {"value": value}))
    elif checklist and value == NONE:
        mistakes.append(Mistake("value_reserved", f"{field}value", {"value": value}))
    elif value in set(taken):
        mistakes.append(Mistake("value_taken", f"{field}value", {"value": value}))
    _check_target(data, answer.target, f"{field}next", mistakes)
    return mistakes


def _set_lead(data: Any, lead_key: str, target: str) -> None:
    """Point an answer, a box or the start at ``target``."""
    if lead_key == "start":
        data["start"] = target
        return
    answer, _node_id = _at(data, lead_key)
    answer["next"] = target


# --- the changes -----------------------------------------------------------------------------------


def add_question(text: str, question: NewQuestion, lead: str) -> tuple[str, str]:
    """Add a single-choice question that the answer ``lead`` (or ``"start"``) now leads to; returns the new
    source and the question's id. The question is placed after the one whose answer leads to it."""
    data = _load(text)
    mistakes: list[Mistake] = []
    node_id = question.node_id.strip() or suggest_id(question.text_nl, data["nodes"])
    _check_id(data, node_id, "node_id", mistakes)
    _check_pair(question.text_nl, question.text_en, "text", mistakes)
    if bool(question.help_nl.strip()) != bool(question.help_en.strip()):
        _check_pair(question.help_nl, question.help_en, "help", mistakes)
    answers = [(index, answer) for index, answer in enumerate(question.answers) if not answer.is_blank]
    if len(answers) < 2:
        mistakes.append(Mistake("too_few_answers", "answer-0-label_nl"))
    values: list[str] = []
    made = CommentedSeq()
    for index, answer in answers:
        value = answer.value.strip() or suggest_value(answer.label_nl, answer.label_en, values)
        if answer.target == node_id:
            mistakes.append(Mistake("leads_to_itself", f"answer-{index}-next"))
        else:
            mistakes += _answer_mistakes(data, answer, value, values, f"answer-{index}-", checklist=False)
        values.append(value)
        made.append(_answer(answer, value))
    if lead != "start":
        try:
            _at(data, lead)
        except StructureError as exc:
            mistakes += exc.mistakes
    if mistakes:
        raise StructureError(mistakes)
    node = CommentedMap()
    node["type"] = "question"
    node["text"] = _pair(question.text_nl, question.text_en)
    if question.help_nl.strip():
        node["help"] = _pair(question.help_nl, question.help_en)
    node["answers"] = made
    after = None if lead == "start" else lead.split("/")[0]
    _insert_node(data["nodes"], after, node_id, node)
    _set_lead(data, lead, node_id)
    return dump_round_trip(data), node_id


def add_answer(text: str, node_id: str, answer: NewAnswer) -> str:
    """Add an answer to a question (before its 'weet ik niet' and 'iets anders') or a box to the end of a
    checklist."""
    data = _load(text)
    node = _node(data, node_id)
    part = {"question": "answers", "checklist": "items"}.get(str(node.get("type")))
    if part is None or not isinstance(node.get(part), CommentedSeq):
        raise _refuse("not_a_question", "node")
    answers: CommentedSeq = node[part]
    taken = [str(a.get("value")) for a in answers if isinstance(a, Mapping)]
    value = answer.value.strip() or suggest_value(answer.label_nl, answer.label_en, taken)
    mistakes = _answer_mistakes(data, answer, value, taken, "", checklist=part == "items")
    if answer.target == node_id:
        mistakes = [m for m in mistakes if m.field != "next"] + [Mistake("leads_to_itself", "next")]
    if mistakes:
        raise StructureError(mistakes)
    position = len(answers)
    if part == "answers":
        while position > 0 and str(answers[position - 1].get("value")) in ESCAPES:
            position -= 1
    made = _answer(answer, value)
    if position == len(answers):
        rest = _take_tail(answers[-1])
        answers.append(made)
        _give_tail(made, rest)
    else:
        answers.insert(position, made)
    return dump_round_trip(data)


def remove_answer(text: str, lead: str) -> str:
    """Remove an answer of a question or a box of a checklist. A question keeps at least two answers and a
    checklist one box; the 'none of these' box cannot go."""
    data = _load(text)
    _answer_node, node_id = _at(data, lead)
    part = lead.split("/")[1]
    if part == "none":
        raise _refuse("none_fixed", "lead")
    answers = data["nodes"][node_id][part]
    if len(answers) <= (2 if part == "answers" else 1):
        raise _refuse("last_answers", "lead", minimum=2 if part == "answers" else 1)
    _remove_item(answers, int(lead.split("/")[2]))
    return dump_round_trip(data)


def remove_node(text: str, node_id: str, redirect_to: str = "", drop_cases: bool = False) -> str:
    """Remove a question or an outcome. Refused while anything leads to it — unless ``redirect_to`` names the
    node those answers (and skips, raises, the start) should lead to instead. ``drop_cases`` also removes the
    cases that expect to end at it (they could never pass again)."""
    data = _load(text)
    _node(data, node_id)
    found = _references(data, node_id)
    if found and not redirect_to:
        raise _refuse("still_referenced", "redirect_to", references=found)
    if found:
        mistakes: list[Mistake] = []
        if redirect_to == node_id:
            mistakes.append(Mistake("leads_to_itself", "redirect_to"))
        else:
            raises = any(ref.kind in (RAISE_TO, EMERGENCY_SIGN) for ref in found)
            _check_target(data, redirect_to, "redirect_to", mistakes, outcome_only=raises)
        if mistakes:
            raise StructureError(mistakes)
        for ref in found:
            _redirect(data, ref, redirect_to)
    if drop_cases:
        for index, _name in reversed(_cases_ending_at(data, node_id)):
            _remove_item(data["cases"], index)
    _remove_item(data["nodes"], node_id)
    return dump_round_trip(data)


def _redirect(data: Any, ref: Reference, target: str) -> None:
    if ref.kind in (START, OUTSIDE_AUDIENCE):
        data[ref.kind] = target
    elif ref.kind == EMERGENCY_SIGN:
        data["emergency_signs"][int(ref.key.split("/")[1])]["next"] = target
    elif ref.kind in (SKIP_TO, RAISE_TO):
        data["nodes"][ref.node][ref.kind] = target
    else:
        _set_lead(data, ref.key, target)


def _route_mistakes(
    route_value: str,
    urgency_value: str,
    mistakes: list[Mistake],
    route_field: str = "route",
    urgency_field: str = "urgency",
) -> tuple[Route | None, Urgency | None]:
    """The route and urgency as the vocabulary's members, with a mistake for each that is missing or does not fit
    the other (the table ``ROUTE_URGENCIES``, rule P-route-urgency)."""
    route, urgency = _member(Route, route_value), _member(Urgency, urgency_value)
    if route is None:
        mistakes.append(Mistake("route_missing", route_field))
    if urgency is None:
        mistakes.append(Mistake("urgency_missing", urgency_field))
    if route is not None and urgency is not None and urgency not in ROUTE_URGENCIES[route]:
        fitting = ", ".join(sorted(ROUTE_URGENCIES[route]))
        mistakes.append(Mistake("route_urgency", urgency_field, {"route": route.value, "allowed": fitting}))
    return route, urgency


def _detail_mistakes(
    route: Route | None, timeframe: str, professional: str, minutes: str, social_service: str
) -> list[Mistake]:
    """What the route needs besides an urgency: an appointment's when, with whom and how long, or the social
    domain's help in the neighbourhood (the values the tree schema allows)."""
    mistakes: list[Mistake] = []
    if route == Route.APPOINTMENT:
        for name, value in (("timeframe", timeframe), ("professional", professional), ("minutes", minutes)):
            if value not in allowed(name):
                mistakes.append(Mistake(f"{name}_missing", name))
    if route == Route.SOCIAL_DOMAIN and social_service not in allowed("social_service"):
        mistakes.append(Mistake("social_service_missing", "social_service"))
    return mistakes


def _outcome_mistakes(outcome: NewOutcome) -> list[Mistake]:
    mistakes: list[Mistake] = []
    route, _urgency = _route_mistakes(outcome.route, outcome.urgency, mistakes)
    _check_pair(outcome.title_nl, outcome.title_en, "title", mistakes)
    for name, nl, en, needed in (
        ("advice", outcome.advice_nl, outcome.advice_en, True),
        ("safety_net", outcome.safety_net_nl, outcome.safety_net_en, route != Route.EMERGENCY),
    ):
        points_nl, points_en = _points(nl), _points(en)
        if needed or points_nl or points_en:
            if not points_nl:
                mistakes.append(Mistake(f"{name}_missing", f"{name}_nl", {"language": "nl"}))
            if not points_en:
                mistakes.append(Mistake(f"{name}_missing", f"{name}_en", {"language": "en"}))
            if points_nl and points_en and len(points_nl) != len(points_en):
                mistakes.append(Mistake("points_differ", f"{name}_en", {"nl": len(points_nl), "en": len(points_en)}))
    mistakes += _detail_mistakes(
        route, outcome.timeframe, outcome.professional, outcome.minutes, outcome.social_service
    )
    return mistakes


def allowed(name: str) -> tuple[str, ...]:
    """The values the tree schema allows for an outcome's ``social_service`` or an appointment's ``timeframe``,
    ``professional`` and ``minutes`` (as strings, the way a form sends them)."""
    definitions = schema()["$defs"]
    found = definitions["outcome" if name == "social_service" else "appointment"]["properties"][name]["enum"]
    return tuple(str(value) for value in found)


def _member(enum: Any, value: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        return None


def add_outcome(text: str, outcome: NewOutcome, lead: str) -> tuple[str, str]:
    """Add an outcome at the end of the nodes that the answer ``lead`` now leads to; returns the new source and
    the outcome's id. Every outcome needs a case (rule C-outcome-without-case): the form says so afterwards."""
    data = _load(text)
    node_id = outcome.node_id.strip() or suggest_id(outcome.title_nl, data["nodes"], fallback="advice")
    mistakes: list[Mistake] = []
    _check_id(data, node_id, "node_id", mistakes)
    mistakes += _outcome_mistakes(outcome)
    if lead == "start":
        mistakes.append(Mistake("no_such_answer", "lead"))
    else:
        try:
            _at(data, lead)
        except StructureError as exc:
            mistakes += exc.mistakes
    if mistakes:
        raise StructureError(mistakes)
    node = CommentedMap()
    node["type"] = "outcome"
    node["route"] = outcome.route
    node["urgency"] = outcome.urgency
    if outcome.route == Route.APPOINTMENT:
        details = CommentedMap()
        details["timeframe"] = outcome.timeframe
        details["professional"] = outcome.professional
        details["minutes"] = int(outcome.minutes)
        details.fa.set_flow_style()
        node["appointment"] = details
    if outcome.route == Route.SOCIAL_DOMAIN:
        node["social_service"] = outcome.social_service
    node["title"] = _pair(outcome.title_nl, outcome.title_en)
    node["advice"] = _list_pair(_points(outcome.advice_nl), _points(outcome.advice_en))
    if _points(outcome.safety_net_nl):
        node["safety_net"] = _list_pair(_points(outcome.safety_net_nl), _points(outcome.safety_net_en))
    _insert_node(data["nodes"], None, node_id, node)
    _set_lead(data, lead, node_id)
    return dump_round_trip(data), node_id


def set_target(text: str, lead: str, target: str) -> str:
    """Change where an answer, a box or 'none of these' leads."""
    data = _load(text)
    answer, node_id = _at(data, lead)
    mistakes: list[Mistake] = []
    if target == node_id:
        mistakes.append(Mistake("leads_to_itself", "target"))
    else:
        _check_target(data, target, "target", mistakes)
    if not mistakes and answer.get("next") == target:
        mistakes.append(Mistake("unchanged", "target"))
    if mistakes:
        raise StructureError(mistakes)
    answer["next"] = target
    return dump_round_trip(data)


# --- change an outcome's route and urgency -------------------------------------------------------


def _outcome(data: Any, node_id: str) -> CommentedMap:
    node = _node(data, node_id)
    if node.get("type") != "outcome":
        raise _refuse("not_an_outcome", "node", node=node_id)
    return node


def _route_now(node: Mapping[str, Any]) -> NewRoute:
    details = node.get("appointment")
    details = details if isinstance(details, Mapping) else {}
    return NewRoute(
        str(node.get("route", "") or ""),
        str(node.get("urgency", "") or ""),
        str(details.get("timeframe", "") or ""),
        str(details.get("professional", "") or ""),
        str(details.get("minutes", "") or ""),
        str(node.get("social_service", "") or ""),
    )


@dataclass(frozen=True)
class OutcomeRoute:
    """What the route form shows of an outcome: the outcome, its route and details now, the names of the cases
    that end at it, and the red-flag answers from which a patient can end at it."""

    node: Node
    now: NewRoute
    cases: tuple[str, ...]
    red_flags: tuple[Lead, ...] = ()


def outcome_route(text: str, node_id: str, tree: Tree | None = None) -> OutcomeRoute:
    """Everything the form starts from, read in one go. The red flags are found on ``tree`` (the tree loaded from
    ``text``) by the linter's own rule S-red-flag-urgent, raises included; without it there are none to show."""
    data = _load(text)
    node = _outcome(data, node_id)
    found = _outline(data)
    shown = found.node(node_id)
    assert shown is not None
    return OutcomeRoute(
        shown,
        _route_now(node),
        tuple(name for _index, name in _cases_ending_at(data, node_id)),
        tuple(_red_flag_leads(found, tree, node_id)) if tree is not None else (),
    )


def _red_flag_leads(found: Outline, tree: Tree, node_id: str) -> list[Lead]:
    flags = {(question.id, answer.value) for question, answer in red_flags_reaching(tree, node_id)}
    return [lead for lead in found.leads if lead.red_flag and (lead.node, lead.value) in flags]


def _put_after(node: CommentedMap, after: str, key: str, value: Any) -> None:
    """Set ``key`` in place when the node has it, else add it right after ``after``."""
    if key in node:
        if node[key] != value:
            node[key] = value
        return
    keys = list(node)
    node.insert(keys.index(after) + 1 if after in keys else len(keys), key, value)


def set_route(text: str, node_id: str, change: NewRoute, tree: Tree | None = None, update_cases: bool = True) -> str:
    """Change an outcome's route and urgency; only those lines change (and what the route needs or no longer uses).

    The pair must fit (``ROUTE_URGENCIES``). When ``tree`` (the tree loaded from ``text``) is given and a red-flag
    answer can end here, the new pair must be one the linter allows after a red flag (rule S-red-flag-urgent:
    112, urgent or an appointment at U1–U3); without it, the draft's lint still says so. An appointment needs its
    when, with whom and how long; the social domain its help in the neighbourhood; appointment details, help and a
    self-care page go when the new route does not use them. With ``update_cases`` the cases that end here expect
    the new route and urgency (otherwise they fail, and the draft cannot be submitted until they are changed).
    """
    data = _load(text)
    node = _outcome(data, node_id)
    mistakes: list[Mistake] = []
    route, urgency = _route_mistakes(change.route, change.urgency, mistakes, "pair", "pair")
    del mistakes[1:]  # route and urgency are one choice on the form: one thing to fix
    mistakes += _detail_mistakes(route, change.timeframe, change.professional, change.minutes, change.social_service)
    if route is not None and urgency is not None and tree is not None and not red_flag_allows(route, urgency):
        flags = _red_flag_leads(_outline(data), tree, node_id)
        if flags:
            answers = tuple((lead.label, node_words(data["nodes"].get(lead.node))) for lead in flags)
            mistakes.append(Mistake("red_flag_urgency", "pair", {"answers": answers}))
    if not mistakes and change.relevant() == _route_now(node).relevant():
        mistakes.append(Mistake("route_unchanged", "pair"))
    if mistakes:
        raise StructureError(mistakes)
    for key, value in (("route", change.route), ("urgency", change.urgency)):
        if node.get(key) != value:
            node[key] = value
    for key, own_route in ROUTE_ONLY.items():
        if key in node and route != own_route:
            _remove_item(node, key)
    if route == Route.APPOINTMENT:
        details = node.get("appointment")
        if not isinstance(details, CommentedMap):
            details = CommentedMap()
            details.fa.set_flow_style()
            _put_after(node, "urgency", "appointment", details)
        for key, value in (("timeframe", change.timeframe), ("professional", change.professional)):
            _put_after(details, "", key, value)
        _put_after(details, "", "minutes", int(change.minutes))
    if route == Route.SOCIAL_DOMAIN:
        _put_after(node, "urgency", "social_service", change.social_service)
    if update_cases:
        for index, _name in _cases_ending_at(data, node_id):
            expect = data["cases"][index]["expect"]
            for key, value in (("route", change.route), ("urgency", change.urgency)):
                if expect.get(key) != value:
                    expect[key] = value
    return dump_round_trip(data)
