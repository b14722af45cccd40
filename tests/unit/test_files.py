"""The file kernel: one parse per content (the cache), read-only shared data, each caller's path."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest

from portal.content import files
from portal.content.files import cache_info, line_of, read_yaml
from portal.pages.loader import _validator as page_validator
from portal.triage.loader import _validator as tree_validator
from portal.triage.loader import read_file
from tests.conftest import RULES

KEELPIJN = (RULES / "keelpijn.yaml").read_text("utf-8")


def _copy(tmp_path: Path, name: str, text: str = KEELPIJN) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_the_same_bytes_elsewhere_are_a_cache_hit_with_equal_data(tmp_path):
    first, _ = read_file(_copy(tmp_path, "a/keelpijn.yaml"))
    before = cache_info()
    second, problems = read_file(_copy(tmp_path, "b/keelpijn.yaml"))
    after = cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    assert problems == [] and second == first
    assert second.key_lines == first.key_lines and second["nodes"].key_lines == first["nodes"].key_lines


def test_a_changed_byte_misses_the_cache(tmp_path):
    read_file(_copy(tmp_path, "a/keelpijn.yaml"))
    before = cache_info()
    version = int(re.search(r"^version: (\d+)$", KEELPIJN, re.MULTILINE).group(1))
    bumped = re.sub(r"^version: \d+$", f"version: {version + 1}", KEELPIJN, count=1, flags=re.MULTILINE)
    changed, _ = read_file(_copy(tmp_path, "b/keelpijn.yaml", bumped))
    assert cache_info().misses == before.misses + 1
    assert changed["version"] == version + 1


def test_the_validator_is_part_of_the_key(tmp_path):
    path = _copy(tmp_path, "keelpijn.yaml")
    read_yaml(path, tree_validator())
    before = cache_info()
    data, problems = read_yaml(path, page_validator("social_map"))
    assert cache_info().misses == before.misses + 1
    assert data is None and problems  # a tree is not a social map


def test_a_caller_cannot_change_what_another_caller_gets(tmp_path):
    path = _copy(tmp_path, "keelpijn.yaml")
    data, _ = read_file(path)
    attempts = [
        lambda: data.__setitem__("id", "hacked"),
        lambda: data.pop("id"),
        lambda: data.update(id="hacked"),
        lambda: data["nodes"]["self_care"].__setitem__("urgency", "U1"),
        lambda: data["cases"].append({}),
        lambda: data["cases"].__setitem__(0, {}),
        lambda: setattr(data, "key_lines", {}),
    ]
    for attempt in attempts:
        with pytest.raises(TypeError):
            attempt()
    again, _ = read_file(_copy(tmp_path, "other/keelpijn.yaml"))
    assert again["id"] == "keelpijn" and again["nodes"]["self_care"]["urgency"] == "U5"


def test_a_copy_can_be_changed_freely(tmp_path):
    data, _ = read_file(_copy(tmp_path, "keelpijn.yaml"))
    mine = dict(data)
    mine["id"] = "mine"
    assert data["id"] == "keelpijn"
    assert copy.deepcopy(data) is data  # read-only data is its own copy, like a tuple


def test_problems_are_reported_with_each_callers_own_path_and_line(tmp_path):
    broken = KEELPIJN.replace("urgency: U5", "urgency: U9", 1)
    first = _copy(tmp_path, "a/keelpijn.yaml", broken)
    second = _copy(tmp_path, "b/keelpijn.yaml", broken)
    (_, a), (_, b) = read_file(first), read_file(second)
    assert [(p.path, p.line) for p in a] == [(first, p.line) for p in a]
    assert [(p.path, p.line, p.message) for p in b] == [(second, p.line, p.message) for p in a]
    assert a[0].line == KEELPIJN.splitlines().index("    urgency: U5") + 1


def test_lines_survive_the_cache(tmp_path):
    data, _ = read_file(_copy(tmp_path, "keelpijn.yaml"))
    line = line_of(data, ["nodes", "self_care", "self_care_page"])
    assert KEELPIJN.splitlines()[line - 1] == "    self_care_page: keelpijn"


def test_the_cache_forgets_the_least_recently_used_first():
    cache = files._ParseCache(2)
    validator = tree_validator()
    entries = {key: files._Checked(validator, key, ()) for key in (b"a", b"b", b"c")}
    cache.put((b"a", id(validator)), entries[b"a"])
    cache.put((b"b", id(validator)), entries[b"b"])
    assert cache.get((b"a", id(validator)), validator) is entries[b"a"]  # a is now the most recent
    cache.put((b"c", id(validator)), entries[b"c"])
    assert cache.info().size == 2
    assert cache.get((b"b", id(validator)), validator) is None
    assert cache.get((b"a", id(validator)), validator) is entries[b"a"]


def test_an_unreadable_file_is_a_problem_not_an_exception(tmp_path):
    missing = tmp_path / "gone.yaml"
    data, problems = read_file(missing)
    assert data is None and [(p.path, p.line) for p in problems] == [(missing, 1)]
    assert problems[0].message.startswith("cannot read the file")


def test_every_demo_file_is_parsed_once_per_content(tmp_path):
    """What makes the test suite fast: a copy of triage_rules/ costs no parsing."""
    for path in RULES.glob("*.yaml"):
        read_file(path)
    copied = tmp_path / "rules"
    shutil.copytree(RULES, copied)
    before = cache_info()
    for path in copied.glob("*.yaml"):
        read_file(path)
    assert cache_info().misses == before.misses
