"""The live-content mechanism: the last good version of every tree, page and social map."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from portal.content.live import Findings, Kind, LiveFiles, Loaded, Snapshot
from portal.lint import Content
from portal.triage.problems import Problem
from tests.conftest import REPO, RULES, TODAY


@pytest.fixture
def content(tmp_path: Path) -> Content:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(REPO / "content", tmp_path / "content")
    live = Content(tmp_path / "rules", tmp_path / "content")
    live.refresh(TODAY)
    return live


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_the_demo_content_loads_as_one_with_nothing_refused(content):
    tree_files = [p for p in RULES.glob("*.yaml") if not p.name.startswith("_")]
    page_files = list((REPO / "content" / "pages").glob("*.md"))
    assert len(content.book.trees) == len(tree_files) >= 55 and len(content.library.pages) == len(page_files)
    assert set(content.library.municipalities) == {"zuiderdam-demo", "noordhaven-demo"}
    assert [p for found in content.live.current.problems.values() for p in found] == []  # not even a warning


def test_a_broken_edit_keeps_the_last_good_tree_and_the_last_good_page(content):
    tree, page = content.book.trees["keelpijn"], content.library.pages[("hoesten", "nl")]
    tree_path, page_path = tree.path, page.path
    _edit(tree_path, "next: urgent_now", "next: self_care")
    _edit(page_path, "theme: chest_and_breathing", "theme: longen")
    assert content.refresh(TODAY)
    assert content.book.trees["keelpijn"] is tree
    assert content.library.pages[("hoesten", "nl")] is page
    assert set(content.refused()) == {tree_path, page_path}
    assert tree_path in content.book.refused() and page_path in content.library.refused()


def test_a_good_edit_goes_live_for_trees_and_pages_alike(content):
    tree, page = content.book.trees["keelpijn"], content.library.pages[("hoesten", "nl")]
    _edit(tree.path, "  nl: Keelpijn\n", "  nl: Pijn in de keel\n")
    _edit(page.path, "title: Hoesten", "title: Hoest")
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"].title.nl == "Pijn in de keel"
    assert content.library.pages[("hoesten", "nl")].title == "Hoest"
    assert content.refused() == {}


def _fresh(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(REPO / "content", tmp_path / "content")
    return tmp_path / "rules", tmp_path / "content"


def test_start_up_is_the_same_for_trees_and_pages(tmp_path):
    """A file that never passed is not live, whatever its kind, and both are reported."""
    rules, pages = _fresh(tmp_path)
    tree_path, page_path = rules / "kortademig.yaml", pages / "pages" / "geldzorgen.nl.md"
    _edit(tree_path, "kind: tree", "kind: boom")
    _edit(page_path, "theme: money_and_home", "theme: geld")
    content = Content(rules, pages)
    content.refresh(TODAY)
    assert "kortademig" not in content.book.trees and ("geldzorgen", "nl") not in content.library.pages
    # the English page is refused too: a page is only served in both languages
    assert set(content.refused()) == {tree_path, page_path, pages / "pages" / "geldzorgen.en.md"}


def test_at_start_up_a_tree_whose_self_care_page_is_missing_is_served_and_reported(tmp_path):
    """The decision in portal/lint.py: a missing help page never takes a triage offline."""
    rules, pages = _fresh(tmp_path)
    _edit(rules / "keelpijn.yaml", "self_care_page: keelpijn", "self_care_page: keel")
    content = Content(rules, pages)
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"].nodes["self_care"].self_care_page == "keel"
    assert [p.message for p in content.refused()[rules / "keelpijn.yaml"]] == [
        "'self_care' names self-care page 'keel', but keel.nl.md is missing or refused",
        "'self_care' names self-care page 'keel', but keel.en.md is missing or refused",
    ]


def test_a_tree_whose_self_care_page_is_missing_keeps_its_last_good_version(content):
    tree = content.book.trees["keelpijn"]
    _edit(tree.path, "self_care_page: keelpijn", "self_care_page: keel")
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"] is tree
    problems = content.book.refused()[tree.path]
    assert [p.line for p in problems] == [tree.nodes["self_care"].line] * 2
    assert [p.message for p in problems] == [
        f"'self_care' names self-care page 'keel', but keel.{language}.md is missing or refused"
        for language in ("nl", "en")
    ]


def test_a_deleted_page_refuses_the_trees_that_name_it_not_the_pages_that_link_to_them(content):
    tree = content.book.trees["keelpijn"]
    for language in ("nl", "en"):
        (content.library.directory / "pages" / f"keelpijn.{language}.md").unlink()
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"] is tree  # still served: its last good version
    assert set(content.refused()) == {tree.path}


def test_a_refused_tree_comes_back_when_its_page_does(content):
    tree = content.book.trees["keelpijn"]
    _edit(tree.path, "self_care_page: keelpijn", "self_care_page: keel")
    content.refresh(TODAY)
    pages = content.library.directory / "pages"
    for language in ("nl", "en"):
        text = (pages / f"keelpijn.{language}.md").read_text("utf-8").replace("slug: keelpijn", "slug: keel")
        (pages / f"keel.{language}.md").write_text(text, "utf-8")
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"] is not tree
    assert content.book.trees["keelpijn"].nodes["self_care"].self_care_page == "keel"
    assert tree.path not in content.refused()


def test_a_second_catch_all_tree_is_refused_in_the_portal_too(content):
    path = content.book.trees["keelpijn"].path
    _edit(path, "common: 1\n", "common: 1\ncatch_all: true\n")
    content.refresh(TODAY)
    assert [p.message for p in content.book.refused()[path]] == [
        "only one tree may be the catch-all; 'algemeen' already is"
    ]
    assert not content.book.trees["keelpijn"].catch_all


def test_a_second_file_with_a_tree_id_in_use_is_refused(content):
    source = content.book.trees["hoesten"].path
    shutil.copy(source, source.parent / "aaa_hoesten.yaml")
    content.refresh(TODAY)
    assert content.book.trees["hoesten"].path == source
    assert [p.message for p in content.book.refused()[source.parent / "aaa_hoesten.yaml"]] == [
        "tree id 'hoesten' is already used by hoesten.yaml"
    ]


# --- the mechanism itself, on plain text files ---------------------------------------------


class Counter:
    """A kind whose files hold a number; 'bad' fails its own check. Counts the loads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.loads: list[str] = []
        self.context: object = None
        self.kind: Kind[int] = Kind("number", self.files, self.load, lambda _snapshot: self.context)

    def files(self, _snapshot: Snapshot) -> list[Path]:
        return sorted(self.directory.glob("*.txt"))

    def load(self, path: Path, _today: date, _context: object) -> Loaded[int]:
        self.loads.append(path.name)
        text = path.read_text()
        if text == "bad":
            return Loaded(None, (Problem(path, 1, "not a number"),))
        return Loaded(int(text))


