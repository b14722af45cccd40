"""The one cross-check (trees ↔ pages ↔ social maps) as ``voordeur lint`` reports it, each file loaded once."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import portal.pages.library
import portal.pages.loader
import portal.triage.lexicon
import portal.triage.loader
from portal.lint import lint_all
from portal.triage.problems import Severity
from tests.conftest import PAGES_READ, REPO, RULES, TODAY


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(REPO / "content", tmp_path / "content")
    return tmp_path / "rules", tmp_path / "content"


def _lint(repo: tuple[Path, Path]) -> list:
    rules, content = repo
    return lint_all([rules, content], TODAY, rules_dir=rules, content_dir=content)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def _line(path: Path, marker: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if marker in line)


def test_lint_all_reads_every_file_once(repo, monkeypatch):
    reads: Counter[Path] = Counter()

    def counting(read):
        def wrapper(path, *args):
            reads[path] += 1
            return read(path, *args)

        return wrapper

    monkeypatch.setattr(portal.triage.loader, "read_yaml", counting(portal.triage.loader.read_yaml))
    monkeypatch.setattr(portal.pages.loader, "read_yaml", counting(portal.pages.loader.read_yaml))
    monkeypatch.setattr(portal.pages.loader, "read_text", counting(portal.pages.loader.read_text))
    monkeypatch.setattr(portal.triage.lexicon, "read_yaml", counting(portal.triage.lexicon.read_yaml))
    # The portal's own page reader, not the tests' per-process share of it (tests/conftest.py,
    # ``_pages_read_once``): that share hands a page read earlier in another folder to this copy.
    monkeypatch.setattr(portal.pages.library, "read_page", PAGES_READ["read_page"])
    assert _lint(repo) == []
    rules, content = repo
    every_file = [*rules.glob("*.yaml"), *content.glob("pages/*.md"), *content.glob("social_map/*.yaml")]
    assert reads == dict.fromkeys(every_file, 1)


def test_a_missing_self_care_page_is_an_error_on_the_outcomes_line(repo):
    rules, _content = repo
    path = rules / "keelpijn.yaml"
    _edit(path, "self_care_page: keelpijn", "self_care_page: keel")
    problems = [p for p in _lint(repo) if p.is_error]
    assert [(p.path, p.line) for p in problems] == [(path, _line(path, "  self_care:"))] * 2


def test_a_related_outcome_that_does_not_link_to_the_page_is_a_warning_on_its_line(repo):
    _rules, content = repo
    path = content / "pages" / "keelpijn.nl.md"
    _edit(path, "related_outcomes: [keelpijn.self_care]", "related_outcomes: [keelpijn.self_care, hoesten.nope]")
    (problem,) = _lint(repo)
    assert (problem.path, problem.line, problem.severity) == (path, _line(path, "related_outcomes:"), Severity.WARNING)
    assert problem.message == "related outcome 'hoesten.nope': tree 'hoesten' has no outcome 'nope'"


def test_an_outcome_missing_from_its_pages_related_outcomes_is_a_warning_on_the_tree(repo):
    rules, content = repo
    _edit(content / "pages" / "keelpijn.en.md", "related_outcomes: [keelpijn.self_care]", "related_outcomes: []")
    (problem,) = _lint(repo)
    path = rules / "keelpijn.yaml"
    assert (problem.path, problem.line, problem.severity) == (path, _line(path, "  self_care:"), Severity.WARNING)
    assert "keelpijn.en.md does not list 'keelpijn.self_care' in related_outcomes" in problem.message


def test_a_social_service_missing_from_a_social_map_is_a_warning_on_the_outcome(repo):
    rules, content = repo
    social_map = content / "social_map" / "zuiderdam-demo.yaml"
    text = social_map.read_text("utf-8")
    start = text.index("  - type: schuldhulp")
    end = text.index("  - type:", start + 1)
    social_map.write_text(text[:start] + text[end:], "utf-8")
    problems = _lint(repo)
    assert problems and all(p.severity is Severity.WARNING for p in problems)
    # Every tree that sends patients to schuldhulp is named, and nothing else.
    using = {path for path in rules.glob("*.yaml") if "social_service: schuldhulp" in path.read_text("utf-8")}
    assert rules / "zorgen.yaml" in using
    assert {p.path for p in problems} == using
    assert all("'schuldhulp', but the social map zuiderdam-demo.yaml does not list it" in p.message for p in problems)
