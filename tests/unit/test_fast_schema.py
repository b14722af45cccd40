"""The first schema pass (jsonschema-rs) says "valid" exactly when jsonschema finds no error.

``portal.content.fast_schema`` lets jsonschema-rs recognise a valid document so jsonschema's slow
walk is skipped; every message still comes from jsonschema. If jsonschema-rs ever called valid
what jsonschema refuses, a broken file would go live, so these tests compare the two answers on
every shipped tree, prelude, lexicon, page, social map and the documented practice file, and on
thousands of broken variants of them (a key dropped, a wrong type, an unknown key, a bad enum
value or date, a bare yes/no where text belongs, an empty list, ...). And the C YAML reader the
portal uses gives the same data, duplicates and problem lines as PyYAML's pure-Python one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import frontmatter
import jsonschema
import pytest
import yaml

from portal.content import fast_schema, files
from portal.content.fast_schema import fast_validator, is_plain_json, schema_errors
from portal.content.files import check_yaml, parse_yaml, read_yaml, validate_with
from portal.pages.loader import _validator as page_validator
from portal.practice_file import _VALIDATOR as PRACTICE_VALIDATOR
from portal.practice_file import read_practices
from portal.triage import lexicon
from portal.triage.loader import _validator as tree_validator
from tests.conftest import REPO, RULES

PAGES = REPO / "content" / "pages"
SOCIAL_MAPS = REPO / "content" / "social_map"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Doc = tuple[str, jsonschema.Draft202012Validator, Any]


def _yaml(path: Path, validator: jsonschema.Draft202012Validator) -> Any:
    """The file's data as the portal reads it (read-only, from the parse cache)."""
    data, problems = read_yaml(path, validator)
    assert not problems, problems
    return data


def _front_matter(path: Path, validator: jsonschema.Draft202012Validator) -> Any:
    front, _body = frontmatter.YAMLHandler().split(path.read_text("utf-8"))
    data, problems = check_yaml(path, front, validator)
    assert not problems, problems
    return data


