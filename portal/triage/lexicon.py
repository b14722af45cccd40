"""The lay lexicon: the words patients type, mapped to the complaints they mean.

Tree keywords are written by the tree's author and stay short; patients type
disease names ("gordelroos"), whole sentences ("mijn kind spuugt") and
misspellings. ``triage_rules/_lexicon.yaml`` keeps those words as data beside
the trees, so an editor adds a word without touching a tree (and without bumping
its version), and the linter checks that every word still points at a tree.
It also holds the body-part groups for patients who cannot name their complaint.

The file is one live content file like the trees (``portal.content.live``): a
broken version is refused and search keeps the last good one. Plain Python.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema

from ..content.files import read_yaml
from ..content.live import Kind, Loaded, Snapshot
from .model import Text
from .problems import Problem, Rule, Severity

LEXICON_FILE = "_lexicon.yaml"
LANGUAGES = ("nl", "en")

#: The lexicon's rules, with ids like the tree rules (``portal.triage.checks.RULES``).
LEXICON_RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("C-lexicon-unknown-tree", "Every tree the lexicon names (under `terms` or in a body part) exists."),
        Rule("C-lexicon-empty", "Every lexicon entry has `nl` and `en` terms; no list is empty."),
        Rule(
            "C-lexicon-duplicate",
            "A term is listed under one tree only, unless `shared` names it with a reason.",
        ),
        Rule(
            "C-lexicon-unplaced",
            "Every complaint is in at least one body part, so patients who cannot name it can browse to it.",
            Severity.WARNING,
        ),
    )
}
UNKNOWN_TREE = LEXICON_RULES["C-lexicon-unknown-tree"]
EMPTY = LEXICON_RULES["C-lexicon-empty"]
DUPLICATE = LEXICON_RULES["C-lexicon-duplicate"]
UNPLACED = LEXICON_RULES["C-lexicon-unplaced"]

_TEXT = {
    "type": "object",
    "required": list(LANGUAGES),
    "properties": {lang: {"type": "string", "minLength": 1} for lang in LANGUAGES},
    "additionalProperties": False,
}
_TERMS = {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "terms"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "lexicon"},
        "body_parts": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["label", "trees"],
                "additionalProperties": False,
                "properties": {"label": _TEXT, "trees": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "shared": {"type": ["object", "null"], "additionalProperties": {"type": "string", "minLength": 1}},
        "terms": {
            "type": "object",
            "additionalProperties": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {lang: _TERMS for lang in LANGUAGES},
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Term:
    """One lay word or phrase for one tree, with the line an editor jumps to."""

    text: str
    language: str
    tree_id: str
    line: int


@dataclass(frozen=True)
class BodyPart:
    """A group of complaints by where they are felt ("Buik"), for browsing."""

    slug: str
    label: Text
    tree_ids: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Lexicon:
    path: Path
    terms: tuple[Term, ...]
    body_parts: tuple[BodyPart, ...]
    shared: Mapping[str, str]
    tree_lines: Mapping[str, int]

    def for_tree(self, tree_id: str, language: str) -> tuple[str, ...]:
        return self._by_tree.get((tree_id, language), ())

    @cached_property
    def _by_tree(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """The terms by tree and language, in file order: the search index asks for every
        tree's, and looking through every term each time was most of building the index."""
        found: dict[tuple[str, str], list[str]] = {}
        for term in self.terms:
            found.setdefault((term.tree_id, term.language), []).append(term.text)
        return {key: tuple(texts) for key, texts in found.items()}

    def body_part(self, slug: str) -> BodyPart | None:
        return next((part for part in self.body_parts if part.slug == slug), None)


EMPTY_LEXICON = Lexicon(Path(LEXICON_FILE), (), (), {}, {})


def build_lexicon(path: Path, data: Any) -> Lexicon:
    """The lexicon of schema-valid data, with the line of every term."""
    terms: list[Term] = []
    entries = data["terms"]
    for tree_id, entry in entries.items():
        for language in LANGUAGES:
            found = (entry or {}).get(language) or []
            lines = getattr(found, "item_lines", [entries.key_lines.get(tree_id, 1)] * len(found))
            terms += [Term(text, language, tree_id, line) for text, line in zip(found, lines, strict=False)]
    parts = data.get("body_parts") or {}
    body_parts = tuple(
        BodyPart(slug, _text(part["label"]), tuple(part["trees"]), _line_of(parts, slug))
        for slug, part in parts.items()
    )
    return Lexicon(
        path,
        tuple(terms),
        body_parts,
        dict(data.get("shared") or {}),
        dict(entries.key_lines),
    )


def _line_of(mapping: Any, key: str) -> int:
    return int(getattr(mapping, "key_lines", {}).get(key, 1))


