"""Texts read instead of files (``portal.content.live.Source``): how published versions from the
database take the place of the files, and how an editor's draft is checked without going live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.content.live import Source
from portal.lint import Content
from tests.conftest import REPO, RULES, TODAY


@pytest.fixture
def content(tmp_path: Path) -> Content:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(REPO / "content", tmp_path / "content")
    live = Content(tmp_path / "rules", tmp_path / "content")
    live.refresh(TODAY)
    return live


def _source(path: Path, old: str, new: str, token: str = "v1", kind: str = "tree") -> Source:
    text = path.read_text("utf-8")
    assert old in text, old
    return Source(kind, text.replace(old, new, 1), token)


def test_a_source_is_read_instead_of_the_file_even_when_the_file_is_broken(content):
    path = content.book.trees["keelpijn"].path
    content.live.sources = {path: _source(path, "  nl: Keelpijn\n", "  nl: Pijn in de keel\n")}
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"].title.nl == "Pijn in de keel"
    path.write_text("kind: tree\nid: [broken", "utf-8")
    content.refresh(TODAY)
    assert content.book.trees["keelpijn"].title.nl == "Pijn in de keel" and content.refused() == {}


def test_a_source_without_a_file_is_served_and_a_new_token_loads_again(content):
    path = content.book.trees["keelpijn"].path
    text = path.read_text("utf-8")
    path.unlink()
    content.live.sources = {path: Source("tree", text, "v1")}
    content.refresh(TODAY)
    assert "keelpijn" in content.book.trees
    content.live.sources = {path: Source("tree", text.replace("  nl: Keelpijn\n", "  nl: Keel\n", 1), "v2")}
    assert content.refresh(TODAY)
    assert content.book.trees["keelpijn"].title.nl == "Keel"


def test_a_page_source_takes_the_place_of_its_file(content):
    path = content.library.pages[("hoesten", "nl")].path
    content.live.sources = {path: _source(path, "title: Hoesten", "title: Hoest", kind="page")}
    content.refresh(TODAY)
    assert content.library.pages[("hoesten", "nl")].title == "Hoest"


def test_a_trial_checks_a_draft_without_making_it_live(content):
    tree = content.book.trees["keelpijn"]
    draft = _source(tree.path, "next: today_signs", "next: nowhere", token="draft")
    trial = content.live.trial(TODAY, {tree.path: draft})
    assert any("nowhere" in p.message for p in trial.problems[tree.path])
    assert content.book.trees["keelpijn"] is tree and content.refused() == {}
    good = _source(tree.path, "  nl: Keelpijn\n", "  nl: Pijn in de keel\n", token="draft2")
    trial = content.live.trial(TODAY, {tree.path: good})
    assert trial.versions[tree.path].loaded.value.title.nl == "Pijn in de keel"
    assert content.book.trees["keelpijn"] is tree
