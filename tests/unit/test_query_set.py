"""Search finds what patients mean: the query set (tests/unit/search_queries.tsv) meets its targets.

Targets from the issue: the right complaint first for ≥ 90 % of lay queries, in the first
three for ≥ 98 %, and no query holding a lexicon term ends with "nothing found".
``bench/search_quality.py`` prints the same figures for docs/performance.md.
"""

from __future__ import annotations

import pytest

from tests.conftest import RULES
from tests.query_set import complaint_index, measure, read_queries

QUERIES = read_queries()


@pytest.fixture(scope="module")
def figures():
    index, lexicon, _trees = complaint_index(RULES)
    return measure(index, lexicon, QUERIES)


def test_the_query_set_is_large_and_in_both_languages():
    assert len(QUERIES) >= 300
    assert {q.locale for q in QUERIES} == {"nl", "en"}
    assert sum(q.locale == "en" for q in QUERIES) >= 80


def test_every_expected_complaint_exists():
    _index, _lexicon, trees = complaint_index(RULES)
    ids = {t.id for t in trees}
    assert [q for q in QUERIES if q.expected not in ids] == []


def test_the_right_complaint_comes_first_for_nine_in_ten_queries(figures):
    assert figures.share(figures.top1) >= 0.90, figures.misses


def test_the_right_complaint_is_in_the_first_three_for_almost_every_query(figures):
    missed = [(q.text, found) for q, found in figures.misses if q.expected not in found]
    assert figures.share(figures.top3) >= 0.98, missed


def test_no_query_with_a_lexicon_term_finds_nothing(figures):
    assert figures.nothing_found_with_term == []
