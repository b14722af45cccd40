"""The triage files of a directory: the prelude first, then every tree.

One broken tree must not take the others down, and a broken file must never
replace the version patients were getting. ``RuleBook`` therefore keeps the last
good version of each file and reports why a new one was refused; it does so with
the live-content mechanism that pages and social maps use too
(``portal.content.live``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from ..content.live import LISTINGS, Findings, Kind, LiveFiles, Loaded, Snapshot
from .checks import check_prelude, check_tree
from .loader import build_prelude, build_tree, read_file
from .model import Prelude, Tree
from .problems import Problem, errors

PRELUDE_FILE = "_prelude.yaml"


def rule_files(directory: Path) -> list[Path]:
    """Tree files in a directory, sorted. Files whose name starts with '_' are not trees:
    the prelude and the search lexicon (``portal.triage.lexicon``). Listed again only when the
    directory changed (``portal.content.live.Listings``): every refresh asks."""
    return LISTINGS.files(directory, ".yaml", skip_prefix="_")


def load_prelude(path: Path, today: date) -> tuple[Prelude | None, list[Problem]]:
    data, problems = read_file(path)
    if data is None:
        return None, problems
    if data["kind"] != "prelude":
        return None, [Problem(path, data.key_lines.get("kind", 1), "this file must have kind: prelude")]
    key = ("prelude", id(data), today)
    entry = _BUILT.get(key, (data,))
    if entry is None:
        prelude = build_prelude(path, data)
        problems = check_prelude(prelude, today)
        entry = _BUILT.put(key, _Built((data,), prelude, tuple(problems), (path,)))
    prelude = entry.on(path)
    if prelude is not None:
        _BUILT.made(prelude, data)
    problems = entry.problems_at(path)
    return (None if errors(problems) else prelude), problems


def load_tree(path: Path, prelude: Prelude, today: date) -> tuple[Tree | None, list[Problem]]:
    """A tree that passes every check of its own, or None and the reasons."""
    data, problems = read_file(path)
    if data is None:
        return None, problems
    if data["kind"] != "tree":
        return None, [Problem(path, data.key_lines.get("kind", 1), "this file must have kind: tree")]
    prelude_data = _BUILT.source_of(prelude)
    if prelude_data is None:  # a prelude this module did not build: nothing to share
        tree = build_tree(path, data, prelude)
        problems = check_tree(tree, today)
        return (None if errors(problems) else tree), problems
    key = ("tree", id(data), id(prelude_data), today)
    entry = _BUILT.get(key, (data, prelude_data))
    if entry is None:
        tree = build_tree(path, data, prelude)
        problems = check_tree(tree, today)
        entry = _BUILT.put(key, _Built((data, prelude_data), tree, tuple(problems), (path, prelude.path)))
    problems = entry.problems_at(path, prelude.path)
    return (None if errors(problems) else entry.on(path, prelude)), problems


# --- building and checking each text once per process -----------------------------------
#
# Building a tree and running its checks (every case walked through the engine) is most
# of the cost of loading content: ~5 ms a tree, 0.3 s for the demo trees. Every app a
# test builds, every worker, the linter and the portal load the same texts, and a
# restored or published version of a file often has a text that was loaded before. So
# what a text gives is remembered here, keyed on the text itself: the parsed data, which
# the parse cache (``portal.content.files``) hands out as one read-only object per text,
# held by the entry so that its ``id`` cannot be reused while the entry lives. A tree's
# checks also depend on the prelude's text and on today (review dates), so both are in
# its key. A changed file is a new text and is built and checked anew; the same text at
# another path gets a copy of the built value with that path, and its problems with it.

#: Entries kept: the demo content is 58 trees and a prelude; room for many edited versions.
BUILT_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Built:
    """What one text gave: the value built from it at ``paths[0]`` and its problems
    (``paths`` are the file's and, for a tree, its prelude's, as they were when built)."""

    sources: tuple[Any, ...]
    value: Any
    problems: tuple[Problem, ...]
    paths: tuple[Path, ...]

    def on(self, path: Path, prelude: Prelude | None = None) -> Any:
        """A new copy of the value at ``path`` (on ``prelude``, for a tree): a loaded file is
        always a new object, so values remembered per tree object (``memo``) stay its own."""
        if self.value is None:
            return None
        return replace(self.value, path=path) if prelude is None else replace(self.value, path=path, prelude=prelude)

    def problems_at(self, *paths: Path) -> list[Problem]:
        moved = dict(zip(self.paths, paths, strict=True))
        return [replace(p, path=moved[p.path]) if p.path in moved else p for p in self.problems]


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


class _BuiltCache:
    """Built values by text (least recently used first out), and which prelude text each
    prelude this module handed out came from. Process-wide and shared by threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], _Built] = OrderedDict()
        self._preludes: OrderedDict[int, tuple[Prelude, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...], sources: tuple[Any, ...]) -> _Built | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or any(a is not b for a, b in zip(entry.sources, sources, strict=True)):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[Any, ...], entry: _Built) -> _Built:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return entry

    def made(self, prelude: Prelude, data: Any) -> None:
        """Remember that ``prelude`` was built from ``data`` (the object itself, not an equal one)."""
        with self._lock:
            self._preludes[id(prelude)] = (prelude, data)
            self._preludes.move_to_end(id(prelude))
            while len(self._preludes) > self.size:
                self._preludes.popitem(last=False)

    def source_of(self, prelude: Prelude) -> Any:
        """The text (parsed) that ``prelude`` was built from, or None for one built elsewhere."""
        with self._lock:
            entry = self._preludes.get(id(prelude))
            return entry[1] if entry is not None and entry[0] is prelude else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._preludes.clear()
            self.hits = self.misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, len(self._entries))


