"""Everything ``voordeur lint`` and the editors' workbench check, in one place.

Trees (``triage_rules/``), pages and social maps (``content/``), and the
references between them: a tree's ``self_care_page`` must exist in both
languages. Plain Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .pages.library import PAGES_DIR, SOCIAL_MAP_DIR, ContentLibrary
from .triage.problems import Problem
from .triage.rules import RuleBook
from .triage.rules import lint as lint_trees


def is_content_path(path: Path) -> bool:
    return path.suffix == ".md" or (path.is_dir() and ((path / PAGES_DIR).is_dir() or (path / SOCIAL_MAP_DIR).is_dir()))


def content_root(path: Path) -> Path:
    return path.parent.parent if path.suffix in (".md", ".yaml") else path


def lint_all(paths: Iterable[Path], today: date, *, rules_dir: Path, content_dir: Path) -> list[Problem]:
    """Every problem in the given paths; directories of either kind, or single files."""
    problems: list[Problem] = []
    paths = list(paths)
    tree_paths = [p for p in paths if not is_content_path(p) and not _in(p, content_dir)]
    content_paths = [p for p in paths if p not in tree_paths]
    if tree_paths:
        problems += lint_trees(tree_paths, today)
    book = RuleBook(rules_dir)
    book.refresh(today)
    if content_paths:
        library = ContentLibrary(content_root(content_paths[0]))
        library.refresh(today, book.trees.keys())
        wanted = {p.resolve() for p in content_paths if p.is_file()}
        problems += [p for p in library.all_problems() if not wanted or p.path.resolve() in wanted]
    if tree_paths and (content_dir / PAGES_DIR).is_dir():
        problems += _self_care_pages(book, content_dir, today)
    return sorted(set(problems))


def _in(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
        return True
    except ValueError:
        return False


def _self_care_pages(book: RuleBook, content_dir: Path, today: date) -> list[Problem]:
    library = ContentLibrary(content_dir)
    library.refresh(today, book.trees.keys())
    problems = []
    for tree in book.trees.values():
        for outcome in tree.outcomes():
            if not outcome.self_care_page:
                continue
            for language in ("nl", "en"):
                if (outcome.self_care_page, language) not in library.pages:
                    problems.append(
                        Problem(
                            tree.path,
                            outcome.line,
                            f"'{outcome.id}' names self-care page '{outcome.self_care_page}', "
                            f"but {outcome.self_care_page}.{language}.md is missing or refused",
                        )
                    )
    return problems
