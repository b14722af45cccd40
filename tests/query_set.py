"""The search query set: lay queries as patients type them, each with the complaint it should find.

Shared by ``tests/unit/test_query_set.py`` (the targets) and ``bench/search_quality.py`` (the
figures for docs/performance.md). Trees are built without their own checks: how well search
finds a tree does not depend on whether another rule is still being fixed in it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from portal.triage.lexicon import LEXICON_FILE, Lexicon, load_lexicon
from portal.triage.loader import build_prelude, build_tree, read_file
from portal.triage.model import Tree
from portal.triage.rules import PRELUDE_FILE, rule_files
from portal.triage.search import SearchIndex, tree_document, words

QUERY_FILE = Path(__file__).parent / "unit" / "search_queries.tsv"


@dataclass(frozen=True)
class Query:
    text: str
    locale: str
    expected: str
    line: int


@dataclass
class Figures:
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[Query, list[str]]] = field(default_factory=list)
    nothing_found_with_term: list[Query] = field(default_factory=list)

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0


def read_queries(path: Path = QUERY_FILE) -> list[Query]:
    """Rows of ``query<TAB>locale<TAB>expected tree``; lines starting with '#' are comments."""
    queries = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or row[0].startswith("#"):
                continue
            text, locale, expected = row
            queries.append(Query(text, locale, expected, number))
    return queries


def load_trees(rules_dir: Path) -> list[Tree]:
    """Every tree file that builds, checked or not."""
    data, _problems = read_file(rules_dir / PRELUDE_FILE)
    assert data is not None, "the prelude does not load"
    prelude = build_prelude(rules_dir / PRELUDE_FILE, data)
    trees = []
    for path in rule_files(rules_dir):
        tree_data, _problems = read_file(path)
        if tree_data is not None and tree_data.get("kind") == "tree":
            trees.append(build_tree(path, tree_data, prelude))
    return trees


def lexicon_of(rules_dir: Path) -> Lexicon | None:
    return load_lexicon(rules_dir / LEXICON_FILE, date.today()).value


def complaint_index(rules_dir: Path) -> tuple[SearchIndex, Lexicon | None, list[Tree]]:
    """The complaints (no catch-all) as the start page searches them."""
    trees = [t for t in load_trees(rules_dir) if not t.catch_all]
    lexicon = lexicon_of(rules_dir)
    return SearchIndex(tree_document(t, lexicon) for t in trees), lexicon, trees


def contains_term(query: str, terms: set[str]) -> bool:
    """Whether the query holds a lexicon term as whole words."""
    text = " " + " ".join(words(query)) + " "
    return any(f" {t} " in text for t in terms)


def measure(index: SearchIndex, lexicon: Lexicon | None, queries: list[Query]) -> Figures:
    terms = {" ".join(words(t.text)) for t in lexicon.terms} if lexicon else set()
    figures = Figures()
    for query in queries:
        found = [hit.id[1] for hit in index.search(query.text, query.locale, "tree")]
        figures.total += 1
        figures.top1 += found[:1] == [query.expected]
        figures.top3 += query.expected in found[:3]
        if found[:1] != [query.expected]:
            figures.misses.append((query, found[:3]))
        if not found and contains_term(query.text, terms):
            figures.nothing_found_with_term.append(query)
    return figures