_BUILT = _BuiltCache(BUILT_CACHE_SIZE)


def built_cache_info() -> CacheInfo:
    """Hits, misses and entries of the cache of built and checked texts (for tests and benchmarks)."""
    return _BUILT.info()


def clear_built_cache() -> None:
    _BUILT.clear()


def lint(paths: Iterable[Path], today: date) -> list[Problem]:
    """Every problem in the given tree files or directories, trees only (``portal.lint.lint_all``
    adds pages and social maps)."""
    problems: list[Problem] = []
    for directory, files in group(paths).items():
        book = RuleBook(directory, files=files)
        book.refresh(today)
        problems += book.report(files)
    return sorted(set(problems))


def group(paths: Iterable[Path]) -> dict[Path, list[Path]]:
    """Tree files by directory: every tree of a directory, or the files named."""
    grouped: dict[Path, list[Path]] = {}
    for path in paths:
        if path.is_dir():
            grouped.setdefault(path, []).extend(rule_files(path))
        elif path.name.startswith("_"):  # the prelude or the lexicon: checked with the directory
            grouped.setdefault(path.parent, [])
        else:
            grouped.setdefault(path.parent, []).append(path)
    return grouped


def _load_prelude(path: Path, today: date, _context: object) -> Loaded[Prelude]:
    prelude, problems = load_prelude(path, today)
    return Loaded(prelude, tuple(problems))


def _load_tree(path: Path, today: date, prelude: Prelude) -> Loaded[Tree]:
    tree, problems = load_tree(path, prelude, today)
    return Loaded(tree, tuple(problems))


