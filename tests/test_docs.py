"""Docs that cannot drift: generated references, the CLI table, the guide's example tree."""

from __future__ import annotations

import re
import shutil

import pytest

from portal.cli import init_app
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
    ours = {"serve", "migrate", "demo", "lint", "sweep", "practices", "users", "purge", "audit"}
    assert ours <= set(app.cli.commands)
    for name in ours:
        assert f"`voordeur {name}" in readme, name
    assert callable(init_app)


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
