"""Everything ``voordeur lint``, the editors' workbench and the running portal check, in one place.

Trees (``triage_rules/``), pages and social maps (``content/``), and the
references between them: a tree's ``self_care_page`` exists in both languages, a
page's links lead somewhere, … ``Content`` loads all of them as one set of live
files and checks them together; the portal keeps one up to date and the linter
loads one once, so both report the same problems with the same ``file:line``.
Plain Python: no Flask, no database.

A tree whose self-help page is missing (or refused) is refused like a tree with
any other error: patients keep its last good version, and ``/healthz`` and the
workbench report it with the linter's message. One thing differs: when the tree
has no last good version (at start-up), it is served as it is rather than not at
all. Its own checks passed; only a link is missing, which the outcome page leaves
out, while the advice and safety net it shows are in the tree itself. A typo in
a help page must never take a triage offline.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .content.live import Findings, LiveFiles, Loaded, Snapshot, Version
from .pages.library import PAGES_DIR, SOCIAL_MAP_DIR, ContentLibrary
from .pages.model import Municipality, Page
from .pages.search import build_index
from .triage.lexicon import Lexicon, lexicon_kind
from .triage.lexicon import cross_check as lexicon_cross_check
from .triage.model import Outcome, Tree
from .triage.problems import Problem, Severity, errors
from .triage.rules import RuleBook, group, rule_files
from .triage.search import SearchIndex

LANGUAGES = ("nl", "en")


class Content:
    """Trees, pages and social maps as one set of live files, checked against each other."""

    def __init__(
        self, rules_dir: Path, content_dir: Path, check_seconds: float = 0, tree_files: Sequence[Path] | None = None
    ) -> None:
        # Shared loads: every app (and linter run) of the process loads the same files once.
        self.live = LiveFiles(check=self.check, check_seconds=check_seconds, share_loads=True)
        self.book = RuleBook(rules_dir, self.live, tree_files)
        self.library = ContentLibrary(content_dir, self.live)
        self.lexicon_kind = lexicon_kind(rules_dir)  # the search lexicon (portal.triage.lexicon)
        self.live.add(self.lexicon_kind)
        self._search: tuple[Snapshot, SearchIndex] | None = None
        self._lexicon: tuple[Snapshot, Lexicon | None] | None = None

    def refresh(self, today: date) -> bool:
        return self._indexed(self.live.refresh(today))

    def refresh_if_due(self, today: date, now: float) -> bool:
        return self._indexed(self.live.refresh_if_due(today, now))

    @property
    def version(self) -> object:
        """Another object whenever any live file changed (a tree, page, map, the lexicon): for cache keys."""
        return self.live.current

    @property
    def lexicon(self) -> Lexicon | None:
        """The live search lexicon (its last good version), if there is one; looked up once per version
        (finding it walks every live file, which the start page did on every request)."""
        snapshot = self.live.current
        if self._lexicon is None or self._lexicon[0] is not snapshot:
            self._lexicon = (snapshot, next(iter(snapshot.live(self.lexicon_kind).values()), None))
        return self._lexicon[1]

    @property
    def search_index(self) -> SearchIndex:
        """One search over the live complaints and pages, built when they load (not per search)."""
        snapshot = self.live.current
        if self._search is None or self._search[0] is not snapshot:
            pages = self.library.pages.values()
            self._search = (snapshot, build_index(self.book.trees.values(), pages, self.lexicon))
        return self._search[1]

    def _indexed(self, changed: bool) -> bool:
        """After a load that changed something, build the search index at once, so no patient waits for it."""
        if changed:
            _ = self.search_index
        return changed

    def refused(self) -> dict[Path, list[Problem]]:
        """Every file whose current version was refused: trees, pages and social maps."""
        return self.live.refused()

    def check(self, snapshot: Snapshot) -> Findings:
        """The one cross-check: the trees together, the pages together, and each against the other.

        What it finds is kept for the very same versions (``_FINDINGS``): every app of a process
        loads the same files and shares what loading them gave (``portal.content.live.SharedLoads``)."""
        world = self._world(snapshot)
        names, objects = _check_key(snapshot, world.pages_known)
        found = _FINDINGS.find(names, objects)
        if found is None:
            found = self._check(snapshot, world)
            _FINDINGS.keep(names, objects, found)
        return found

    def _check(self, snapshot: Snapshot, world: World) -> Findings:
        trees = self.book.check(snapshot)
        pages = self.library.check(snapshot, world.trees.keys())
        references = cross_check(
            snapshot.candidates(self.book.tree_kind), snapshot.loaded(self.library.page_kind), world
        )
        catch_all = [tree_id for tree_id, tree in world.trees.items() if tree.catch_all]
        # A tree file that is refused for now is not gone: its terms stay valid (file name = tree id).
        tree_ids = {*world.trees, *(path.stem for path in snapshot.loaded(self.book.tree_kind))}
        lexicon = lexicon_cross_check(snapshot, self.lexicon_kind, tree_ids, catch_all)
        merged: dict[Path, list[Problem]] = {}
        for found in (trees, pages, references, lexicon):
            for path, problems in found.items():
                merged.setdefault(path, []).extend(problems)
        only_pages_missing = frozenset(
            path for path, problems in references.items() if errors(problems) and not errors(trees.get(path, []))
        )
        # A lexicon naming a tree that is gone still helps search for every other tree.
        kept = {path: tuple(problems) for path, problems in merged.items()}  # shared: nothing may change them
        return Findings(kept, served_when_new=only_pages_missing | frozenset(lexicon))

    def _world(self, snapshot: Snapshot) -> World:
        return World(
            trees={tree.id: tree for tree in snapshot.available(self.book.tree_kind).values()},
            pages={(p.slug, p.language): p for p in snapshot.available(self.library.page_kind).values()},
            municipalities=tuple(snapshot.available(self.library.map_kind).values()),
            pages_known=(self.library.directory / PAGES_DIR).is_dir(),
        )


def _check_key(snapshot: Snapshot, pages_known: bool) -> tuple[Hashable, tuple[object, ...]]:
    """What the cross-check reads: each file's path and kind, the version loaded and the last good
    value (the objects themselves, compared by identity), and whether there is a pages directory."""
    versions: Mapping[Path, Version] = snapshot.versions
    names = (pages_known, tuple((path, v.kind.name) for path, v in versions.items()), tuple(snapshot.good))
    objects = (*(v.loaded for v in versions.values()), *snapshot.good.values())
    return names, objects


class _KeptFindings:
    """The findings of the last few checked sets of versions. A version is the object loading a file
    gave, immutable, and held here (its id is not reused meanwhile); a file loaded again is a new
    object, so a changed file is checked anew."""

    KEPT = 4

    def __init__(self) -> None:
        self._entries: list[tuple[Hashable, tuple[object, ...], Findings]] = []
        self._lock = threading.Lock()

    def find(self, names: Hashable, objects: tuple[object, ...]) -> Findings | None:
        with self._lock:
            for kept_names, kept_objects, findings in self._entries:
                if kept_names == names and all(a is b for a, b in zip(kept_objects, objects, strict=True)):
                    return findings
        return None

    def keep(self, names: Hashable, objects: tuple[object, ...], findings: Findings) -> None:
        with self._lock:
            self._entries.insert(0, (names, objects, findings))
            del self._entries[self.KEPT :]


_FINDINGS = _KeptFindings()


@dataclass(frozen=True)
class World:
    """What references may point at: every tree, page and social map that is live or about to be."""

    trees: Mapping[str, Tree]
    pages: Mapping[tuple[str, str], Page]
    municipalities: Sequence[Municipality]
    pages_known: bool  # False when there is no pages directory at all: then self-care pages are not checked


def cross_check(
    trees: Mapping[Path, Tree], pages: Mapping[Path, Loaded[Page]], world: World
) -> dict[Path, list[Problem]]:
    """The problems between trees and pages and social maps, by file."""
    problems: dict[Path, list[Problem]] = {}
    for path, tree in trees.items():
        for outcome in tree.outcomes():
            problems.setdefault(path, []).extend(
                [*_self_care_page(tree, outcome, world), *_social_service(tree, outcome, world)]
            )
    for path, loaded in pages.items():
        if loaded.value is not None:
            problems.setdefault(path, []).extend(_related_outcomes(loaded.value, loaded.references, world))
    return problems


def _self_care_page(tree: Tree, outcome: Outcome, world: World) -> Iterable[Problem]:
    """A self-care outcome's page exists in both languages (an error), and lists the
    outcome in its ``related_outcomes`` (a warning: the list is for editors, not patients)."""
    slug = outcome.self_care_page
    if not slug or not world.pages_known:
        return
    name = f"{tree.id}.{outcome.id}"
    for language in LANGUAGES:
        page = world.pages.get((slug, language))
        if page is None:
            yield Problem(
                tree.path,
                outcome.line,
                f"'{outcome.id}' names self-care page '{slug}', but {slug}.{language}.md is missing or refused",
            )
        elif name not in page.related_outcomes:
            yield Problem(
                tree.path,
                outcome.line,
                f"'{outcome.id}' names self-care page '{slug}', but {slug}.{language}.md does not list "
                f"'{name}' in related_outcomes",
                Severity.WARNING,
            )


def _social_service(tree: Tree, outcome: Outcome, world: World) -> Iterable[Problem]:
    """A social-domain outcome's service is in every social map. A warning: where it is
    not, the outcome gives the municipality's general number instead."""
    if not outcome.social_service:
        return
    for municipality in world.municipalities:
        if municipality.service(outcome.social_service) is None:
            yield Problem(
                tree.path,
                outcome.line,
                f"'{outcome.id}' sends patients to '{outcome.social_service}', but the social map "
                f"{municipality.path.name} does not list it; patients there get the municipality's general number",
                Severity.WARNING,
            )