@pytest.fixture
def numbers(tmp_path: Path) -> tuple[Counter, LiveFiles]:
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "b.txt").write_text("2")
    counter = Counter(tmp_path)
    live = LiveFiles([counter.kind])
    live.refresh(TODAY)
    counter.loads.clear()
    return counter, live


def test_a_refresh_without_changes_loads_nothing(numbers):
    counter, live = numbers
    assert live.refresh(TODAY) is False
    assert counter.loads == []


def test_only_the_changed_file_is_loaded_again(numbers):
    counter, live = numbers
    (counter.directory / "b.txt").write_text("22")
    assert live.refresh(TODAY)
    assert counter.loads == ["b.txt"]
    assert live.current.live(counter.kind) == {counter.directory / "a.txt": 1, counter.directory / "b.txt": 22}


def test_a_new_context_loads_every_file_again(numbers):
    counter, live = numbers
    counter.context = object()
    live.refresh(TODAY)
    assert sorted(counter.loads) == ["a.txt", "b.txt"]


def test_a_broken_file_keeps_its_last_good_version_and_a_gone_file_is_dropped(numbers):
    counter, live = numbers
    (counter.directory / "a.txt").write_text("bad")
    (counter.directory / "b.txt").unlink()
    live.refresh(TODAY)
    assert live.current.live(counter.kind) == {counter.directory / "a.txt": 1}
    assert [p.message for p in live.refused()[counter.directory / "a.txt"]] == ["not a number"]


def test_the_cross_check_can_refuse_a_file_that_passes_its_own_checks(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    counter = Counter(tmp_path)

    def odd_numbers_only(snapshot: Snapshot) -> Findings:
        found = {p: [Problem(p, 1, "even")] for p, n in snapshot.candidates(counter.kind).items() if n % 2 == 0}
        return Findings(found)

    live = LiveFiles([counter.kind], check=odd_numbers_only)
    live.refresh(TODAY)
    (tmp_path / "a.txt").write_text("2")
    live.refresh(TODAY)
    assert live.current.live(counter.kind) == {tmp_path / "a.txt": 1}
    assert live.current.available(counter.kind) == {tmp_path / "a.txt": 2}


def test_refresh_if_due_looks_at_most_every_check_seconds(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    counter = Counter(tmp_path)
    live = LiveFiles([counter.kind], check_seconds=10)
    assert live.refresh_if_due(TODAY, now=100.0)
    (tmp_path / "a.txt").write_text("11")
    assert not live.refresh_if_due(TODAY, now=105.0)
    assert live.current.live(counter.kind) == {tmp_path / "a.txt": 1}
    assert live.refresh_if_due(TODAY, now=110.0)
    assert live.current.live(counter.kind) == {tmp_path / "a.txt": 11}