class RuleBook:
    """The trees patients get, kept up to date with the files on disk.

    ``refresh`` is cheap when nothing changed (one ``stat`` per file), so the
    portal may call it on every request; it reloads only changed files, and every
    tree when the prelude changed. On its own a RuleBook holds the files of one
    directory (all ``*.yaml``, or the ``files`` given). The portal and the linter
    pass a shared ``live``, so trees, pages and social maps are loaded and checked
    together (``portal.lint.Content``).
    """

    def __init__(self, directory: Path, live: LiveFiles | None = None, files: Sequence[Path] | None = None) -> None:
        self.directory = directory
        self._files = list(files) if files is not None else None
        self.prelude_kind: Kind[Prelude] = Kind("prelude", self._prelude_files, _load_prelude)
        self.tree_kind: Kind[Tree] = Kind("tree", self._tree_files, _load_tree, context=self._prelude_in_force)
        self.live = live if live is not None else LiveFiles(check=lambda snapshot: Findings(self.check(snapshot)))
        self.live.add(self.prelude_kind, self.tree_kind)
        self._trees: tuple[Snapshot, dict[str, Tree]] | None = None

    def refresh(self, today: date) -> None:
        self.live.refresh(today)

    @property
    def prelude(self) -> Prelude | None:
        """The prelude in force (its last good version)."""
        return next(iter(self.live.current.live(self.prelude_kind).values()), None)

    @property
    def trees(self) -> dict[str, Tree]:
        """The live trees by id: the last good version of each tree file."""
        snapshot = self.live.current
        if self._trees is None or self._trees[0] is not snapshot:
            live = snapshot.live(self.tree_kind)
            self._trees = (snapshot, {tree.id: tree for _path, tree in sorted(live.items())})
        return self._trees[1]

    @property
    def problems(self) -> dict[Path, list[Problem]]:
        """Every problem of the current version of the prelude and of each tree file."""
        return self.live.current.problems_of(self.prelude_kind, self.tree_kind)

    def refused(self) -> dict[Path, list[Problem]]:
        """Files whose current version was refused, with the reasons."""
        return self.live.current.refused(self.prelude_kind, self.tree_kind)

    def check(self, snapshot: Snapshot) -> dict[Path, list[Problem]]:
        """What only the trees together show: two files with one tree id, two catch-all trees."""
        live = snapshot.live(self.tree_kind)
        candidates = snapshot.candidates(self.tree_kind)
        ids = _holders(live, candidates, lambda tree: tree.id)
        catch_all = _holders(live, candidates, lambda tree: True if tree.catch_all else None)
        available = {**live, **candidates}
        problems: dict[Path, list[Problem]] = {}
        for path, tree in candidates.items():
            found = problems.setdefault(path, [])
            if ids[tree.id] != path:
                found.append(Problem(path, 1, f"tree id '{tree.id}' is already used by {ids[tree.id].name}"))
            if tree.catch_all and catch_all[True] != path:
                holder = available[catch_all[True]].id
                found.append(Problem(path, 1, f"only one tree may be the catch-all; '{holder}' already is"))
        return problems

    def report(self, files: Iterable[Path]) -> list[Problem]:
        """What ``voordeur lint`` says about these tree files: their problems and the
        prelude's or, when the prelude has errors, that they could not be checked."""
        prelude_path = self.directory / PRELUDE_FILE
        problems = list(self.problems.get(prelude_path, []))
        if self.prelude is None:
            if not prelude_path.exists():
                problems.append(Problem(prelude_path, 1, "the shared prelude file is missing"))
            return problems + [Problem(path, 1, "not checked: the prelude has errors") for path in files]
        for path in files:
            problems += self.problems.get(path, [])
        return problems

    def _prelude_files(self, _snapshot: Snapshot) -> list[Path]:
        return [self.directory / PRELUDE_FILE]

    def _tree_files(self, snapshot: Snapshot) -> list[Path]:
        """No tree is loaded without a prelude in force: a tree is built on top of it."""
        if self._prelude_in_force(snapshot) is None:
            return []
        files = self._files if self._files is not None else rule_files(self.directory)
        extra = snapshot.extra("tree", self.directory)  # published in the browser (portal.contentlib)
        return sorted({*files, *extra}) if extra else files

    def _prelude_in_force(self, snapshot: Snapshot) -> Prelude | None:
        return next(iter(snapshot.available(self.prelude_kind).values()), None)


def _holders(
    live: dict[Path, Tree], candidates: dict[Path, Tree], key: Callable[[Tree], Hashable]
) -> dict[object, Path]:
    """Which file holds each key (a tree id; being the catch-all). A file whose live version
    holds it keeps it while its current version still claims it, so patients never get two
    trees with one id; otherwise the first file by name that claims it, as the linter says."""
    holders: dict[object, Path] = {}
    for path, tree in sorted(live.items()):
        if key(candidates.get(path, tree)) == key(tree):
            holders.setdefault(key(tree), path)
    for path, tree in sorted(candidates.items()):
        holders.setdefault(key(tree), path)
    holders.pop(None, None)
    return holders
