"""All pages and social maps patients get: the last good version of each file.

Like the rule book: cheap to refresh (one stat per file), re-reads only what
changed, and never replaces a good version with a broken one. A page is
served only when it passes its own checks *and* the cross-checks (the other
language exists, its links lead somewhere).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..triage.problems import Problem, errors
from .loader import read_page, read_social_map
from .model import Municipality, Page

PAGES_DIR = "pages"
SOCIAL_MAP_DIR = "social_map"


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


@dataclass
class ContentLibrary:
    directory: Path
    pages: dict[tuple[str, str], Page] = field(default_factory=dict)
    municipalities: dict[str, Municipality] = field(default_factory=dict)
    problems: dict[Path, list[Problem]] = field(default_factory=dict)
    _parsed: dict[Path, tuple[int, tuple]] = field(default_factory=dict)
    _key: tuple = ()
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def files(self) -> tuple[list[Path], list[Path]]:
        pages = sorted((self.directory / PAGES_DIR).glob("*.md"))
        maps = sorted((self.directory / SOCIAL_MAP_DIR).glob("*.yaml"))
        return pages, maps

    def refresh(self, today: date, tree_ids: Iterable[str] = ()) -> None:
        with self._lock:
            self._refresh(today, frozenset(tree_ids))

    def _parse(self, path: Path, today: date, reader):  # type: ignore[no-untyped-def]
        stamp = _mtime(path)
        cached = self._parsed.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        result = reader(path, today)
        self._parsed[path] = (stamp, result)
        return result

    def _refresh(self, today: date, tree_ids: frozenset[str]) -> None:
        page_files, map_files = self.files()
        key = (tuple((p, _mtime(p)) for p in page_files + map_files), tree_ids)
        if key == self._key:
            return
        self._key = key
        candidates: dict[Path, Page] = {}
        links: dict[Path, list] = {}
        for path in page_files:
            page, found, page_links = self._parse(path, today, read_page)
            self.problems[path] = list(found)
            links[path] = page_links
            if page is not None:
                candidates[path] = page
        self._cross_check(candidates, links, tree_ids)
        for path, page in candidates.items():
            if not errors(self.problems[path]):
                self.pages[(page.slug, page.language)] = page
        live = {p for p in page_files}
        self.pages = {k: p for k, p in self.pages.items() if p.path in live}
        for path in map_files:
            municipality, found = self._parse(path, today, read_social_map)
            self.problems[path] = list(found)
            if municipality is not None:
                self.municipalities[municipality.slug] = municipality
        self.municipalities = {k: m for k, m in self.municipalities.items() if m.path in set(map_files)}
        for gone in set(self.problems) - set(page_files) - set(map_files):
            self.problems.pop(gone)

    def _cross_check(self, candidates: dict[Path, Page], links: dict[Path, list], tree_ids: frozenset[str]) -> None:
        present = {(p.slug, p.language) for p in candidates.values()}
        for path, page in candidates.items():
            other = "en" if page.language == "nl" else "nl"
            if (page.slug, other) not in present:
                self.problems[path].append(Problem(path, 1, f"there is no {other} version ({page.slug}.{other}.md)"))
            for tree_id in page.related_trees:
                if tree_ids and tree_id not in tree_ids:
                    self.problems[path].append(Problem(path, 1, f"related tree '{tree_id}' does not exist"))
        for path, page_links in links.items():
            language = "en" if path.name.endswith(".en.md") else "nl"
            for kind, target, line in page_links:
                if kind == "pagina" and (target, language) not in present:
                    self.problems[path].append(Problem(path, line, f"the link to page '{target}' leads nowhere"))
                if kind == "triage" and tree_ids and target not in tree_ids:
                    self.problems[path].append(Problem(path, line, f"the link to triage '{target}' leads nowhere"))

    def refused(self) -> dict[Path, list[Problem]]:
        return {p: errors(found) for p, found in self.problems.items() if errors(found)}

    def all_problems(self) -> list[Problem]:
        return sorted(p for found in self.problems.values() for p in found)

    def page(self, slug: str, language: str) -> Page | None:
        return self.pages.get((slug, language)) or self.pages.get((slug, "nl"))

    def in_language(self, language: str) -> list[Page]:
        return sorted((p for (s, lang), p in self.pages.items() if lang == language), key=lambda p: p.title)

    def municipality_named(self, name: str) -> Municipality | None:
        return next((m for m in self.municipalities.values() if m.name == name), None)
