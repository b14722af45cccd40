"""The URL rules of an app the tests build are what werkzeug itself would compile.

tests/conftest.py shares werkzeug's work on a URL rule between the apps of a test process
(``_url_rules_compiled_once``, ``_url_rules_parsed_once``, ``_url_builders_compiled_once``).
These tests compile every rule of such an app again with werkzeug's own code
(``conftest.WERKZEUG_RULE``) and check that it gives the same: what the app matches, builds
and names would otherwise differ from a real server's.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from portal import create_app
from tests import conftest


def _converters(rule: Rule) -> dict[str, tuple[type, dict]]:
    return {name: (type(c), dict(vars(c))) for name, c in rule._converters.items()}


def _code(bound) -> object:
    return bound.__func__.__code__


@pytest.fixture
def later_app(app_config):
    """An app built after another in the same process: its rules come from the shares."""
    create_app(app_config)
    return create_app(app_config)


def test_every_rule_of_a_later_app_is_compiled_as_werkzeug_compiles_it(later_app, monkeypatch):
    rules = list(later_app.url_map.iter_rules())
    assert len(rules) >= 90
    own = []
    with monkeypatch.context() as m:
        for name, original in conftest.WERKZEUG_RULE.items():
            m.setattr(Rule, name, original)
        for rule in rules:
            fresh = rule.empty()
            fresh.bind(later_app.url_map)
            own.append((rule, fresh))
    for rule, fresh in own:
        assert rule.map is later_app.url_map
        assert rule._parts == fresh._parts, rule.rule
        assert rule._trace == fresh._trace, rule.rule
        assert rule.arguments == fresh.arguments, rule.rule
        assert _converters(rule) == _converters(fresh), rule.rule
        assert all(c.map is later_app.url_map for c in rule._converters.values()), rule.rule
        assert _code(rule._build) == _code(fresh._build), rule.rule
        assert _code(rule._build_unknown) == _code(fresh._build_unknown), rule.rule
        assert rule._build.__self__ is rule and rule._build_unknown.__self__ is rule


def test_a_later_app_builds_and_matches_every_url_as_the_first(app_config):
    first, later = create_app(app_config), create_app(app_config)
    adapters = [app.url_map.bind("localhost") for app in (first, later)]
    rules = list(later.url_map.iter_rules())
    assert [r.rule for r in rules] == [r.rule for r in first.url_map.iter_rules()]
    for rule in rules:
        values = {name: 7 if type(c).__name__ == "IntegerConverter" else "a-b" for name, c in rule._converters.items()}
        method = sorted(rule.methods or {"GET"})[0]
        built = [adapter.build(rule.endpoint, values, method=method) for adapter in adapters]
        assert built[1] == built[0], rule.rule
        assert adapters[1].match(built[1], method=method) == adapters[0].match(built[0], method=method), rule.rule