def _related_outcomes(page: Page, references: Iterable[tuple[str, str, int]], world: World) -> Iterable[Problem]:
    """Each outcome in ``related_outcomes`` exists and names this page (warnings, like the
    other direction). Not checked without trees."""
    if not world.trees:
        return
    for kind, name, line in references:
        if kind != "outcome":
            continue
        tree_id, _, outcome_id = name.partition(".")
        tree = world.trees.get(tree_id)
        node = tree.nodes.get(outcome_id) if tree else None
        if tree is None or not isinstance(node, Outcome):
            reason = (
                f"there is no tree '{tree_id}'" if tree is None else f"tree '{tree_id}' has no outcome '{outcome_id}'"
            )
            yield Problem(page.path, line, f"related outcome '{name}': {reason}", Severity.WARNING)
        elif node.self_care_page != page.slug:
            yield Problem(
                page.path,
                line,
                f"related outcome '{name}' does not name this page as its self_care_page",
                Severity.WARNING,
            )


# --- voordeur lint -------------------------------------------------------------------


def is_content_path(path: Path) -> bool:
    return path.suffix == ".md" or (path.is_dir() and ((path / PAGES_DIR).is_dir() or (path / SOCIAL_MAP_DIR).is_dir()))


def content_root(path: Path) -> Path:
    return path.parent.parent if path.suffix in (".md", ".yaml") else path


