"""All pages and social maps patients get: the last good version of each file.

Like the rule book, and with the same mechanism (``portal.content.live``): cheap
to refresh (one stat per file), re-reads only what changed, and never replaces a
good version with a broken one. A page is served only when it passes its own
checks *and* the cross-checks (an English page has its Dutch original, its links
lead somewhere). A Dutch page may go live before its English version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from pathlib import Path

from ..content.live import LISTINGS, Findings, Kind, LiveFiles, Loaded, Snapshot
from ..triage.problems import Problem, Severity
from .loader import read_page, read_social_map
from .model import Municipality, Page

PAGES_DIR = "pages"
SOCIAL_MAP_DIR = "social_map"


def _load_page(path: Path, today: date, _context: object) -> Loaded[Page]:
    page, problems, references = read_page(path, today)
    return Loaded(page, tuple(problems), tuple(references))


def _load_social_map(path: Path, today: date, _context: object) -> Loaded[Municipality]:
    municipality, problems = read_social_map(path, today)
    return Loaded(municipality, tuple(problems))


class ContentLibrary:
    """The pages and social maps of a ``content/`` directory.

    On its own it checks links to trees against the ``tree_ids`` given to ``refresh``;
    in the portal and the linter it shares a ``live`` with the rule book, so pages and
    trees are checked against each other (``portal.lint.Content``).
    """

    def __init__(self, directory: Path, live: LiveFiles | None = None) -> None:
        self.directory = directory
        self.page_kind: Kind[Page] = Kind("page", self._page_files, _load_page)
        self.map_kind: Kind[Municipality] = Kind("social map", self._map_files, _load_social_map)
        self.tree_ids: frozenset[str] = frozenset()
        self.live = live if live is not None else LiveFiles(check=self._check_alone)
        self.live.add(self.page_kind, self.map_kind)
        self._index: tuple[Snapshot, dict[tuple[str, str], Page], dict[str, Municipality]] | None = None

    def files(self) -> tuple[list[Path], list[Path]]:
        return _named(self.directory / PAGES_DIR, ".md"), _named(self.directory / SOCIAL_MAP_DIR, ".yaml")

    def _page_files(self, snapshot: Snapshot) -> list[Path]:
        """The page files, and the pages published in the browser that have none (``portal.contentlib``)."""
        files = _named(self.directory / PAGES_DIR, ".md")
        extra = snapshot.extra("page", self.directory / PAGES_DIR)
        return sorted({*files, *extra}) if extra else files

    def _map_files(self, snapshot: Snapshot) -> list[Path]:
        """The social-map files, and the maps published in the browser that have none (``portal.contentlib``)."""
        files = _named(self.directory / SOCIAL_MAP_DIR, ".yaml")
        extra = snapshot.extra("social map", self.directory / SOCIAL_MAP_DIR)
        return sorted({*files, *extra}) if extra else files

    def refresh(self, today: date, tree_ids: Iterable[str] = ()) -> None:
        """Load what changed. ``tree_ids`` are the trees a page may link to; without
        them, links to trees are not checked."""
        ids = frozenset(tree_ids)
        trees_changed = ids != self.tree_ids
        self.tree_ids = ids
        self.live.refresh(today, force=trees_changed)

    def _check_alone(self, snapshot: Snapshot) -> Findings:
        return Findings(self.check(snapshot, self.tree_ids))

    def check(self, snapshot: Snapshot, tree_ids: Collection[str]) -> dict[Path, list[Problem]]:
        """What only the pages together show: each page exists in the other language, and its
        related trees and its links lead somewhere (trees only when ``tree_ids`` are known)."""
        present = {(page.slug, page.language) for page in snapshot.available(self.page_kind).values()}
        problems: dict[Path, list[Problem]] = {}
        for path, page in snapshot.candidates(self.page_kind).items():
            found = problems.setdefault(path, [])
            # A Dutch page may go live first: English readers get it with a notice (``page``).
            # An English page needs its Dutch original.
            if page.language == "en" and (page.slug, "nl") not in present:
                found.append(Problem(path, 1, f"there is no nl version ({page.slug}.nl.md)"))
            if page.language == "nl" and (page.slug, "en") not in present:
                found.append(
                    Problem(
                        path,
                        1,
                        f"there is no en version yet ({page.slug}.en.md): English readers get the Dutch page",
                        Severity.WARNING,
                    )
                )
            for tree_id in page.related_trees:
                if tree_ids and tree_id not in tree_ids:
                    found.append(Problem(path, 1, f"related tree '{tree_id}' does not exist"))
        for path, loaded in snapshot.loaded(self.page_kind).items():
            language = "en" if path.name.endswith(".en.md") else "nl"
            found = problems.setdefault(path, [])
            for kind, target, line in loaded.references:
                if kind == "pagina" and (target, language) not in present and (target, "nl") not in present:
                    found.append(Problem(path, line, f"the link to page '{target}' leads nowhere"))
                if kind == "triage" and tree_ids and target not in tree_ids:
                    found.append(Problem(path, line, f"the link to triage '{target}' leads nowhere"))
        return problems

    @property
    def pages(self) -> dict[tuple[str, str], Page]:
        """The live pages by (slug, language)."""
        return self._indexed()[1]

    @property
    def municipalities(self) -> dict[str, Municipality]:
        """The live social maps by slug."""
        return self._indexed()[2]

    @property
    def problems(self) -> dict[Path, list[Problem]]:
        """Every problem of the current version of each page and social-map file."""
        return self.live.current.problems_of(self.page_kind, self.map_kind)

    def refused(self) -> dict[Path, list[Problem]]:
        return self.live.current.refused(self.page_kind, self.map_kind)

    def all_problems(self) -> list[Problem]:
        return sorted(p for found in self.problems.values() for p in found)

    def page(self, slug: str, language: str) -> Page | None:
        """The page in ``language``, or its Dutch version while it has no other (the patient view says so)."""
        return self.pages.get((slug, language)) or self.pages.get((slug, "nl"))

    def in_language(self, language: str) -> list[Page]:
        """The pages to list in ``language``: its own, and the Dutch pages that have no version in it yet."""
        pages = self.pages
        chosen = [
            page
            for (slug, lang), page in pages.items()
            if lang == language or (lang == "nl" and (slug, language) not in pages)
        ]
        return sorted(chosen, key=lambda p: p.title)

    def municipality_named(self, name: str) -> Municipality | None:
        return next((m for m in self.municipalities.values() if m.name == name), None)

    def _indexed(self) -> tuple[Snapshot, dict[tuple[str, str], Page], dict[str, Municipality]]:
        """The live pages and maps, indexed once per refresh (views look them up often)."""
        snapshot = self.live.current
        if self._index is None or self._index[0] is not snapshot:
            pages = {(p.slug, p.language): p for _path, p in sorted(snapshot.live(self.page_kind).items())}
            maps = {m.slug: m for _path, m in sorted(snapshot.live(self.map_kind).items())}
            self._index = (snapshot, pages, maps)
        return self._index


def _named(directory: Path, suffix: str) -> list[Path]:
    """The entries of ``directory`` whose name ends in ``suffix``, sorted: what
    ``sorted(directory.glob("*" + suffix))`` gives (none when it is not a readable directory).
    Every refresh lists the directories, each once (the page and the map files each listed
    both before), and only a directory that changed is read again (``portal.content.live.Listings``)."""
    return LISTINGS.files(directory, suffix)
