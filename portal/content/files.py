"""The file kernel: read a content file, parse its YAML with lines, check it against a schema.

PyYAML forgets where things came from, so we build mappings and lists that
remember the line of each key and item. That lets a schema error on
``nodes.sore_throat.answers[1].value`` point the editor at line 42. Nothing
escapes as an exception: an unreadable file, a YAML error, a duplicate key or a
schema error becomes a ``Problem`` with its line, so one bad file is refused
while the others keep serving.

Parsing and schema-checking are most of the cost of loading content (the 31 demo
trees: 0.8 s), and the same bytes are parsed over and over: every test copies
``triage_rules/`` and builds a new app, and the linter reads what the portal
read. So ``read_yaml`` and ``check_yaml`` remember their result by the hash of
the bytes and the validator. Their data is shared by every caller and therefore
read-only; ``parse_yaml`` stays uncached and returns plain, changeable data.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn

import jsonschema
import yaml
from jsonschema.protocols import Validator

from ..triage.problems import Problem
from .fast_schema import schema_errors

#: How many checked files the parse cache keeps: the demo content is 80 files (31 trees,
#: a prelude, 46 pages, 2 social maps), so this holds all of it and many edited versions.
CACHE_SIZE = 256

#: The path the cache files problems under; each caller gets them with its own path.
_NOWHERE = Path()


class LineDict(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 1
    key_lines: Mapping[Any, int]


class LineList(list):
    """A list that remembers its own line and the line of each item."""

    line: int = 1
    item_lines: Sequence[int]


def _read_only() -> TypeError:
    return TypeError("content data is shared by every reader and cannot be changed; copy what you need")


class FrozenLineDict(LineDict):
    """A LineDict nobody can change: the parse cache hands the same one to every caller."""

    def __setitem__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def __delitem__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def __ior__(self, *args: Any) -> NoReturn:  # type: ignore[misc]
        raise _read_only()

    def __setattr__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def clear(self) -> NoReturn:
        raise _read_only()

    def pop(self, *args: Any) -> NoReturn:
        raise _read_only()

    def popitem(self) -> NoReturn:
        raise _read_only()

    def setdefault(self, *args: Any) -> NoReturn:
        raise _read_only()

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _read_only()

    def __copy__(self) -> FrozenLineDict:
        return self  # like a tuple: a copy of something that cannot change is itself

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenLineDict:
        return self


class FrozenLineList(LineList):
    """A LineList nobody can change (see FrozenLineDict)."""

    def __setitem__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def __delitem__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def __iadd__(self, *args: Any) -> NoReturn:  # type: ignore[misc]
        raise _read_only()

    def __imul__(self, *args: Any) -> NoReturn:  # type: ignore[misc]
        raise _read_only()

    def __setattr__(self, *args: Any) -> NoReturn:
        raise _read_only()

    def append(self, *args: Any) -> NoReturn:
        raise _read_only()

    def extend(self, *args: Any) -> NoReturn:
        raise _read_only()

    def insert(self, *args: Any) -> NoReturn:
        raise _read_only()

    def pop(self, *args: Any) -> NoReturn:
        raise _read_only()

    def remove(self, *args: Any) -> NoReturn:
        raise _read_only()

    def clear(self) -> NoReturn:
        raise _read_only()

    def sort(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _read_only()

    def reverse(self) -> NoReturn:
        raise _read_only()

    def __copy__(self) -> FrozenLineList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenLineList:
        return self


def freeze(value: Any) -> Any:
    """A read-only copy of parsed YAML: Frozen* for our mappings and lists, and the
    immutable counterpart of anything else a YAML tag can make (``!!set``, ``!!omap``)."""
    if isinstance(value, LineDict):
        mapping = FrozenLineDict({key: freeze(item) for key, item in value.items()})
        object.__setattr__(mapping, "line", value.line)
        object.__setattr__(mapping, "key_lines", MappingProxyType(dict(value.key_lines)))
        return mapping
    if isinstance(value, LineList):
        items = FrozenLineList(freeze(item) for item in value)
        object.__setattr__(items, "line", value.line)
        object.__setattr__(items, "item_lines", tuple(value.item_lines))
        return items
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


# --- parsing with lines ---------------------------------------------------------

#: libyaml's parser is about three times faster than the pure-Python one: the 31 demo trees
#: load in 0.3 s instead of 1.0 s. Same events, same marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps line numbers, reports duplicate keys, and leaves
    dates as text (the schema checks their format)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, int, int]] = []


def _unhashable(node: yaml.Node, key_node: yaml.Node) -> yaml.constructor.ConstructorError:
    """A list or mapping as a key ("? [a, b]"): PyYAML's own refusal, as a problem on its line."""
    return yaml.constructor.ConstructorError(
        "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
    )


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    key_lines: dict[Any, int] = {}
    data.key_lines = key_lines
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise _unhashable(node, key_node)
        key_line = key_node.start_mark.line + 1
        if key in key_lines:
            loader.duplicates.append((key, key_line, key_lines[key]))
        key_lines[key] = key_line
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


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


