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
from collections.abc import Iterable

from rapidfuzz.distance import OSA

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


def _score(query_words: list[str], tree: Tree, locale: str) -> int:
    title = words(tree.title.get(locale)) + words(tree.title.get("nl"))
    keywords = [w for k in tree.keywords.get(locale, ()) + tree.keywords.get("nl", ()) for w in words(k)]
    total = 0
    for q in query_words:
        best = max(
            (weight * _match(q, word) for weight, vocabulary in ((3, title), (2, keywords)) for word in vocabulary),
            default=0,
        )
        if best == 0:
            return 0
        total += best
    return total


def search(trees: Iterable[Tree], query: str, locale: str) -> list[Tree]:
    """Trees matching the query, best first. An empty query matches nothing."""
    query_words = words(query)
    if not query_words:
        return []
    scored = [(_score(query_words, t, locale), t) for t in trees]
    return [t for s, t in sorted(scored, key=lambda st: (-st[0], *order_key(st[1], locale))) if s > 0]


def order_key(tree: Tree, locale: str) -> tuple[int, str]:
    """Common complaints first (by their 'common' number), then alphabetically."""
    return (tree.common if tree.common is not None else 10_000, normalise(tree.title.get(locale)))
