"""The bulk word matcher of the complaint search gives what matching word by word gives."""

from __future__ import annotations

import pytest

from portal.triage.rules import RuleBook
from portal.triage.search import _levels, _match, _vocabulary, search, words
from tests.conftest import RULES, TODAY

BOOK = RuleBook(RULES)
BOOK.refresh(TODAY)
VOCABULARY = frozenset(
    w for t in BOOK.trees.values() for part in _vocabulary(t, "nl") + _vocabulary(t, "en") for w in part
)
QUERIES = ["keel", "hoofpijn", "keelpjin", "plasen", "oog", "oor", "pijn", "ko", "buikkramp", "xyzzy", "zwnager", "a"]


@pytest.mark.parametrize("query", QUERIES)
def test_every_word_gets_the_level_matching_word_by_word_gives(query):
    levels = _levels(query, VOCABULARY)
    assert {w: _match(query, w) for w in VOCABULARY if _match(query, w)} == levels


def test_a_tree_is_normalised_once_and_the_result_is_shared():
    tree = next(iter(BOOK.trees.values()))
    assert _vocabulary(tree, "nl") is _vocabulary(tree, "nl")
    title, _keywords = _vocabulary(tree, "nl")
    assert set(words(tree.title.get("nl"))) <= title


def test_search_still_ranks_as_before():
    trees = list(BOOK.trees.values())
    assert [t.id for t in search(trees, "hoofpijn", "nl")][:1] == ["hoofdpijn"]
    assert search(trees, "", "nl") == []
