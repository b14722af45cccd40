"""A refresh lists a content directory again only when the directory changed (``portal.content.live.Listings``),
and still notices every file added, removed, renamed or changed in place, at once.

The listing is kept only for a directory that last changed more than ``SharedLoads.SETTLED_NS`` ago;
these tests make the directories look that old by running the clock the listings are stamped with
10 s ahead (as tests/unit/test_shared_loads.py does), so the kept listing is what a refresh uses,
and then change the directory within the same second.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal.content import live
from portal.content.live import LISTINGS, Kind, LiveFiles, Loaded
from portal.lint import Content
from portal.triage.rules import rule_files
from tests.conftest import REPO, RULES, TODAY


@pytest.fixture
def settled(monkeypatch) -> None:
    """Every directory as if it was written long ago: the clock runs 10 s ahead. A pause of more
    than a clock tick first, so that a change the test makes gets another time than the set-up."""
    time.sleep(0.05)
    monkeypatch.setattr(live, "time", SimpleNamespace(time_ns=lambda: time.time_ns() + 10_000_000_000))


def _texts(directory: Path) -> LiveFiles:
    """Live ``*.txt`` files of ``directory``: each loaded as its text."""

    def load(path: Path, _today: date, _context: object) -> Loaded[str]:
        return Loaded(path.read_text("utf-8"))

    files = LiveFiles([Kind("text", lambda _snapshot: LISTINGS.files(directory, ".txt"), load)])
    files.refresh(TODAY)
    return files


def _live(files: LiveFiles) -> dict[str, str]:
    return {path.name: text for path, text in files.current.good.items()}


@pytest.fixture
def folder(tmp_path: Path, settled) -> Path:
    for name, text in [("a.txt", "one"), ("b.txt", "two"), ("c.md", "not listed")]:
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def test_an_unchanged_directory_is_not_listed_again(folder):
    first = LISTINGS.files(folder, ".txt")
    again = LISTINGS.files(folder, ".txt")
    assert again == first == [folder / "a.txt", folder / "b.txt"]
    assert all(a is b for a, b in zip(again, first, strict=True)), "the kept listing, not a new one"
    assert again is not first, "each caller gets its own list"


def test_a_file_added_in_the_same_second_is_live_at_the_next_refresh(folder):
    files = _texts(folder)
    assert _live(files) == {"a.txt": "one", "b.txt": "two"}
    (folder / "ab.txt").write_text("new", "utf-8")
    assert files.refresh(TODAY)
    assert _live(files) == {"a.txt": "one", "ab.txt": "new", "b.txt": "two"}


def test_a_file_removed_in_the_same_second_is_gone_at_the_next_refresh(folder):
    files = _texts(folder)
    (folder / "a.txt").unlink()
    assert files.refresh(TODAY)
    assert _live(files) == {"b.txt": "two"}


def test_a_file_renamed_in_the_same_second_is_live_under_its_new_name_only(folder):
    files = _texts(folder)
    (folder / "a.txt").rename(folder / "z.txt")
    assert files.refresh(TODAY)
    assert _live(files) == {"b.txt": "two", "z.txt": "one"}


def test_a_file_renamed_over_another_in_the_same_second_gives_its_text(folder):
    files = _texts(folder)
    (folder / "a.txt").rename(folder / "b.txt")
    assert files.refresh(TODAY)
    assert _live(files) == {"b.txt": "one"}


def test_a_file_changed_in_place_in_the_same_second_is_loaded_again(folder):
    files = _texts(folder)
    signature = os.stat(folder)
    (folder / "a.txt").write_text("ONE", "utf-8")
    assert os.stat(folder).st_mtime_ns == signature.st_mtime_ns, "the directory itself did not change"
    assert files.refresh(TODAY)
    assert _live(files) == {"a.txt": "ONE", "b.txt": "two"}


def test_a_directory_replaced_by_another_is_listed_anew(folder, tmp_path_factory):
    files = _texts(folder)
    other = tmp_path_factory.mktemp("other")
    (other / "x.txt").write_text("ex", "utf-8")
    moved = folder.with_name(folder.name + "-old")
    folder.rename(moved)
    other.rename(folder)
    assert files.refresh(TODAY)
    assert _live(files) == {"x.txt": "ex"}


def test_a_directory_that_changed_just_now_is_listed_every_time(tmp_path):
    """Without the clock ahead the directory changed less than SETTLED_NS ago: nothing is kept,
    so even a change within one clock tick of the listing is seen."""
    (tmp_path / "a.txt").write_text("one", "utf-8")
    first = LISTINGS.files(tmp_path, ".txt")
    (tmp_path / "b.txt").write_text("two", "utf-8")
    again = LISTINGS.files(tmp_path, ".txt")
    assert again == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert again[0] is not first[0]


def test_a_listing_is_what_glob_gives(folder):
    (folder / "_prelude.yaml").write_text("", "utf-8")
    (folder / "tree.yaml").write_text("", "utf-8")
    (folder / ".hidden.yaml").write_text("", "utf-8")
    (folder / "dir.yaml").mkdir()
    for _ in range(2):  # listed, then kept
        assert LISTINGS.files(folder, ".txt") == sorted(folder.glob("*.txt"))
        assert rule_files(folder) == sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_"))
    assert LISTINGS.files(folder / "a.txt", ".txt") == LISTINGS.files(folder / "missing", ".txt") == []


def test_the_portal_content_sees_a_tree_and_a_page_added_and_removed_in_the_same_second(tmp_path, settled):
    rules, content = tmp_path / "rules", tmp_path / "content"
    shutil.copytree(RULES, rules)
    shutil.copytree(REPO / "content", content)
    loaded = Content(rules, content)
    loaded.refresh(TODAY)
    assert not loaded.refresh(TODAY), "nothing changed"
    shutil.copy(rules / "keelpijn.yaml", rules / "keelpijn2.yaml")
    (content / "pages" / "hoesten.en.md").unlink()
    assert loaded.refresh(TODAY)
    assert "keelpijn2.yaml" in {path.name for path in loaded.live.current.versions}
    assert ("hoesten", "en") not in loaded.library.pages
    assert ("hoesten", "nl") in loaded.library.pages
