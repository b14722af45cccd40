"""Every text of a tree as Dutch/English field pairs, grouped per node, and back into its YAML.

Editors correct a sentence without touching YAML: the form lists each ``{nl, en}``
text of the tree (questions, hints, answer labels, outcome titles, advice, safety
nets, whatever the schema holds) next to each other, grouped by the node a patient
sees, named by its own words. Saving writes only the changed texts back, through
a round-trip YAML library that keeps the structure, comments, quoting and layout
of the file, so the draft's diff shows just the edited lines and the change is
classified as wording (``portal.content.changes``).

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.timestamp import TimeStamp

LANGUAGES = ("nl", "en")
#: Parts of a tree that are not shown to patients as texts of a node (cases are the editors' own tests).
SKIPPED = frozenset({"cases"})
TREE_GROUP = ""


class NotATree(ValueError):
    """The YAML cannot be read; the raw editor shows where."""


@dataclass(frozen=True)
class TextField:
    """One text in both languages. ``key`` names it in the form; ``role`` is the YAML key it sits under
    (text, help, label, title, advice, safety_net, …), ``number`` its place in a list of answers (1-based),
    ``within`` the key above it (e.g. ``none`` for the 'none of these' answer). Lists (advice, safety
    nets) are shown one item per line."""

    key: str
    role: str
    number: int | None
    within: str
    nl: str
    en: str
    is_list: bool


@dataclass(frozen=True)
class TextGroup:
    """The texts of one node (``node`` its id; empty for the tree's own title and search words)."""

    node: str
    node_type: str
    words: str  # what a patient reads first on this node, in Dutch
    words_en: str
    fields: tuple[TextField, ...]


def round_trip_yaml() -> YAML:
    """A YAML reader/writer that writes back what it read, in the layout of the shipped content files."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long sentence onto a second line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


# --- reading a text once ------------------------------------------------------------------------
#
# The round-trip reader is pure Python and slow: ~0.15 s of CPU for one shipped tree, while
# every form reads the same draft again on each request (the outline, the texts, the cases,
# then once more to write a change back). So what a text gives is kept, pickled, by the text
# itself, and every caller gets a fresh copy of it made by unpickling (~25 times faster than
# reading): a copy the caller may change, sharing nothing with the kept one or with another
# caller's. A pickled copy holds everything the reader made (comments, quoting, layout,
# anchors, line numbers), so writing it back gives what writing the fresh reading would;
# ``copy.deepcopy`` does not (it drops a comment before a mapping's first key).
# tests/unit/test_round_trip_cache.py compares the two, attribute by attribute.

#: What the kept readings may take: the texts' characters plus their pickled readings' bytes. A count would
#: not do: the shipped content alone is ~160 texts (60 YAML files, 96 page front matters, the social
#: maps; under 6 MB kept), and with a count of 128 a worker that serves the editors' forms across all of
#: them reads a tree again once the pages have pushed it out (~0.1 s of CPU each). Oldest out first.
ROUND_TRIP_CACHE_BYTES = 48 * 1024 * 1024

_READ: OrderedDict[str, bytes] = OrderedDict()
_READ_LOCK = threading.Lock()
_read_bytes = 0


def _size(text: str, kept: bytes) -> int:
    return len(text) + len(kept)


def _keep(text: str, kept: bytes) -> None:
    """Keep a reading, then drop the oldest until the kept ones fit (a reading larger than the whole
    budget is not kept). Called with the lock held."""
    global _read_bytes
    previous = _READ.pop(text, None)
    if previous is not None:
        _read_bytes -= _size(text, previous)
    _READ[text] = kept
    _read_bytes += _size(text, kept)
    while _READ and _read_bytes > ROUND_TRIP_CACHE_BYTES:
        old_text, old = _READ.popitem(last=False)
        _read_bytes -= _size(old_text, old)


def _timestamp(args: tuple[Any, ...], attributes: dict[str, Any]) -> TimeStamp:
    stamp = TimeStamp.__new__(TimeStamp, *args)
    stamp.__dict__.update(attributes)
    return stamp


def _reduce_timestamp(stamp: TimeStamp) -> tuple[Any, ...]:
    """A date with a time keeps how it was written ('T' or a space, its time zone): pickle's own
    reduction of a datetime would drop that (it is kept in the object's ``_yaml``)."""
    return _timestamp, (stamp.__reduce__()[1], dict(stamp.__dict__))


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[TimeStamp] = _reduce_timestamp


def _pickled(data: Any) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(data)
    return out.getvalue()


def load_round_trip(text: str) -> Any:
    """``round_trip_yaml().load(text)``, as a fresh object the caller may change (see above).
    A text that cannot be read raises as the reader does, every time: it is not kept."""
    with _READ_LOCK:
        kept = _READ.get(text)
        if kept is not None:
            _READ.move_to_end(text)
    if kept is None:
        data = round_trip_yaml().load(text)
        try:
            kept = _pickled(data)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return data  # something the reader made that pickle cannot copy: this reading, not kept
        with _READ_LOCK:
            _keep(text, kept)
    return pickle.loads(kept)


def clear_round_trip_cache() -> None:
    global _read_bytes
    with _READ_LOCK:
        _READ.clear()
        _read_bytes = 0


def round_trip_cache_bytes() -> int:
    """What the kept readings take now (texts plus pickles), as counted against ``ROUND_TRIP_CACHE_BYTES``."""
    with _READ_LOCK:
        return _read_bytes


def dump_round_trip(data: Any) -> str:
    """The YAML text of data loaded with ``round_trip_yaml``: every form editor writes back through this one."""
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


def keep_style(old: Any, new: str) -> Any:
    """The new text, quoted or blocked the way the old one was, so a line changes only where its words did."""
    if "\n" in new:
        return LiteralScalarString(new + "\n" if isinstance(old, str) and old.endswith("\n") else new)
    for style in (SingleQuotedScalarString, DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString):
        if isinstance(old, style):
            keep = old.endswith("\n") and not new.endswith("\n")
            return style(new + "\n" if keep else new)
    return new


def is_text(value: Any) -> bool:
    """A text in both languages: ``{nl: …, en: …}`` with strings, or lists of strings (advice)."""
    if not isinstance(value, Mapping) or not value or not set(value) <= set(LANGUAGES):
        return False
    return all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)) for v in value.values()
    )