def _documented_practices() -> list[Any]:
    """The practice file in docs/practices.md, the one an operator copies."""
    text = (REPO / "docs" / "practices.md").read_text("utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.DOTALL)
    assert block
    return tomllib.loads(re.sub(r"(?m)^   ", "", block.group(1)))["practice"]


@cache
def shipped() -> tuple[Doc, ...]:
    """Every shipped content document with the validator the portal checks it with, smallest
    first (so the variants below are made from the smallest document that has each shape)."""
    docs: list[Doc] = []
    for path in RULES.glob("*.yaml"):
        validator = lexicon._VALIDATOR if path.name == lexicon.LEXICON_FILE else tree_validator()
        docs.append((path.name, validator, _yaml(path, validator)))
    docs += [
        (path.name, page_validator("page"), _front_matter(path, page_validator("page"))) for path in PAGES.glob("*.md")
    ]
    maps = page_validator("social_map")
    docs += [(path.name, maps, _yaml(path, maps)) for path in SOCIAL_MAPS.glob("*.yaml")]
    docs += [(f"practices.md {i}", PRACTICE_VALIDATOR, entry) for i, entry in enumerate(_documented_practices())]
    return tuple(sorted(docs, key=lambda doc: (len(repr(doc[2])), doc[0])))


def no_errors(validator: jsonschema.Draft202012Validator, data: Any) -> bool:
    """jsonschema's answer (what the portal reported before the first pass existed)."""
    return next(iter(validator.iter_errors(data)), None) is None


def fast_says_valid(validator: jsonschema.Draft202012Validator, data: Any) -> bool:
    fast = fast_validator(validator)
    assert fast is not None, "the first pass must serve every schema the portal ships"
    return bool(fast.is_valid(data))


# --- broken variants -----------------------------------------------------------------


def _property_names(schema: Any) -> set[str]:
    """Every key the schema names under ``properties``/``required``: a document key that is not
    one of them is an id (a node, a term), and ids of the same shape are variants of one thing."""
    names: set[str] = set()
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("properties"), dict):
                names.update(item["properties"])
            if isinstance(item.get("required"), list):
                names.update(item["required"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


def _wrong_values(value: Any) -> list[tuple[str, Any]]:
    """What an editor might write instead of ``value`` (each with a name): another type, nothing,
    a bare yes/no, a value outside an enum, a bad date, an empty list, a repeated item, a key
    left out or misspelt."""
    if isinstance(value, bool):
        return [("text", "yes"), ("number", 1), ("null", None), ("the other boolean", not value)]
    if isinstance(value, int):
        return [("text", str(value)), ("fraction", value + 0.5), ("0", 0), ("true", True), ("null", None)]
    if isinstance(value, float):
        return [("text", str(value)), ("whole", 1), ("null", None)]
    if isinstance(value, str):
        wrong: list[tuple[str, Any]] = [
            ("number", 1),
            ("bare yes", True),
            ("null", None),
            ("empty", ""),
            ("not in the enum", "zz not allowed"),
            ("long", "x" * 300),
            ("list", [value]),
        ]
        if DATE.match(value):
            wrong += [
                ("no such day", "2026-02-30"),
                ("no such month", "2026-13-01"),
                ("short month", "2026-1-01"),
                ("Dutch order", "01-01-2026"),
                ("with a time", "2026-01-01T10:00:00"),
                ("leap day", "2024-02-29"),
            ]
        return wrong
    if isinstance(value, list):
        wrong = [
            ("empty", []),
            ("text", "text"),
            ("number item", [*value, 12345]),
        ]
        if value:
            wrong += [("repeated item", [*value, value[0]]), ("one item", value[:1]), ("odd item", [{"zz_unknown": 1}])]
        return wrong
    if isinstance(value, dict):
        return [
            ("empty", {}),
            ("text", "text"),
            ("null", None),
            ("unknown key", {**value, "zz_unknown": "x"}),
            *((f"without {key}", {k: v for k, v in value.items() if k != key}) for key in value),
        ]
    return [("text", "text"), ("number", 1), ("object", {})]


def _replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    """``doc`` with the value at ``path`` replaced, copying only the containers on the way."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replaced(doc[head], rest, new)
    return copy


def _pruned(value: Any, path: tuple[Any, ...], names: set[str]) -> Any:
    """``value`` with only what leads to ``path`` kept of its id maps (one node instead of thirty)
    and at most two items of its other lists: each variant is then checked in a small document,
    and a tree walked in full by jsonschema for each of thousands of variants would take minutes.
    The parts removed were valid; everything the schema says about the part kept still applies."""
    head = path[0] if path else None
    if isinstance(value, dict):
        ids = [key for key in value if key not in names]
        kept = {head} if head in ids else set(ids[:1])
        return {
            key: _pruned(item, path[1:] if key == head else (), names)
            for key, item in value.items()
            if key in names or key in kept
        }
    if isinstance(value, list):
        return [
            _pruned(item, path[1:] if index == head else (), names)
            for index, item in enumerate(value)
            if index < 2 or (isinstance(head, int) and index <= head)  # positions on the path stay
        ]
    return value


def _walk(data: Any, names: set[str]) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...], Any]]:
    """(path, general path, value) of every part of ``data``. The general path names ids and list
    positions by the ``type`` of what they hold, so the same field of another question, or of
    another answer, has the same general path."""
    stack: list[tuple[tuple[Any, ...], tuple[Any, ...], Any]] = [((), (), data)]
    while stack:
        path, general, value = stack.pop()
        yield path, general, value
        if isinstance(value, dict):
            for key, item in value.items():
                stack.append(((*path, key), (*general, key if key in names else f"*{_kind(item)}"), item))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append(((*path, index), (*general, f"[]{_kind(item)}"), item))


def _kind(item: Any) -> str:
    return f":{item['type']}" if isinstance(item, dict) and isinstance(item.get("type"), str) else ""


@cache
def variants() -> tuple[Doc, ...]:
    """Broken (and some still valid) variants of the shipped documents: every wrong value above
    for every field of every kind of document and node, made in the smallest document that has it."""
    seen: set[tuple[int, tuple[Any, ...], str, str]] = set()
    found: list[Doc] = []
    for name, validator, data in shipped():
        names = _property_names(validator.schema)
        for path, general, value in _walk(data, names):
            labels = {label for label, _wrong in _wrong_values(value)}
            labels -= {label for label in labels if (id(validator), general, type(value).__name__, label) in seen}
            if not labels:
                continue
            seen.update((id(validator), general, type(value).__name__, label) for label in labels)
            host = _pruned(data, path, names)
            assert fast_says_valid(validator, host), name
            kept = host
            for step in path:
                kept = kept[step]
            wrong_values = [(label, wrong) for label, wrong in _wrong_values(kept) if label in labels]
            where = ".".join(map(str, path))
            found += [
                (f"{name} {where}: {label}", validator, _replaced(host, path, wrong)) for label, wrong in wrong_values
            ]
    return tuple(found)


# --- the first pass agrees with jsonschema ----------------------------------------------


def test_every_shipped_document_is_valid_for_both():
    docs = shipped()
    assert len(docs) >= 150  # 58 trees and the prelude, the lexicon, 96 pages, 2 social maps, a practice
    assert [name for name, validator, data in docs if not no_errors(validator, data)] == []
    assert [name for name, validator, data in docs if not fast_says_valid(validator, data)] == []


@cache
def answers() -> tuple[tuple[str, bool, str | None], ...]:
    """For each variant: whether the first pass calls it valid, and the keyword of jsonschema's
    first error (None: jsonschema finds none)."""
    found = []
    for name, validator, data in variants():
        error = next(iter(validator.iter_errors(data)), None)
        found.append((name, fast_says_valid(validator, data), None if error is None else str(error.validator)))
    return tuple(found)


def test_both_give_the_same_answer_for_every_broken_variant():
    found = answers()
    assert len(found) > 2000
    assert [name for name, fast_valid, error in found if fast_valid != (error is None)] == []
    refused = sum(error is not None for _name, _fast_valid, error in found)
    assert refused > len(found) * 0.75  # the variants are mostly broken ones, not harmless ones


def test_every_kind_of_schema_error_is_among_the_variants():
    """The variants reach every keyword the schemas use to refuse something (so a keyword the
    first pass got wrong would show up above)."""
    keywords = {error for _name, _fast_valid, error in answers() if error is not None}
    assert {
        "required",
        "type",
        "additionalProperties",
        "enum",
        "format",
        "minItems",
        "minLength",
        "pattern",
    } <= keywords
    assert {"const", "uniqueItems"} & keywords


def test_a_broken_document_gets_jsonschemas_own_messages_and_lines():
    validator = tree_validator()
    text = (RULES / "keelpijn.yaml").read_text("utf-8")
    broken = text.replace("urgency: U5", "urgency: U9", 1).replace("reviewed_on: ", "reviewed_on: 2026-02-30 #", 1)
    data, _ = parse_yaml(Path("keelpijn.yaml"), broken)
    slow = _problems_without_first_pass(validator, data, Path("keelpijn.yaml"))
    assert slow  # it is broken
    assert validate_with(validator, Path("keelpijn.yaml"), data) == slow


def _problems_without_first_pass(validator: jsonschema.Draft202012Validator, data: Any, path: Path) -> list[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_schema, "_fast_says_valid", lambda _validator, _data: False)
        return validate_with(validator, path, data)


def test_the_portals_problems_are_unchanged_for_broken_variants():
    """What an editor sees, message and line, for a sample of the variants, with and without the first pass."""
    for _name, validator, data in variants()[::50]:
        assert validate_with(validator, Path("x.yaml"), data) == _problems_without_first_pass(
            validator, data, Path("x.yaml")
        )


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "string", "pattern": "^[a-z]+$"}, "abc\n"),  # Python's $ also matches before a final newline
        ({"type": "string", "pattern": r"^\d{4}$"}, "\u0662\u0660\u0662\u0666"),  # Python's \d takes Arabic digits
    ],
)
def test_where_the_first_pass_is_stricter_jsonschema_answers(schema, value):
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert no_errors(validator, value)
    assert not fast_says_valid(validator, value)
    assert list(schema_errors(validator, value)) == []


def test_what_is_not_plain_json_goes_to_jsonschema():
    """YAML can make tuples (!!omap), sets, bytes and dates; jsonschema-rs counts a tuple as an
    array where jsonschema does not, so only plain JSON gets the first pass."""
    validator = jsonschema.Draft202012Validator(
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "array"}}}}
    )
    pairs = yaml.safe_load("a: !!omap [{x: 1}]")  # a list of (key, value) tuples
    assert fast_says_valid(validator, pairs)  # the disagreement this guards against
    assert not is_plain_json(pairs)
    assert [error.validator for error in schema_errors(validator, pairs)] == ["type"]
    for value in ({1: "a"}, {"a": {1, 2}}, {"a": b"x"}, {"a": float("nan")}, {"a": 2**60}, {"a": (1,)}):
        assert not is_plain_json(value)
        assert _described(schema_errors(validator, value)) == _described(validator.iter_errors(value))
    assert is_plain_json({"a": [1, 2.5, "x", None, True, {"b": []}]})


def test_the_first_pass_stays_away_where_it_could_disagree():
    checker = jsonschema.FormatChecker(["date"])
    assert fast_validator(jsonschema.Draft202012Validator({"format": "date"}, format_checker=checker)) is None
    email = jsonschema.Draft202012Validator(
        {"format": "email"}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert fast_validator(email) is None
    assert fast_validator(jsonschema.Draft7Validator({"type": "string"})) is None
    assert fast_validator(jsonschema.Draft202012Validator({"$ref": "https://example.org/elsewhere.json"})) is None
    assert _described(schema_errors(email, "not an address")) == _described(email.iter_errors("not an address"))
    assert _described(email.iter_errors("not an address"))  # jsonschema refuses it, so the first pass must not answer


def _described(errors: Iterator[jsonschema.ValidationError]) -> list[tuple[str, list[Any], str]]:
    return [(error.message, list(error.absolute_path), str(error.validator)) for error in errors]


# --- the C YAML reader gives what the pure-Python one gives ------------------------------


class _PureLoader(yaml.SafeLoader):
    """The portal's loader on PyYAML's pure-Python parser: same constructors and resolvers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, int, int]] = []


