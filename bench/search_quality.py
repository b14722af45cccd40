"""Search quality on the query set: top-1, top-3, and queries with a lexicon term that find nothing.

    .venv/bin/python bench/search_quality.py [--misses]

The figures go in docs/performance.md. The query set is tests/unit/search_queries.tsv; the
targets (top-1 ≥ 90 %, top-3 ≥ 98 %, no lexicon term ending in "nothing found") are checked
by tests/unit/test_query_set.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.query_set import complaint_index, measure, read_queries  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    index, lexicon, trees = complaint_index(REPO / "triage_rules")
    built = time.perf_counter() - started
    queries = read_queries()
    started = time.perf_counter()
    figures = measure(index, lexicon, queries)
    per_query = (time.perf_counter() - started) / max(1, figures.total)
    terms = len(lexicon.terms) if lexicon else 0
    languages = sorted({q.locale for q in queries})
    print(f"complaints: {len(trees)}; lexicon terms: {terms}; queries: {figures.total} ({', '.join(languages)})")
    print(f"top-1: {figures.share(figures.top1):.1%} ({figures.top1}/{figures.total})")
    print(f"top-3: {figures.share(figures.top3):.1%} ({figures.top3}/{figures.total})")
    print(f"queries with a lexicon term that find nothing: {len(figures.nothing_found_with_term)}")
    print(f"index built in {built * 1000:.0f} ms; a search takes {per_query * 1000:.2f} ms on average")
    if "--misses" in sys.argv:
        for query, found in figures.misses:
            print(f"  miss line {query.line}: {query.text!r} ({query.locale}) expected {query.expected}, got {found}")


if __name__ == "__main__":
    main()
