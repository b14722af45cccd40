"""Tree files → model: the tree schema, and the builders that turn checked data into a Tree.

Reading, parsing with lines and schema-checking are the file kernel's
(``portal.content.files``), shared with pages and social maps; this module adds
what is particular to triage files.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from ..content.files import LineDict, read_yaml
from .model import (
    NONE,
    Answer,
    AppointmentDetails,
    Case,
    Checklist,
    Condition,
    Node,
    Outcome,
    Prelude,
    Profile,
    Question,
    Route,
    Text,
    TextList,
    Tree,
    Urgency,
)
from .problems import Problem

SCHEMA_FILE = "tree.schema.json"


@cache
def schema() -> dict[str, Any]:
    """The tree schema shipped in the package (also referenced by every YAML file)."""
    text = resources.files("portal.triage").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# --- building the model from validated data ---------------------------------


def _text(raw: dict[str, str]) -> Text:
    return Text(nl=raw["nl"].strip(), en=raw["en"].strip())


def _text_list(raw: dict[str, list[str]]) -> TextList:
    return TextList(nl=tuple(s.strip() for s in raw["nl"]), en=tuple(s.strip() for s in raw["en"]))


def _condition(raw: dict[str, Any] | None) -> Condition | None:
    if raw is None:
        return None
    ages = raw.get("age_bands")
    sexes = raw.get("sex")
    return Condition(
        age_bands=frozenset(ages) if ages else None,
        sexes=frozenset(sexes) if sexes else None,
    )


def _answer(raw: LineDict) -> Answer:
    return Answer(
        value=raw["value"],
        label=_text(raw["label"]),
        next=raw.get("next"),
        red_flag=raw.get("red_flag", False),
        raises_urgency=raw.get("raises_urgency", False),
        when=_condition(raw.get("when")),
        line=raw.line,
    )


def _node(node_id: str, raw: LineDict, line: int) -> Node:
    if raw["type"] == "question":
        return Question(
            id=node_id,
            text=_text(raw["text"]),
            help=_text(raw["help"]) if "help" in raw else None,
            answers=tuple(_answer(a) for a in raw["answers"]),
            when=_condition(raw.get("when")),
            skip_to=raw.get("skip_to"),
            line=line,
            exhaustive=raw.get("exhaustive", False),
            patient_knows=raw.get("patient_knows", False),
        )
    if raw["type"] == "checklist":
        return _checklist(node_id, raw, line)
    appointment = raw.get("appointment")
    return Outcome(
        id=node_id,
        route=Route(raw["route"]),
        urgency=Urgency(raw["urgency"]),
        title=_text(raw["title"]),
        advice=_text_list(raw["advice"]),
        safety_net=_text_list(raw["safety_net"]) if "safety_net" in raw else None,
        raise_to=raw.get("raise_to"),
        appointment=AppointmentDetails(**appointment) if appointment else None,
        self_care_page=raw.get("self_care_page"),
        social_service=raw.get("social_service"),
        no_messages=bool(raw.get("no_messages", False)),
        line=line,
    )


def _checklist(node_id: str, raw: LineDict, line: int) -> Checklist:
    """Items in listed order, then the 'none of these' box as the answer with value ``none``."""
    none = raw["none"]
    none_answer = Answer(
        value=NONE,
        label=_text(none["label"]),
        next=none.get("next"),
        line=getattr(none, "line", line),
    )
    return Checklist(
        id=node_id,
        text=_text(raw["text"]),
        help=_text(raw["help"]) if "help" in raw else None,
        answers=(*(_answer(a) for a in raw["items"]), none_answer),
        when=_condition(raw.get("when")),
        skip_to=raw.get("skip_to"),
        line=line,
        exhaustive=True,
    )


def _case_answer(value: Any) -> str | list[str]:
    """A case's answer: one value, or a checklist's list of ticked values."""
    return value if isinstance(value, str) else [str(v) for v in value]


def _case(raw: LineDict) -> Case:
    expect = raw["expect"]
    return Case(
        name=raw["name"],
        profile=Profile(**raw["profile"]),
        answers={k: _case_answer(v) for k, v in raw["answers"].items()},
        expect_outcome=expect["outcome"],
        expect_route=Route(expect["route"]),
        expect_urgency=Urgency(expect["urgency"]),
        line=raw.line,
    )


def _nodes(data: LineDict) -> dict[str, Node]:
    nodes = data["nodes"]
    return {node_id: _node(node_id, raw, nodes.key_lines[node_id]) for node_id, raw in nodes.items()}


def build_prelude(path: Path, data: LineDict) -> Prelude:
    return Prelude(
        id=data["id"],
        version=data["version"],
        nodes=_nodes(data),
        cases=tuple(_case(c) for c in data["cases"]),
        path=path,
        review_due=date.fromisoformat(data["review_due"]),
    )


def build_tree(path: Path, data: LineDict, prelude: Prelude) -> Tree:
    nodes = data["nodes"]
    keywords = data.get("keywords", {"nl": [], "en": []})
    return Tree(
        id=data["id"],
        version=data["version"],
        title=_text(data["title"]),
        keywords={lang: tuple(words) for lang, words in keywords.items()},
        sources=tuple(data["sources"]),
        status=data["status"],
        reviewer=data["reviewer"],
        reviewed_on=date.fromisoformat(data["reviewed_on"]),
        review_due=date.fromisoformat(data["review_due"]),
        start=data.get("start", ""),
        nodes=_nodes(data),
        cases=tuple(_case(c) for c in data["cases"]),
        prelude=prelude,
        path=path,
        common=data.get("common"),
        catch_all=data.get("catch_all", False),
        audience=_condition(data.get("audience")),
        outside_audience=data.get("outside_audience"),
        emergency_signs=tuple(_answer(a) for a in data.get("emergency_signs", ())),
        lines={
            "start": data.key_lines.get("start", data.line),
            "audience": data.key_lines.get("audience", data.line),
            "cases": data.key_lines.get("cases", data.line),
            **{node_id: nodes.key_lines[node_id] for node_id in nodes},
        },
    )


def read_file(path: Path, validator: Validator | None = None) -> tuple[LineDict | None, list[Problem]]:
    """Read, parse and schema-check one YAML file (against the tree schema unless another
    validator is given). Data is None when it cannot be built, and read-only otherwise."""
    return read_yaml(path, validator or _validator())
