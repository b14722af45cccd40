"""Find a complaint from the words a patient types.

Patients type lay words, with or without diacritics, and parts of compound
words ("keel" for "keelpijn"). A query matches a tree when every word of the
query is the start of a word in the tree's title or keywords, or occurs inside
one (Dutch glues words together), or is a small typo away from one ("hoofpijn",
"keelpjin", "plasen"). Ranking: title before keywords, whole words before
partial ones before typos, then the order of the common complaints.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .memo import per_tree
from .model import Tree

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case without diacritics: 'Hoofdpijn, ééN' → 'hoofdpijn, een'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def allowed_typos(query_word: str) -> int:
    """Short words get no typo budget: a patient typing 'oog' (eye) must not get 'oor' (ear)."""
    if len(query_word) < 4:
        return 0
    return 1 if len(query_word) <= 6 else 2


def _match(q: str, word: str) -> int:
    """How well one query word matches one vocabulary word: 4 exact, 3 start, 2 inside, 1 typo, 0 not."""
    if word == q:
        return 4
    if word.startswith(q):
        return 3
    if len(q) >= 3 and q in word:
        return 2
    budget = allowed_typos(q)
    if budget and (
        OSA.distance(q, word, score_cutoff=budget) <= budget
        or OSA.distance(q, word[: len(q)], score_cutoff=budget) <= budget
    ):
        return 1
    return 0


def _vocabulary(tree: Tree, locale: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tree's title words and keyword words, normalised once per tree and locale.

    Normalising every title and keyword of every tree on every search was 40 % of
    a search request; trees are immutable, so it is done once per loaded tree.
    """
    store = per_tree(tree)
    key = ("search-vocabulary", locale)
    found = store.get(key)
    if found is None:
        title = frozenset((*words(tree.title.get(locale)), *words(tree.title.get("nl"))))
        keywords = frozenset(
            w for k in (*tree.keywords.get(locale, ()), *tree.keywords.get("nl", ())) for w in words(k)
        )
        found = store[key] = (title, keywords)
    return found


def _levels(q: str, vocabulary: Collection[str]) -> dict[str, int]:
    """``_match(q, word)`` for every word of ``vocabulary`` at once; words that do not match are left out.

    Matching each query word against each word of each tree in Python (two edit
    distances per pair) was most of a search. Each distinct word is matched once
    here, and the typo test runs over the whole vocabulary inside rapidfuzz.
    """
    levels: dict[str, int] = {}
    budget = allowed_typos(q)
    if budget:
        candidates = list(vocabulary)
        for _word, _distance, index in process.extract(
            q, candidates, scorer=OSA.distance, score_cutoff=budget, limit=None
        ):
            levels[candidates[index]] = 1
        prefixes = [word[: len(q)] for word in candidates]
        for _prefix, _distance, index in process.extract(
            q, prefixes, scorer=OSA.distance, score_cutoff=budget, limit=None
        ):
            levels[candidates[index]] = 1
    inside = len(q) >= 3
    for word in vocabulary:
        if word == q:
            levels[word] = 4
        elif word.startswith(q):
            levels[word] = 3
        elif inside and q in word:
            levels[word] = 2
    return levels


def _score(levels: list[dict[str, int]], title: frozenset[str], keywords: frozenset[str]) -> int:
    """Every query word must match a word of the tree: a title word counts 3×, a keyword 2×."""
    total = 0
    for level in levels:
        best = 0
        for word, match in level.items():
            if word in title:
                best = max(best, 3 * match)
            elif word in keywords:
                best = max(best, 2 * match)
        if best == 0:
            return 0
        total += best
    return total


def search(trees: Iterable[Tree], query: str, locale: str) -> list[Tree]:
    """Trees matching the query, best first. An empty query matches nothing."""
    query_words = words(query)
    if not query_words:
        return []
    vocabularies = [(t, *_vocabulary(t, locale)) for t in trees]
    everything = frozenset().union(*(title | keywords for _tree, title, keywords in vocabularies))
    levels = [_levels(q, everything) for q in query_words]
    scored = [(s, t) for t, title, keywords in vocabularies if (s := _score(levels, title, keywords)) > 0]
    return [t for _s, t in sorted(scored, key=lambda st: (-st[0], *order_key(st[1], locale)))]


def order_key(tree: Tree, locale: str) -> tuple[int, str]:
    """Common complaints first (by their 'common' number), then alphabetically (computed once per tree)."""
    store = per_tree(tree)
    key = ("order", locale)
    found = store.get(key)
    if found is None:
        found = store[key] = (tree.common if tree.common is not None else 10_000, normalise(tree.title.get(locale)))
    return found
