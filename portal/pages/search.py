"""Search self-help pages the way patients type: lay words, no diacritics, parts of compounds.

Every word of the query must match somewhere (title, keywords, synonyms,
summary or body); matches in the title count most, then keywords and
synonyms, then the summary, then the body.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..triage.search import words
from .model import Page


def _field_score(query_word: str, vocabulary: list[str], weight: int) -> int:
    best = 0
    for word in vocabulary:
        if word == query_word:
            return weight * 3
        if word.startswith(query_word):
            best = max(best, weight * 2)
        elif len(query_word) >= 4 and query_word in word:
            best = max(best, weight)
    return best


def score(page: Page, query_words: list[str]) -> int:
    fields = (
        (8, words(page.title)),  # a title prefix ("hoofd" → Hoofdpijn) beats a synonym word
        (4, [w for k in page.keywords + page.synonyms for w in words(k)]),
        (2, words(page.summary)),
        (1, words(page.body_text)),
    )
    total = 0
    for query_word in query_words:
        best = max(_field_score(query_word, vocabulary, weight) for weight, vocabulary in fields)
        if best == 0:
            return 0
        total += best
    return total


def search_pages(pages: Iterable[Page], query: str) -> list[Page]:
    query_words = words(query)
    if not query_words:
        return []
    scored = [(score(page, query_words), page) for page in pages]
    return [page for points, page in sorted(scored, key=lambda sp: (-sp[0], sp[1].title)) if points > 0]
