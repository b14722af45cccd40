"""YAML + JSON Schema → model, with the file and line of every problem.

PyYAML forgets where things came from, so we build mappings and lists that
remember the line of each key and item. That lets a schema error on
``nodes.sore_throat.answers[1].value`` point the editor at line 42.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .model import (
    Answer,
    AppointmentDetails,
    Case,
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


class LineDict(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 1
    key_lines: dict[Any, int]


class LineList(list):
    """A list that remembers its own line and the line of each item."""

    line: int = 1
    item_lines: list[int]


#: libyaml's parser is about three times faster than the pure-Python one: the 31 demo trees
#: load in 0.3 s instead of 1.0 s, at every start and in every test. Same events, same marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps line numbers, reports duplicate keys, and leaves
    dates as text (the schema checks their format)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, int, int]] = []


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if key in data.key_lines:
            loader.duplicates.append((key, key_line, data.key_lines[key]))
        data.key_lines[key] = key_line
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode):  # type: ignore[no-untyped-def]
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


@cache
def schema() -> dict[str, Any]:
    """The tree schema shipped in the package (also referenced by every YAML file)."""
    text = resources.files("portal.triage").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def parse_yaml(path: Path, text: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text; a syntax error, a refused character or a duplicate key becomes a
    Problem with its line. No YAML error escapes: one bad file is refused, the rest keep serving."""
    try:
        data, duplicates = _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or str(exc)
        return None, [Problem(path, line, f"this is not valid YAML: {reason}")]
    except yaml.reader.ReaderError as exc:
        return None, [_unreadable_character(path, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, f"this is not valid YAML: {exc}")]
    problems = [
        Problem(path, line, f"'{key}' appears twice (first on line {first}); ids must be unique")
        for key, line, first in duplicates
    ]
    if data is None:
        problems.append(Problem(path, 1, "the file is empty"))
    return data, problems


def _load(text: str) -> tuple[Any, list[tuple[Any, int, int]]]:
    """The data and the duplicate keys. The pure-Python reader already checks characters
    when it is created, so creating the loader can raise too."""
    loader = _Loader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def _unreadable_character(path: Path, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses (often a control character pasted in from elsewhere), with its line.

    A ReaderError carries no line, only a position, and libyaml counts that position in UTF-8
    bytes, the pure-Python reader in characters. The reader stops at the first unacceptable
    character, so the first occurrence of that character in the text is the one it means.
    """
    code = exc.character if isinstance(exc.character, int) else None
    index = text.find(chr(code)) if code is not None else -1
    if index < 0:
        index = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, index) + 1
    if code is None:
        return Problem(path, line, f"this file cannot be read as YAML: {exc.reason}")
    kind = "control character" if unicodedata.category(chr(code)) == "Cc" else "character"
    return Problem(path, line, f"{kind} U+{code:04X} is not allowed; delete it or type the text again")


def line_of(data: Any, location: Iterable[Any]) -> int:
    """The line of the deepest part of ``location`` we can still find in ``data``."""
    line = getattr(data, "line", 1)
    current = data
    for step in location:
        if isinstance(current, LineDict) and step in current:
            line = current.key_lines.get(step, line)
            current = current[step]
        elif isinstance(current, LineList) and isinstance(step, int) and step < len(current):
            line = current.item_lines[step]
            current = current[step]
        else:
            break
    return line


def _dotted(location: Iterable[Any]) -> str:
    text = ""
    for step in location:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _friendly(error: jsonschema.ValidationError) -> str:
    """Say what a schema error means in words an editor understands."""
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        if missing == "en":
            return "the English text ('en') is missing: every text needs Dutch and English"
        if missing == "nl":
            return "the Dutch text ('nl') is missing: every text needs Dutch and English"
        return f"'{missing}' is required here"
    if error.validator == "type" and isinstance(error.instance, bool):
        return f'{error.instance!r} must be text: YAML reads a bare yes/no as true/false, so put it in quotes ("yes")'
    if error.validator == "additionalProperties":
        return f"{error.message} (check the spelling of the field name)"
    if error.validator == "enum":
        return f"{error.instance!r} is not allowed here; choose one of {error.validator_value}"
    return error.message


def validate_with(validator: jsonschema.Validator, path: Path, data: Any, line_offset: int = 0) -> list[Problem]:
    """Every error ``validator`` finds, as Problems; ``line_offset`` for YAML embedded in a file."""
    problems = []
    for error in validator.iter_errors(data):
        location = list(error.absolute_path)
        where = _dotted(location)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            extra = [key for key in error.instance if key not in allowed]
            location += extra[:1]  # point at the unexpected key itself
        prefix = f"{where}: " if where else ""
        problems.append(Problem(path, line_of(data, location) + line_offset, prefix + _friendly(error)))
    return sorted(set(problems))


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
        )
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
        line=line,
    )


def _case(raw: LineDict) -> Case:
    expect = raw["expect"]
    return Case(
        name=raw["name"],
        profile=Profile(**raw["profile"]),
        answers=dict(raw["answers"]),
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


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """A content file's text, or the reason it cannot be read (as a Problem on its line)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, 1, f"cannot read the file: {exc}")]
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        reason = f"this is not UTF-8 text (byte 0x{content[exc.start]:02X}); save the file as UTF-8"
        return None, [Problem(path, line, reason)]


def read_file(path: Path, validator: jsonschema.Validator | None = None) -> tuple[LineDict | None, list[Problem]]:
    """Read, parse and schema-check one YAML file (against the tree schema unless another
    validator is given). Data is None when it cannot be built."""
    text, problems = read_text(path)
    if text is None:
        return None, problems
    data, problems = parse_yaml(path, text)
    if data is None:
        return None, problems
    problems += validate_with(validator or _validator(), path, data)
    if problems:
        return None, problems
    return data, problems
