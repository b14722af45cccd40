"""The search index: built once per content version, and matching only real parts of compounds.

(This file tested the old per-word matcher, whose 'inside a word' level was the substring
noise the search issue names as a bug — 'oor' inside 'zorgen'. It now tests what replaced it.)
"""

from __future__ import annotations

import pytest

from portal.triage.search import SearchIndex, search, tree_document, tree_index
from tests.conftest import RULES
from tests.query_set import load_trees

TREES = load_trees(RULES)  # built without their own checks: search does not depend on them


def test_the_index_is_built_once_and_shared_by_every_search_of_the_same_trees():
    assert tree_index(TREES) is tree_index(TREES)


@pytest.mark.parametrize(
    ("word", "parts"),
    [("keelpijn", ("keel", "pijn")), ("oorpijn", ("oor", "pijn")), ("zorgen", ()), ("koorts", ())],
)
def test_a_compound_splits_only_into_real_words(word, parts):
    index = SearchIndex(tree_document(t) for t in TREES)
    assert index.split(word, "nl") == parts


@pytest.mark.parametrize(("query", "wrong"), [("oor", "zorgen"), ("oor", "koorts_kind"), ("mond", "wond")])
def test_a_word_is_not_found_inside_an_unrelated_word(query, wrong):
    assert wrong not in [t.id for t in search(TREES, query, "nl")]


def test_search_still_ranks_as_before():
    assert [t.id for t in search(TREES, "hoofpijn", "nl")][:1] == ["hoofdpijn"]
    assert search(TREES, "", "nl") == []