def _load(text: str) -> Any:
    try:
        data = load_round_trip(text)
    except Exception as exc:  # ruamel raises many kinds; the raw editor reports the line
        raise NotATree(str(exc)) from exc
    if not isinstance(data, Mapping):
        raise NotATree("the file is not a tree")
    return data


def _texts(data: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """Every text below ``data``, with its path, in file order."""
    if is_text(data):
        return [(path, data)]
    found: list[tuple[tuple[Any, ...], Mapping[str, Any]]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            found += _texts(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _texts(value, (*path, index))
    return found


def _key(path: tuple[Any, ...]) -> str:
    return "/".join(str(step) for step in path)


def _value(text: Mapping[str, Any], language: str) -> tuple[str, bool]:
    value = text.get(language, "")
    if isinstance(value, list):
        return "\n".join(str(item) for item in value), True
    return str(value).rstrip("\n"), False


def _field(path: tuple[Any, ...], text: Mapping[str, Any], start: int) -> TextField:
    inner = path[start:]
    numbers = [step for step in inner if isinstance(step, int)]
    names = [step for step in inner if isinstance(step, str)]
    nl, is_list = _value(text, "nl")
    en, en_list = _value(text, "en")
    return TextField(
        key=_key(path),
        role=names[-1] if names else str(path[-1]),
        number=numbers[-1] + 1 if numbers else None,
        within=names[-2] if len(names) > 1 else "",
        nl=nl,
        en=en,
        is_list=is_list or en_list,
    )


def _words(node: Mapping[str, Any], language: str) -> str:
    for key in ("text", "title", "label"):
        value = node.get(key)
        if isinstance(value, Mapping) and is_text(value) and isinstance(value.get(language), str):
            return str(value[language])
    return ""


def text_groups(text: str) -> list[TextGroup]:
    """The form's groups: the tree's own texts, then every node in file order."""
    return _groups(_load(text))


def _groups(data: Any) -> list[TextGroup]:
    groups: list[TextGroup] = []
    own = [
        _field(path, found, 1)
        for key, value in data.items()
        if key not in SKIPPED and key != "nodes"
        for path, found in _texts(value, (key,))
    ]
    if own:
        groups.append(TextGroup(TREE_GROUP, "", _words(data, "nl"), _words(data, "en"), tuple(own)))
    nodes = data.get("nodes")
    if isinstance(nodes, Mapping):
        for node_id, node in nodes.items():
            if not isinstance(node, Mapping):
                continue
            fields = tuple(_field(path, found, 2) for path, found in _texts(node, ("nodes", node_id)))
            if fields:
                groups.append(
                    TextGroup(str(node_id), str(node.get("type", "")), _words(node, "nl"), _words(node, "en"), fields)
                )
    return groups


def _clean(value: str) -> str:
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").strip().split("\n"))


def _set_list(items: list[Any], new: list[str]) -> bool:
    """Replace a list's items in place (so comments and styles of unchanged items stay); True when it changed."""
    changed = False
    for index, line in enumerate(new):
        if index < len(items):
            if str(items[index]) != line:
                items[index] = keep_style(items[index], line)
                changed = True
        else:
            items.append(line)
            changed = True
    while len(items) > len(new):
        items.pop()
        changed = True
    return changed


def _find(data: Any, key: str) -> Any:
    found = data
    for step in key.split("/"):
        found = found[int(step)] if isinstance(found, list) else found[step]
    return found


def apply_texts(text: str, values: Mapping[str, Mapping[str, str]]) -> str:
    """The tree's YAML with new texts (``values[field key][language]``); only changed texts change.

    An unchanged form gives back ``text`` itself. Keys that are not texts of this tree are ignored:
    the form can only change wording, never where an answer leads.
    """
    data = _load(text)
    known = {field.key for group in _groups(data) for field in group.fields}  # before anything changes
    changed = False
    for key, languages in values.items():
        if key not in known:
            continue
        target = _find(data, key)
        for language in LANGUAGES:
            if language not in languages:
                continue
            new = _clean(languages[language])
            old = target.get(language)
            if isinstance(old, list):
                changed |= _set_list(old, [line.strip() for line in new.split("\n") if line.strip()])
            elif str(old if old is not None else "").rstrip("\n") != new:
                target[language] = keep_style(old, new)
                changed = True
    if not changed:
        return text
    return dump_round_trip(data)