_PureLoader.yaml_implicit_resolvers = files._Loader.yaml_implicit_resolvers
_PureLoader.yaml_constructors = files._Loader.yaml_constructors


def _lines(value: Any) -> Any:
    """The data with every line mark the portal keeps, for comparing two readings."""
    if isinstance(value, files.LineDict):
        return ("map", value.line, dict(value.key_lines), {k: _lines(v) for k, v in value.items()})
    if isinstance(value, files.LineList):
        return ("seq", value.line, list(value.item_lines), [_lines(v) for v in value])
    return (type(value).__name__, value)


def _both(text: str) -> tuple[Any, Any]:
    path = Path("x.yaml")
    c_data, c_problems = parse_yaml(path, text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files, "_Loader", _PureLoader)
        pure_data, pure_problems = parse_yaml(path, text)
    return (_lines(c_data), c_problems), (_lines(pure_data), pure_problems)


def test_the_portal_reads_yaml_with_libyaml():
    assert yaml.__with_libyaml__ and issubclass(files._Loader, yaml.CSafeLoader)


def _events(text: str, loader: type) -> list[tuple[Any, ...]]:
    """What a parser saw, with where: every event's kind, anchor, tag, value and marks."""
    return [
        (
            type(event).__name__,
            getattr(event, "anchor", None),
            getattr(event, "tag", None),
            getattr(event, "implicit", None),
            getattr(event, "value", None),
            event.start_mark.line,
            event.start_mark.column,
            event.end_mark.line,
            event.end_mark.column,
        )
        for event in yaml.parse(text, Loader=loader)
    ]