def _text(label: Any) -> Text:
    return Text(nl=label["nl"], en=label["en"])


def load_lexicon(path: Path, _today: date, _context: object = None) -> Loaded[Lexicon]:
    """Read and check one lexicon file on its own (the trees it names are checked later)."""
    data, problems = read_yaml(path, _VALIDATOR)
    if data is None:
        return Loaded(None, tuple(problems))
    built = _BUILT.get(id(data))
    if built is None or built[0] is not data:
        lexicon = build_lexicon(path, data)
        found = (*_empty_entries(lexicon, data["terms"]), *_duplicates(lexicon))
        built = (data, lexicon, found)
        with _BUILT_LOCK:
            _BUILT[id(data)] = built
            while len(_BUILT) > _BUILT_KEPT:
                del _BUILT[next(iter(_BUILT))]
    _data, lexicon, own = built
    if lexicon.path != path:  # the same text in another directory (another app, the linter)
        lexicon = replace(lexicon, path=path)
        own = tuple(replace(p, path=path) for p in own)
    return Loaded(None if any(p.is_error for p in own) else lexicon, own)


#: What each lexicon text gave, by the parsed data (one read-only object per text, from the
#: parse cache; held here, so its ``id`` is not reused while the entry lives). Every app a
#: test builds loads the same lexicon, and its duplicate check normalises every term.
_BUILT: dict[int, tuple[Any, Lexicon, tuple[Problem, ...]]] = {}
_BUILT_KEPT = 16
_BUILT_LOCK = threading.Lock()


def _empty_entries(lexicon: Lexicon, entries: Any) -> Iterable[Problem]:
    for tree_id, entry in entries.items():
        for language in LANGUAGES:
            if not (entry or {}).get(language):
                yield EMPTY.problem(
                    lexicon.path, lexicon.tree_lines.get(tree_id, 1), f"'{tree_id}' has no {language} terms"
                )


def _duplicates(lexicon: Lexicon) -> Iterable[Problem]:
    """The same term (without case or diacritics) under two trees, unless ``shared`` explains it."""
    from .search import normalise  # search imports this module's types; import here to avoid a cycle

    shared = {normalise(term) for term in lexicon.shared}
    first: dict[str, Term] = {}
    for term in lexicon.terms:
        key = " ".join(normalise(term.text).split())
        earlier = first.setdefault(key, term)
        if earlier.tree_id != term.tree_id and key not in shared:
            yield DUPLICATE.problem(
                lexicon.path,
                term.line,
                f"term '{term.text}' is listed under '{earlier.tree_id}' (line {earlier.line}) and '{term.tree_id}'; "
                "keep it under one tree, or list it under `shared` with the reason",
            )


def check_against_trees(lexicon: Lexicon, tree_ids: Collection[str], catch_all: Collection[str] = ()) -> list[Problem]:
    """What only the trees show: names of trees that do not exist, complaints in no body part
    (the catch-all tree is not a complaint: it is offered when nothing fits)."""
    if not tree_ids:
        return []
    problems = [
        UNKNOWN_TREE.problem(lexicon.path, line, f"there is no tree '{tree_id}' (terms for a tree that is gone)")
        for tree_id, line in lexicon.tree_lines.items()
        if tree_id not in tree_ids
    ]
    for part in lexicon.body_parts:
        problems += [
            UNKNOWN_TREE.problem(lexicon.path, part.line, f"body part '{part.slug}' names no tree '{tree_id}'")
            for tree_id in part.tree_ids
            if tree_id not in tree_ids
        ]
    placed = {tree_id for part in lexicon.body_parts for tree_id in part.tree_ids}
    if lexicon.body_parts:
        problems += [
            UNPLACED.problem(lexicon.path, 1, f"tree '{tree_id}' is in no body part")
            for tree_id in sorted(tree_ids)
            if tree_id not in placed and tree_id not in catch_all
        ]
    return problems


def lexicon_kind(rules_dir: Path) -> Kind[Lexicon]:
    """The lexicon as one kind of live content file (none when the directory has no lexicon)."""

    def files(snapshot: Snapshot) -> list[Path]:
        path = rules_dir / LEXICON_FILE
        # A version published in the browser (``portal.contentlib``) counts even when the file is gone.
        return [path] if path.exists() or path in snapshot.sources else []

    return Kind("lexicon", files, load_lexicon)


def cross_check(
    snapshot: Snapshot, kind: Kind[Lexicon], tree_ids: Collection[str], catch_all: Collection[str] = ()
) -> dict[Path, list[Problem]]:
    """The lexicon's problems against the trees of this snapshot."""
    return {
        path: check_against_trees(lexicon, tree_ids, catch_all) for path, lexicon in snapshot.candidates(kind).items()
    }