def lint_all(paths: Iterable[Path], today: date, *, rules_dir: Path, content_dir: Path) -> list[Problem]:
    """Every problem in the given paths; directories of either kind, or single files.

    Every file is loaded once, into one ``Content``, and checked exactly as the running
    portal checks it; only the problems of the paths asked for are reported.
    """
    paths = list(paths)
    tree_paths = [p for p in paths if not is_content_path(p) and not _in(p, content_dir)]
    content_paths = [p for p in paths if p not in tree_paths]
    groups = group(tree_paths)
    directory, *others = list(groups) or [rules_dir]
    named = groups.get(directory, [])
    content = Content(
        directory,
        content_root(content_paths[0]) if content_paths else content_dir,
        tree_files=sorted({*rule_files(directory), *named}),
    )
    content.refresh(today)
    problems = content.book.report(named) if tree_paths else []
    if tree_paths:  # the lexicon of the tree directory (LEX rules, portal.triage.lexicon)
        problems += [p for found in content.live.current.problems_of(content.lexicon_kind).values() for p in found]
    for other in others:  # more tree directories: trees only
        book = RuleBook(other, files=groups[other])
        book.refresh(today)
        problems += book.report(groups[other])
    if content_paths:
        wanted = {p.resolve() for p in content_paths if p.is_file()}
        problems += [p for p in content.library.all_problems() if not wanted or p.path.resolve() in wanted]
    return sorted(set(problems))


def _in(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
        return True
    except ValueError:
        return False