def test_every_shipped_file_reads_the_same_with_both_parsers():
    """The prelude, the lexicon, the social maps, the pages and the largest tree give the same
    data, lines and duplicates with both parsers. The portal read with libyaml before the first
    pass came (``test_the_portal_reads_yaml_with_libyaml``); this pins that choice on the kinds of
    file it reads, not on each of the 57 other trees (their pure-Python reading took 3 s here)."""
    trees = sorted(RULES.glob("*.yaml"), key=lambda path: path.stat().st_size)
    shared = [path for path in trees if path.name.startswith("_")]
    complaints = [path for path in trees if not path.name.startswith("_")]
    whole = [*shared, complaints[-1], *SOCIAL_MAPS.glob("*.yaml")]
    fronts = [frontmatter.YAMLHandler().split(path.read_text("utf-8"))[0] for path in PAGES.glob("*.md")]
    assert len(shared) == 2 and len(whole) == 5 and len(complaints) + len(whole) + len(fronts) > 150
    for text in [*fronts, *(path.read_text("utf-8") for path in whole)]:
        c, pure = _both(text)
        assert c == pure
    smallest = complaints[0].read_text("utf-8")
    assert _events(smallest, yaml.CSafeLoader) == _events(smallest, yaml.SafeLoader)


AWKWARD = [
    "a: 1\nb: 2\na: 3\n",  # duplicate key
    "nodes:\n  x: {}\n  y: {}\n  x: {}\n",
    "a: [1, 2\n",  # unclosed flow sequence
    "a: 'open\n",
    "a:\n  - 1\n - 2\n",  # bad indentation
    "a: b: c\n",
    "\ta: 1\n",  # a tab
    "a: 1\n---\nb: 2\n",  # two documents
    "",
    "# only a comment\n",
    "a: &x {b: 1}\nc: *x\nd: {<<: *x, e: 2}\n",  # anchor, alias, merge key
    "a: *nowhere\n",
    "a: yes\nb: No\nc: on\nd: ~\ne: 0o17\nf: 017\ng: 0x1F\nh: 1_000\ni: .inf\nj: -.nan\nk: 1e3\nl: 12:30\n",
    "a: 2026-02-30\nb: 2026-01-01 10:00:00\nc: !!timestamp 2026-01-01\n",
    "a: !!set {x, y}\nb: !!omap [{x: 1}, {y: 2}]\nc: !!pairs [{x: 1}]\nd: !!binary aGVsbG8=\n",
    "a: !!python/object:os.system x\n",
    "a: !unknown x\n",
    "? [1, 2]\n: complex key\n",
    "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n",
    "title:\n  nl: Keelpijn é€\n  en: Sore throat\nid: x\x07\n",  # a control character after accented text
    "a: \ufeffb\n",
    "a: \u2028b\n",
    "- a\n- b: [c, {d: e}]\n-\n",
    "a: b\n  c: d\n",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_and_broken_yaml_reads_the_same_with_both_parsers(text):
    (c_data, c_problems), (pure_data, pure_problems) = _both(text)
    assert c_data == pure_data
    assert [(p.line, p.is_error) for p in c_problems] == [(p.line, p.is_error) for p in pure_problems]


def test_a_list_as_a_key_is_a_problem_on_its_line_not_an_exception():
    """Before: a key written as a list ("? [a, b]") raised TypeError out of parse_yaml."""
    data, problems = parse_yaml(Path("x.yaml"), "id: x\n? [1, 2]\n: complex key\n")
    assert data is None
    assert [(p.line, p.message) for p in problems] == [(2, "this is not valid YAML: found unhashable key")]


def test_an_escaped_lone_surrogate_is_refused_by_the_c_reader():
    """The one difference found between the readers: PyYAML's pure-Python reader accepts
    "\\ud800" (half a character, which cannot be stored or shown); libyaml refuses it, on its line."""
    (c_data, c_problems), (pure_data, _pure_problems) = _both('id: x\ntitle: "\\ud800"\n')
    assert pure_data[3]["title"] == ("str", "\ud800")
    assert c_data == ("NoneType", None)
    assert [(p.line, p.message) for p in c_problems] == [
        (2, "this is not valid YAML: found invalid Unicode character escape code")
    ]


def test_practice_file_problems_are_jsonschemas(tmp_path):
    path = tmp_path / "practices.toml"
    path.write_text('[[practice]]\nslug = "Staff"\nname = "X"\nphone = "abc"\n', "utf-8")
    practices, problems = read_practices(path)
    assert practices == []
    entry = tomllib.loads(path.read_text("utf-8"))["practice"][0]
    expected = [error.message for error in PRACTICE_VALIDATOR.iter_errors(entry)]
    assert len(expected) > 3 and problems == [f"{path}: practice 1 (Staff): {message}" for message in expected]


def test_the_first_pass_is_remembered_per_validator():
    validator = tree_validator()
    assert fast_validator(validator) is fast_validator(validator)
    built: list[Callable[..., Any]] = []
    with pytest.MonkeyPatch.context() as patch:
        original = fast_schema._build
        patch.setattr(fast_schema, "_build", lambda v: built.append(v) or original(v))
        fast_validator(validator)
    assert built == []
