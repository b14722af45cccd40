"""Every problem an editor sees has a sentence in the editor's words, in Dutch and in English
(``portal.editor.messages``): the commonest messages with their names filled in, every rule with an
id a sentence of its own, anything else a general sentence beside the technical text."""

from __future__ import annotations

import functools
import sqlite3
from contextlib import closing
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from portal.editor.messages import REWRITES, RULE_WORDS, UNKNOWN, in_editor_words
from portal.triage.checks import RULES
from portal.triage.lexicon import LEXICON_RULES
from portal.triage.problems import Problem, Severity
from tests.factories import app_on_a_copy

REPO = Path(__file__).resolve().parents[3]
CATALOGUE = REPO / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
EVERY_RULE = {**RULES, **LEXICON_RULES}
WHERE = Path("triage_rules/keelpijn.yaml")


@pytest.fixture(scope="module")
def words_app(tmp_path_factory, demo_database, shared_content):
    """One app for the tests below that only ask it for a request context and a language (read-only:
    none of them writes to its database or files), instead of ~65 apps built and thrown away. Set up
    as ``app_config`` in tests/conftest.py sets up a test's own app; after the module its database is
    compared with what it held before the first test (the files are ``shared_content``'s, compared
    after the run)."""
    app, database = app_on_a_copy(
        tmp_path_factory.mktemp("editor-words"), demo_database, shared_content, WTF_CSRF_ENABLED=False
    )
    before = _rows(database)
    yield app
    assert _rows(database) == before, "a test wrote to the shared app's database: give it its own app"


def _rows(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        return list(connection.iterdump())


class Entry(NamedTuple):
    """What the tests read of one catalogue entry (read-only, so every test sees the file as it is)."""

    string: str | tuple[str, ...]
    fuzzy: bool


@functools.cache
def _dutch() -> MappingProxyType[str, Entry]:
    """messages.po read once per process (~0.2 s of CPU each time), as ``Catalog.get(msgid)`` finds its
    entries: by the singular msgid, without a context."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    return MappingProxyType(
        {
            (m.id[0] if isinstance(m.id, tuple) else m.id): Entry(m.string, m.fuzzy)
            for m in catalogue
            if m.id and m.context is None
        }
    )


def test_every_rule_the_checks_can_report_has_the_editors_words_and_no_word_is_for_a_rule_that_is_gone():
    assert set(RULE_WORDS) == set(EVERY_RULE)


@pytest.mark.parametrize("rule_id", sorted(EVERY_RULE))
def test_each_rules_words_are_in_english_and_dutch(words_app, rule_id):
    english = str(RULE_WORDS[rule_id])  # outside a request: the source text
    assert english.strip() and rule_id not in english
    entry = _dutch().get(english)
    assert entry is not None, f"{rule_id}: {english!r} is not in messages.po"
    assert entry.string and not entry.fuzzy, f"{rule_id}: {english!r} has no Dutch"
    with words_app.test_request_context(), force_locale("nl"):
        assert in_editor_words(Problem(WHERE, 3, "a message no rewrite knows", rule=rule_id)) == entry.string


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("answer 'yes' leads to unknown node 'urgent_nu'", "The answer “yes” leads nowhere"),
        ("dead end: answer 'no' of 'fever' has no 'next'", "The answer “no” to “fever” leads nowhere"),
        ("'urgent_today' cannot be reached from 'start'", "No answer leads to “urgent_today”"),
        ("'self_care' has no safety_net: say when to call the practice after all", "has no safety net"),
        ("review was due on 2020-01-01", "The review was due on 2020-01-01"),
        ("nodes.alarm_signs.help: the English text ('en') is missing: every text needs", "The English text is missing"),
        ("nodes.fever.kind: 'type' is required here", "The field “type” is required here."),
        ("this is not valid YAML: mapping values are not allowed here", "The text cannot be read here"),
        ("control character U+0007 is not allowed; delete it or type the text again", "(U+0007)"),
        ("the section '## Wat kunt u zelf doen?' is missing", "The section “Wat kunt u zelf doen?” is missing."),
        ("the link to page 'hoest' leads nowhere", "The link to the page “hoest” leads nowhere"),
        (
            "'self_care' names self-care page 'keelpijn', but keelpijn.en.md is missing or refused",
            "links to the self-help page “keelpijn”, but that page is missing or has errors",
        ),
        ("not checked: the prelude has errors", "Fix those first."),
    ],
)
def test_the_commonest_messages_name_what_they_are_about(words_app, message, expected):
    with words_app.test_request_context(), force_locale("en"):
        assert expected in in_editor_words(Problem(WHERE, 3, message))


def test_a_message_nothing_knows_still_gets_a_sentence_and_a_bare_message_is_left_as_it_is(words_app):
    with words_app.test_request_context(), force_locale("en"):
        assert in_editor_words(Problem(WHERE, 3, "something new")) == str(UNKNOWN)
        assert in_editor_words("something new") is None


def test_a_rule_with_a_rewrite_gets_the_rewrite_and_a_rule_without_one_its_own_words(words_app):
    with words_app.test_request_context(), force_locale("en"):
        problem = Problem(WHERE, 3, "answer 'yes' leads to unknown node 'x'", Severity.ERROR, "I-unknown-node")
        assert "“yes”" in in_editor_words(problem)
        other = Problem(WHERE, 3, "'x' skips to unknown node 'y'", Severity.ERROR, "I-unknown-node")
        assert in_editor_words(other) == str(RULE_WORDS["I-unknown-node"])
    assert all(pattern.pattern for pattern, _rewrite in REWRITES)


def test_answers_and_nodes_are_named_in_the_patients_words_where_the_live_tree_has_them(app, rules_dir):
    where = rules_dir / "keelpijn.yaml"
    with app.test_request_context(), force_locale("en"):
        dangling = Problem(where, 31, "answer 'drooling' leads to unknown node 'nergens'", rule="I-unknown-node")
        assert in_editor_words(dangling) == (
            "The answer “Drooling, because swallowing saliva no longer works” leads nowhere: "
            "there is no question or outcome called “nergens”."
        )
        unreachable = Problem(where, 1, "'urgent_now' cannot be reached from 'start'", rule="I-unreachable")
        assert in_editor_words(unreachable) == "No answer leads to “Call the practice now”: patients never get there."
        unknown = Problem(where, 1, "answer 'maybe' leads to unknown node 'x'", rule="I-unknown-node")
        assert "The answer “maybe” leads nowhere" in in_editor_words(unknown)  # not in the tree: the code stays
