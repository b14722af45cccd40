"""Load a directory of triage files: the prelude first, then every tree.

One broken tree must not take the others down, and a broken file must never
replace the version patients were getting. ``RuleBook.refresh`` therefore keeps
the last good version of each file and reports why a new one was refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .checks import check_prelude, check_tree
from .loader import build_prelude, build_tree, read_file
from .model import Prelude, Tree
from .problems import Problem, errors

PRELUDE_FILE = "_prelude.yaml"


def rule_files(directory: Path) -> list[Path]:
    """Tree files in a directory, sorted; the prelude is not among them."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != PRELUDE_FILE)


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
    """A tree that passes every check, or None and the reasons."""
    data, problems = read_file(path)
    if data is None:
        return None, problems
    if data["kind"] != "tree":
        return None, [Problem(path, data.key_lines.get("kind", 1), "this file must have kind: tree")]
    tree = build_tree(path, data, prelude)
    problems = check_tree(tree, today)
    return (None if errors(problems) else tree), problems


def lint(paths: Iterable[Path], today: date) -> list[Problem]:
    """Every problem in the given files or directories (what ``voordeur lint`` prints)."""
    problems: list[Problem] = []
    for directory, files in _group(paths).items():
        prelude_path = directory / PRELUDE_FILE
        prelude, found = load_prelude(prelude_path, today)
        problems += found
        if prelude is None:
            if not prelude_path.exists():
                problems.append(Problem(prelude_path, 1, "the shared prelude file is missing"))
            problems += [Problem(f, 1, "not checked: the prelude has errors") for f in files]
            continue
        catch_all = []
        for path in files:
            tree, found = load_tree(path, prelude, today)
            problems += found
            if tree is not None and tree.catch_all:
                catch_all.append(tree)
        problems += [
            Problem(t.path, 1, f"only one tree may be the catch-all; '{catch_all[0].id}' already is")
            for t in catch_all[1:]
        ]
    return sorted(set(problems))


def _group(paths: Iterable[Path]) -> dict[Path, list[Path]]:
    grouped: dict[Path, list[Path]] = {}
    for path in paths:
        if path.is_dir():
            grouped.setdefault(path, []).extend(rule_files(path))
        elif path.name == PRELUDE_FILE:
            grouped.setdefault(path.parent, [])
        else:
            grouped.setdefault(path.parent, []).append(path)
    return grouped


@dataclass
class RuleBook:
    """The trees patients get, kept up to date with the files on disk.

    ``refresh`` is cheap when nothing changed (one ``stat`` per file), so the
    portal may call it on every request; it reloads only changed files.
    """

    directory: Path
    prelude: Prelude | None = None
    trees: dict[str, Tree] = field(default_factory=dict)
    problems: dict[Path, list[Problem]] = field(default_factory=dict)
    _stamps: dict[Path, float] = field(default_factory=dict)
    _tree_of_file: dict[Path, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, today: date) -> None:
        with self._lock:
            self._refresh(today)

    def _refresh(self, today: date) -> None:
        prelude_path = self.directory / PRELUDE_FILE
        files = rule_files(self.directory)
        stamps = {p: _mtime(p) for p in [prelude_path, *files]}
        if stamps == self._stamps:
            return
        prelude_changed = stamps.get(prelude_path) != self._stamps.get(prelude_path)
        if prelude_changed:
            prelude, found = load_prelude(prelude_path, today)
            self.problems[prelude_path] = found
            if prelude is not None:
                self.prelude = prelude
        if self.prelude is None:
            self._stamps = stamps
            return
        for path in files:
            if prelude_changed or stamps[path] != self._stamps.get(path):
                self._reload_tree(path, today)
        for gone in set(self._tree_of_file) - set(files):
            self.trees.pop(self._tree_of_file.pop(gone), None)
            self.problems.pop(gone, None)
        self._stamps = stamps

    def _reload_tree(self, path: Path, today: date) -> None:
        assert self.prelude is not None
        tree, found = load_tree(path, self.prelude, today)
        self.problems[path] = found
        if tree is None:
            return  # keep serving the last good version, if there is one
        clash = next((p for p, t in self._tree_of_file.items() if t == tree.id and p != path), None)
        if clash is not None:
            self.problems[path] = [Problem(path, 1, f"tree id '{tree.id}' is already used by {clash.name}")]
            return
        self._tree_of_file[path] = tree.id
        self.trees[tree.id] = tree

    def refused(self) -> dict[Path, list[Problem]]:
        """Files whose current version was refused, with the reasons."""
        return {p: errors(found) for p, found in self.problems.items() if errors(found)}


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1.0
