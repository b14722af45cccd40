"""Every case of every tree, and what the demo content as a whole must cover."""

from __future__ import annotations

import pytest

from portal.triage.cases import prelude_probe_tree, run_case
from portal.triage.model import Route, Urgency
from portal.triage.rules import PRELUDE_FILE, RuleBook, lint, rule_files
from tests.conftest import RULES, TODAY

BOOK = RuleBook(RULES)
BOOK.refresh(TODAY)
assert BOOK.prelude is not None
ALL_CASES = [(tree, case) for tree in BOOK.trees.values() for case in tree.cases]
PRELUDE_CASES = [(prelude_probe_tree(BOOK.prelude), case) for case in BOOK.prelude.cases]


def test_the_repository_passes_the_linter():
    problems = [p for p in lint([RULES], TODAY) if p.is_error]
    assert problems == []


def test_every_tree_file_is_live():
    assert len(BOOK.trees) == len(rule_files(RULES)) >= 5
    assert BOOK.refused() == {}


@pytest.mark.parametrize(
    ("tree", "case"),
    ALL_CASES + PRELUDE_CASES,
    ids=[f"{t.id}: {c.name}" for t, c in ALL_CASES + PRELUDE_CASES],
)
def test_case(tree, case):
    result = run_case(tree, case)
    assert result.passed, result.problem


def test_the_demo_trees_reach_every_route_and_urgency():
    outcomes = [o for tree in BOOK.trees.values() for o in tree.outcomes()]
    outcomes += [n for n in BOOK.prelude.nodes.values() if hasattr(n, "route")]
    assert {o.route for o in outcomes} == set(Route)
    assert {o.urgency for o in outcomes} == set(Urgency)


def test_every_tree_is_labelled_demo_and_names_its_sources():
    for tree in BOOK.trees.values():
        assert tree.status == "demo — requires clinical validation"
        assert tree.sources


def test_every_yaml_file_points_editors_at_the_schema():
    for path in [*rule_files(RULES), RULES / PRELUDE_FILE]:
        first = path.read_text("utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../portal/triage/schema/tree.schema.json", path


def test_the_schema_describes_every_field():
    from portal.triage.loader import schema

    def walk(node, where):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert "description" in sub or "$ref" in sub, f"{where}.{name} has no description"
            for key, sub in node.items():
                if key != "if":  # the if/then switch on 'type' is not a field editors write
                    walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema(), "schema")
