"""Docs that cannot drift: generated references, the CLI table, the guide's example tree."""

from __future__ import annotations

import re
import shutil

import pytest

from portal.cli import init_app
from portal.triage.checks import RULES as RULE_REGISTRY
from portal.triage.checks import rules_markdown
from portal.triage.problems import RuleKind
from portal.triage.reference import REFERENCES
from portal.triage.rules import lint
from tests.conftest import REPO, RULES, TODAY


@pytest.mark.parametrize("kind", list(REFERENCES))
def test_each_field_reference_matches_its_schema(kind):
    name, generate = REFERENCES[kind]
    current = (REPO / "docs" / "authoring" / name).read_text("utf-8")
    assert current == generate(), f"regenerate: python -m portal.triage.reference {kind} > docs/authoring/{name}"


def test_the_readme_lists_every_command(app):
    readme = (REPO / "README.md").read_text("utf-8")
    ours = {"serve", "migrate", "demo", "lint", "sweep", "practices", "users", "purge", "audit", "outbox", "validate"}
    assert ours <= set(app.cli.commands)
    for name in ours:
        assert f"`voordeur {name}" in readme, name
    assert callable(init_app)


def test_the_rule_table_in_the_authoring_guide_matches_the_rules():
    guide = (REPO / "docs" / "authoring" / "triage-trees.md").read_text("utf-8")
    kept = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", guide, re.S).group(1)
    assert kept == rules_markdown(), "regenerate with: python -m portal.triage.checks"


def test_the_example_tree_in_the_authoring_guide_passes_the_linter(tmp_path):
    guide = (REPO / "docs" / "authoring" / "triage-trees.md").read_text("utf-8")
    example = re.search(r"## A small tree\n\n```yaml\n(.*?)```", guide, re.S).group(1)
    shutil.copy(RULES / "_prelude.yaml", tmp_path / "_prelude.yaml")
    (tmp_path / "oorpijn.yaml").write_text(example, "utf-8")
    problems = [p for p in lint([tmp_path], TODAY) if p.is_error]
    assert problems == []


def test_the_readme_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text("utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick_start, re.S)
    assert len(blocks) == 2 and all("\n" not in block for block in blocks)
    assert "voordeur serve" in blocks[0] and "pytest" in blocks[1]
    assert "quickstart:test" in (REPO / ".ci" / "run").read_text("utf-8")


def test_the_example_page_in_the_authoring_guide_passes_the_checks(tmp_path):
    from portal.pages.library import ContentLibrary

    guide = (REPO / "docs" / "authoring" / "self-help-pages.md").read_text("utf-8")
    example = re.search(r"## An example\n\n```markdown\n(.*?)```", guide, re.S).group(1)
    shutil.copytree(REPO / "content", tmp_path / "content")
    (tmp_path / "content" / "pages" / "oorpijn.nl.md").write_text(example, "utf-8")
    library = ContentLibrary(tmp_path / "content")
    trees = [path.stem for path in (REPO / "triage_rules").glob("*.yaml") if not path.name.startswith("_")]
    library.refresh(TODAY, trees)
    assert [str(p) for p in library.all_problems()] == []


def test_every_test_and_case_the_hazard_log_names_exists():
    """The hazard log is only worth something if its evidence is real: a renamed test must not go unnoticed."""
    from portal.triage.rules import RuleBook

    log = (REPO / "docs" / "safety" / "hazard-log.md").read_text("utf-8")
    references = re.findall(r"`(\w+/\w+\.py)::(\w+)(?:\[([\w-]+)\])?`", log)
    assert len(references) >= 25
    for path, name, param in references:
        source = (REPO / "tests" / path).read_text("utf-8")
        assert f"def {name}(" in source, f"{path}::{name}"
        assert not param or f'id="{param}"' in source, f"{path}::{name}[{param}]"
    linter_params = re.findall(r"…\[([\w-]+)\]`", log)
    assert len(linter_params) >= 8
    for param in linter_params:
        assert f'id="{param}"' in (REPO / "tests" / "unit" / "test_linter.py").read_text("utf-8"), param

    # Rules are cited by id: each one named must exist, and every safety rule must be a named control.
    rule_ids = set(re.findall(r"`([ISPC]-[a-z0-9]+(?:-[a-z0-9]+)*)`", log))
    assert rule_ids <= set(RULE_REGISTRY), rule_ids - set(RULE_REGISTRY)
    safety = {rule_id for rule_id, rule in RULE_REGISTRY.items() if rule.kind is RuleKind.SAFETY}
    assert safety <= rule_ids, f"safety rules the hazard log does not name: {sorted(safety - rule_ids)}"

    book = RuleBook(REPO / "triage_rules")
    book.refresh(TODAY)
    cases = {("prelude", c.name) for c in book.prelude.cases}
    cases |= {(t.id, c.name) for t in book.trees.values() for c in t.cases}
    named = re.findall(r"`(\w+): ([^`…]+)`", log)
    assert len(named) >= 8
    for tree_id, name in named:
        assert (tree_id, name) in cases, f"{tree_id}: {name}"
