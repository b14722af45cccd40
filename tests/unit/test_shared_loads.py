"""What loading a file gave is shared by the contents of one process (``portal.content.live.SharedLoads``),
and never shows a content something other than what loading it from the file would show.

Every app a test builds, each worker's app and the linter load the same files; a new
``Content`` on files that were loaded before takes what they gave instead of reading,
parsing and checking them again. These tests change a file, or hand a content another
text under the same token, and check that the next content sees the change.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal.content import live
from portal.content.files import reading_instead
from portal.content.live import SHARED_LOADS, Source
from portal.lint import Content
from portal.pages.library import ContentLibrary
from portal.pages.search import build_index
from tests.conftest import REPO, RULES, TODAY

TITLE, OTHER = "  nl: Keelpijn\n", "  nl: Keelpijm\n"  # the same size: only the text differs


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the triage files and content/; its files changed less than ``SETTLED_NS`` ago."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(REPO / "content", tmp_path / "content")
    return tmp_path / "rules", tmp_path / "content"


@pytest.fixture
def settled(copies, monkeypatch) -> tuple[Path, Path]:
    """The copies as if they were written long ago: the clock the loads are stamped with runs
    10 s ahead. A pause of more than a clock tick first, so that a file written by the test
    later gets another change time than the copy (as it would after 10 real seconds)."""
    time.sleep(0.05)
    monkeypatch.setattr(live, "time", SimpleNamespace(time_ns=lambda: time.time_ns() + 10_000_000_000))
    return copies


def _loaded(rules: Path, content: Path) -> Content:
    found = Content(rules, content)
    found.refresh(TODAY)
    return found


def _from_scratch(rules: Path, content: Path) -> Content:
    SHARED_LOADS.clear()
    return _loaded(rules, content)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_a_second_content_on_files_that_did_not_change_shares_what_they_gave(settled):
    first = _from_scratch(*settled)
    hits = SHARED_LOADS.hits
    second = _loaded(*settled)
    assert SHARED_LOADS.hits - hits == len(second.live.current.versions) >= 150
    assert second.book.trees["keelpijn"] is first.book.trees["keelpijn"]
    assert second.library.pages[("hoesten", "nl")] is first.library.pages[("hoesten", "nl")]
    assert second.live.current.problems == first.live.current.problems
    assert second.search_index is first.search_index


def test_a_file_changed_after_it_was_shared_is_loaded_again_even_at_the_same_size(settled):
    rules, content = settled
    _loaded(rules, content)
    path = rules / "keelpijn.yaml"
    size = path.stat().st_size
    _edit(path, TITLE, OTHER)
    assert path.stat().st_size == size
    second = _loaded(rules, content)
    assert second.book.trees["keelpijn"].title.nl == "Keelpijm"
    assert [hit.id for hit in second.search_index.search("keelpijm", "nl")][:1] == [("tree", "keelpijn")]
    scratch = _from_scratch(rules, content)
    assert second.book.trees["keelpijn"] == scratch.book.trees["keelpijn"]
    assert second.live.current.problems == scratch.live.current.problems


def test_a_changed_page_is_loaded_again_and_found_by_its_new_title(settled):
    rules, content = settled
    first = _loaded(rules, content)
    page = first.library.pages[("hoesten", "nl")]
    _edit(page.path, "title: Hoesten", "title: Hoestxx")
    second = _loaded(rules, content)
    assert second.library.pages[("hoesten", "nl")].title == "Hoestxx"
    assert ("page", "hoesten") in [hit.id for hit in second.search_index.search("hoestxx", "nl")]
    assert second.search_index is not first.search_index


def test_files_that_changed_just_now_are_read_from_the_file_every_time(copies, monkeypatch):
    """A write may keep the change time of the write before it (timestamps are coarse): a
    file that changed less than ``SETTLED_NS`` before it was looked at is never shared. (The
    clock is held at the copy's time, so a slow machine cannot make the copy settle meanwhile.)"""
    monkeypatch.setattr(live, "time", SimpleNamespace(time_ns=lambda: os.stat(copies[0] / "keelpijn.yaml").st_ctime_ns))
    first = _loaded(*copies)
    hits = SHARED_LOADS.hits
    second = _loaded(*copies)
    assert SHARED_LOADS.hits == hits
    assert second.book.trees["keelpijn"] is not first.book.trees["keelpijn"]
    assert second.book.trees["keelpijn"] == replace(first.book.trees["keelpijn"], prelude=second.book.prelude)


def test_a_file_whose_change_time_is_recent_is_never_shared(copies, monkeypatch):
    """The rule itself: the change time must lie ``SETTLED_NS`` before the moment of the stat."""
    path = copies[0] / "keelpijn.yaml"
    stat = os.stat(path)
    assert not SHARED_LOADS.settled(stat, stat.st_ctime_ns + SHARED_LOADS.SETTLED_NS)
    assert SHARED_LOADS.settled(stat, stat.st_ctime_ns + SHARED_LOADS.SETTLED_NS + 1)


def test_a_published_text_is_shared_by_its_text_not_by_its_token(settled):
    """Two databases may both call a different text "v1": the text decides."""
    rules, content = settled
    path = rules / "keelpijn.yaml"
    text = path.read_text("utf-8")
    first, second = Content(rules, content), Content(rules, content)
    first.live.sources = {path: Source("tree", text.replace(TITLE, "  nl: Keel een\n", 1), "v1")}
    second.live.sources = {path: Source("tree", text.replace(TITLE, "  nl: Keel twee\n", 1), "v1")}
    first.refresh(TODAY)
    second.refresh(TODAY)
    assert first.book.trees["keelpijn"].title.nl == "Keel een"
    assert second.book.trees["keelpijn"].title.nl == "Keel twee"
    third = Content(rules, content)
    third.live.sources = {path: Source("tree", text.replace(TITLE, "  nl: Keel een\n", 1), "v7")}
    third.refresh(TODAY)
    assert third.book.trees["keelpijn"] is first.book.trees["keelpijn"]


def test_nothing_is_shared_while_a_text_is_read_instead_of_a_file(settled):
    rules, content = settled
    _from_scratch(rules, content)
    path = rules / "keelpijn.yaml"
    draft = path.read_text("utf-8").replace(TITLE, OTHER, 1).encode("utf-8")
    with reading_instead({path: draft}):
        inside = _loaded(rules, content)
    assert inside.book.trees["keelpijn"].title.nl == "Keelpijm"
    after = _loaded(rules, content)
    assert after.book.trees["keelpijn"].title.nl == "Keelpijn", "the draft was not remembered as the file"


def test_the_index_of_other_trees_is_built_anew(settled):
    """The search index is kept by the very objects it was built from; an equal tree under a
    new title is another object and gets its own index."""
    content = _loaded(*settled)
    trees, pages = list(content.book.trees.values()), list(content.library.pages.values())
    same = build_index(trees, pages, content.lexicon)
    assert build_index(list(trees), list(pages), content.lexicon) is same
    renamed = [replace(t, title=replace(t.title, nl="Zwemmersoor xyz")) if t.id == "keelpijn" else t for t in trees]
    other = build_index(renamed, pages, content.lexicon)
    assert other is not same
    assert [hit.id for hit in other.search("xyz", "nl")] == [("tree", "keelpijn")]
    assert same.search("xyz", "nl") == []


def test_the_cross_check_sees_a_page_removed_since_the_last_content(settled):
    rules, content = settled
    first = _loaded(rules, content)
    assert first.refused() == {}
    (content / "pages" / "keelpijn.en.md").unlink()
    second = _loaded(rules, content)
    messages = [p.message for p in second.refused()[rules / "keelpijn.yaml"]]
    assert "'self_care' names self-care page 'keelpijn', but keelpijn.en.md is missing or refused" in messages
    assert second.live.current.problems == _from_scratch(rules, content).live.current.problems


def test_the_cross_check_sees_a_tree_changed_since_the_last_content(settled):
    rules, content = settled
    _loaded(rules, content)
    _edit(rules / "keelpijn.yaml", "self_care_page: keelpijn", "self_care_page: keelpijx")
    second = _loaded(rules, content)
    assert rules / "keelpijn.yaml" in second.refused()
    assert second.live.current.problems == _from_scratch(rules, content).live.current.problems


def test_the_cross_check_sees_the_pages_directory_gone(settled):
    rules, content = settled
    _loaded(rules, content)
    shutil.rmtree(content / "pages")
    second = _loaded(rules, content)
    assert second.library.pages == {}
    assert second.live.current.problems == _from_scratch(rules, content).live.current.problems


def test_the_library_lists_exactly_the_files_pathlib_would(tmp_path):
    """The page and map directories are listed without pathlib's glob (every refresh lists them):
    the same names, in the same order, odd ones included."""
    pages = tmp_path / "content" / "pages"
    pages.mkdir(parents=True)
    for name in ("b.nl.md", "a.en.md", ".hidden.md", "C.nl.md", "notes.MD", "x.md.bak", "md", ".md", "ä.nl.md"):
        (pages / name).write_text("x", "utf-8")
    (pages / "folder.md").mkdir()
    library = ContentLibrary(tmp_path / "content")
    assert library.files() == (sorted(pages.glob("*.md")), [])
    assert library._page_files(library.live.current) == sorted(pages.glob("*.md"))
    (tmp_path / "content" / "social_map").write_text("not a directory", "utf-8")
    assert library.files()[1] == sorted((tmp_path / "content" / "social_map").glob("*.yaml")) == []