@functools.lru_cache(maxsize=16)
def read_only_yaml(text: str) -> Any:
    """``parse_yaml``'s data for ``text``, read-only, or None when it cannot be read; kept by the text.

    For the editors' checks of a draft against the live version (the classification, the version
    raise): each save compares with the same live text, and the pure-Python reader takes 0.1–0.2 s
    for a tree or the lexicon. Unlike ``check_yaml`` it does not need the text to pass its schema:
    a draft is compared before its checks say what is wrong with it. Read-only, so no caller can
    change what the next one gets."""
    return freeze(parse_yaml(_NOWHERE, text)[0])


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


# --- schema errors with lines ----------------------------------------------------


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


def validate_with(validator: Validator, path: Path, data: Any, line_offset: int = 0) -> list[Problem]:
    """Every error ``validator`` finds, as Problems; ``line_offset`` for YAML embedded in a file.
    A valid document is recognised by jsonschema-rs first (``fast_schema``): the same answer, sooner."""
    problems = []
    for error in schema_errors(validator, data):
        location = list(error.absolute_path)
        where = _dotted(location)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            extra = [key for key in error.instance if key not in allowed]
            location += extra[:1]  # point at the unexpected key itself
        prefix = f"{where}: " if where else ""
        problems.append(Problem(path, line_of(data, location) + line_offset, prefix + _friendly(error)))
    return sorted(set(problems))


# --- reading files ----------------------------------------------------------------

#: Texts read *instead of* the file at their path: a version published in the browser
#: (kept in the database) or an editor's draft. Loaders keep reading "the file at path",
#: so a version from the database is checked, built and reported exactly like the file,
#: with the same path and lines in its problems.
_INSTEAD: ContextVar[Mapping[Path, bytes] | None] = ContextVar("voordeur_content_instead", default=None)


@contextmanager
def reading_instead(texts: Mapping[Path, bytes]) -> Iterator[None]:
    """While inside, reading one of ``texts``' paths gives its text, not the file on disk."""
    token = _INSTEAD.set({**(_INSTEAD.get() or {}), **texts})
    try:
        yield
    finally:
        _INSTEAD.reset(token)


def read_bytes(path: Path) -> bytes:
    """The bytes at ``path``: a text read instead of the file (see ``reading_instead``), or the file."""
    instead = _INSTEAD.get()
    if instead is not None and path in instead:
        return instead[path]
    return path.read_bytes()


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """A content file's text, or the reason it cannot be read (as a Problem on its line)."""
    try:
        content = read_bytes(path)
    except OSError as exc:
        return None, [Problem(path, 1, f"cannot read the file: {exc}")]
    return decode(path, content)


def decode(path: Path, content: bytes) -> tuple[str | None, list[Problem]]:
    """UTF-8 text, or the line of the first byte that is not."""
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        reason = f"this is not UTF-8 text (byte 0x{content[exc.start]:02X}); save the file as UTF-8"
        return None, [Problem(path, line, reason)]


def read_yaml(path: Path, validator: Validator) -> tuple[Any, list[Problem]]:
    """Read, parse and schema-check one YAML file. The data is None when there is any problem;
    otherwise it is read-only, because every reader of the same bytes gets the same object."""
    try:
        content = read_bytes(path)
    except OSError as exc:
        return None, [Problem(path, 1, f"cannot read the file: {exc}")]
    return _checked(path, content, validator)


def check_yaml(path: Path, text: str, validator: Validator) -> tuple[Any, list[Problem]]:
    """Parse and schema-check YAML text from ``path`` (a page's front matter) like ``read_yaml``.
    The text must start on the file's first line, so the lines of its problems are the file's."""
    return _checked(path, text.encode("utf-8"), validator)


def _checked(path: Path, content: bytes, validator: Validator) -> tuple[Any, list[Problem]]:
    key = (hashlib.sha256(content).digest(), id(validator))
    entry = _CACHE.get(key, validator)
    if entry is None:
        entry = _check(content, validator)
        _CACHE.put(key, entry)
    return entry.data, [replace(problem, path=path) for problem in entry.problems]


def _check(content: bytes, validator: Validator) -> _Checked:
    """Decode, parse and validate, with problems filed under no path (the caller adds its own)."""
    text, problems = decode(_NOWHERE, content)
    if text is None:
        return _Checked(validator, None, tuple(problems))
    data, problems = parse_yaml(_NOWHERE, text)
    if data is not None:
        problems += validate_with(validator, _NOWHERE, data)
    if data is None or problems:
        return _Checked(validator, None, tuple(problems))
    return _Checked(validator, freeze(data), ())


# --- the parse cache -----------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    """One checked text. It holds its validator so the validator's id, part of the key,
    cannot be reused by another validator while the entry lives."""

    validator: Validator
    data: Any
    problems: tuple[Problem, ...]


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


class _ParseCache:
    """Checked texts by (SHA-256 of the bytes, validator), least recently used first out.
    Process-wide and shared by threads, hence the lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[bytes, int], _Checked] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[bytes, int], validator: Validator) -> _Checked | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.validator is not validator:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[bytes, int], entry: _Checked) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, len(self._entries))


_CACHE = _ParseCache(CACHE_SIZE)


def cache_info() -> CacheInfo:
    """Hits, misses and entries of the parse cache (for tests and benchmarks)."""
    return _CACHE.info()


def clear_cache() -> None:
    _CACHE.clear()
