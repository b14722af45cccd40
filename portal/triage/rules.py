"""The triage files of a directory: the prelude first, then every tree.

One broken tree must not take the others down, and a broken file must never
replace the version patients were getting. ``RuleBook`` therefore keeps the last
good version of each file and reports why a new one was refused; it does so with
the live-content mechanism that pages and social maps use too
(``portal.content.live``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from pathlib import Path

from ..content.live import Findings, Kind, LiveFiles, Loaded, Snapshot
from .checks import check_prelude, check_tree
from .loader import build_prelude, build_tree, read_file
from .model import Prelude, Tree
from .problems import Problem, errors

PRELUDE_FILE = "_prelude.yaml"


def rule_files(directory: Path) -> list[Path]:
    """Tree files in a directory, sorted. Files whose name starts with '_' are not trees:
    the prelude and the search lexicon (``portal.triage.lexicon``)."""
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))


def load_prelude(path: Path, today: date) -> tuple[Prelude | None, list[Problem]]:
    data, problems = read_file(path)
    if data is None:
        return None, problems
    if data["kind"] != "prelude":
        return None, [Problem(path, data.key_lines.get("kind", 1), "this file must have kind: prelude")]
    prelude = build_prelude(path, data)
    problems = check_prelude(prelude, today)
    return (None if errors(problems) else prelude), problems


def load_tree(path: Path, prelude: Prelude, today: date) -> tuple[Tree | None, list[Problem]]:
    """A tree that passes every check of its own, or None and the reasons."""
    data, problems = read_file(path)
    if data is None:
        return None, problems
    if data["kind"] != "tree":
        return None, [Problem(path, data.key_lines.get("kind", 1), "this file must have kind: tree")]
    tree = build_tree(path, data, prelude)
    problems = check_tree(tree, today)
    return (None if errors(problems) else tree), problems


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
        return self._files if self._files is not None else rule_files(self.directory)

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
