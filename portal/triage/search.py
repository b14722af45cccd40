"""One search for complaints and self-help pages, the way patients type.

Patients type whole sentences ("ik heb pijn in mijn buik"), lay words and
disease names ("gordelroos"), parts of Dutch compounds ("keel" for "keelpijn")
and typos ("hoofpijn"). So the search **ranks and never filters**: every query
word that matches adds to a document's score, and a word that matches nothing
("mijn", "the") takes nothing away.

* Words are compared without case or diacritics, stemmed with the Snowball
  stemmers (Dutch and English, from PyStemmer), and stop words are dropped (the ``stop-words``
  lists) unless the word is itself a search term ("zij" for a pain in the side).
* A Dutch compound matches its real parts only: "keelpijn" is split into "keel"
  and "pijn" because both are words of the vocabulary, but "zorgen" holds no
  "oor" and "koorts" none either. No substring matching.
* A typo is forgiven only for a word that matches nothing as typed, so "mond"
  never becomes "wond" and "earache" never "headache".
* Matches in a title count most, then a keyword or lay term, then a page's
  summary, then its body; rare words count more than common ones ("buik" more
  than "pijn"); a multi-word term found whole ("dood willen") adds a bonus.

Everything that depends only on the content is computed once, in ``SearchIndex``,
when the content is loaded (``portal.lint.Content``), so a search costs a few
dictionary look-ups. Plain Python: no Flask.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer  # PyStemmer: the Snowball stemmers, compiled
from rapidfuzz import process
from rapidfuzz.distance import OSA
from stop_words import get_stop_words

from .lexicon import Lexicon
from .memo import per_tree
from .model import Tree

_WORD = re.compile(r"[a-z0-9]+")
LANGUAGES = ("nl", "en")

#: How much a match in each kind of field counts.
TITLE, TERM, SUMMARY, BODY = 3.0, 2.0, 1.0, 0.25
#: How well a query word matched: as typed (after stemming), as a part of a compound, as the start
#: of a longer word (while typing), or with a typo.
WHOLE, PART, PREFIX, TYPO = 1.0, 0.75, 0.6, 0.5
#: A match in the other language (an English word on the Dutch site) counts a little less.
OTHER_LANGUAGE = 0.85
#: A word that only stems like the term ("slapen" and "slap" both stem to "slap") counts less than the word itself.
STEMMED = 0.65
#: A word listed more than once for a document (a keyword and a lay term) counts this much more each time.
REPEATED = 0.1
#: A stop word that is also a term ("zij", "back") counts, but less.
STOP_TERM = 0.5
#: A multi-word term whose words are all in the query adds this much per word.
PHRASE = 0.6
#: Results scoring less than this share of the best result are left out (noise, not a veto).
RELATIVE_CUT = 0.3
MIN_PART = 3


def normalise(text: str) -> str:
    """Lower case without diacritics: 'Hoofdpijn, ééN' → 'hoofdpijn, een'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


STOP_WORDS: dict[str, frozenset[str]] = {
    "nl": frozenset(w for s in get_stop_words("dutch") for w in words(s)),
    "en": frozenset(w for s in get_stop_words("english") for w in words(s)),
}
_ANY_STOP = STOP_WORDS["nl"] | STOP_WORDS["en"]
_STEMMERS = {"nl": Stemmer.Stemmer("dutch"), "en": Stemmer.Stemmer("english")}


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    return str(_STEMMERS[language].stemWord(word))


def allowed_typos(query_word: str) -> int:
    """Short words get no typo budget: a patient typing 'oog' (eye) must not get 'oor' (ear)."""
    if len(query_word) < 4:
        return 0
    return 1 if len(query_word) <= 6 else 2


# --- documents -------------------------------------------------------------------

#: ("tree", "keelpijn") or ("page", "keelpijn").
DocId = tuple[str, str]


@dataclass(frozen=True)
class Document:
    """Something to find: a tree or a page, with its texts in both languages.

    ``fields`` are short texts (a title, a keyword, a lay term) with their weight;
    ``bodies`` are long texts, matched by whole words only.
    """

    id: DocId
    fields: tuple[tuple[str, float, str], ...]  # (language, weight, text)
    bodies: tuple[tuple[str, str], ...] = ()  # (language, text)
    order: tuple[int, str] = (10_000, "")


def tree_document(tree: Tree, lexicon: Lexicon | None = None) -> Document:
    fields: list[tuple[str, float, str]] = []
    for language in LANGUAGES:
        fields.append((language, TITLE, tree.title.get(language)))
        fields += [(language, TERM, k) for k in tree.keywords.get(language, ())]
        if lexicon is not None:
            fields += [(language, TERM, t) for t in lexicon.for_tree(tree.id, language)]
    return Document(("tree", tree.id), tuple(fields), order=order_key(tree, "nl"))


@dataclass(frozen=True)
class Hit:
    id: DocId
    score: float


@dataclass(frozen=True)
class _Phrase:
    doc: DocId
    weight: float
    stems: frozenset[str]  # content words, stemmed
    text: str  # all its words, normalised: "ik heb koorts" counts only when typed like that


@dataclass
class _Posting:
    """The best weight of one stemmed word in each document."""

    weights: dict[DocId, float] = field(default_factory=dict)
    counts: dict[DocId, int] = field(default_factory=dict)

    def add(self, doc: DocId, weight: float) -> None:
        self.counts[doc] = self.counts.get(doc, 0) + 1
        if weight > self.weights.get(doc, 0.0):
            self.weights[doc] = weight

    def weight(self, doc: DocId) -> float:
        """The best weight, and a little more when the word is listed again (at most twice more)."""
        found = self.weights.get(doc, 0.0)
        return found + REPEATED * min(2, self.counts.get(doc, 1) - 1) if found else 0.0


class SearchIndex:
    """Everything a search needs that does not depend on the query, computed once per content version."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = {d.id: d for d in documents}
        self._postings: dict[tuple[str, str], _Posting] = {}
        #: The same by the word as written: "slapen" as typed beats "slap" (weak), which stems alike.
        self._exact: dict[tuple[str, str], _Posting] = {}
        self._splits: dict[tuple[str, str], tuple[str, ...]] = {}
        self._phrases: dict[tuple[str, str], list[_Phrase]] = {}
        #: Words of titles, keywords and terms as written (for prefixes and typos), by language.
        self._surface: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
        #: Every word seen, for splitting compounds into real parts.
        self._dictionary: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
        #: Stop words that are terms on their own ("zij", "back"): these are kept in a query.
        self._term_words: set[str] = set()
        self._collect_dictionary()
        self._frozen = {lang: frozenset(found) for lang, found in self._dictionary.items()}
        for doc in self.documents.values():
            self._index(doc)
        self._idf = self._inverse_document_frequencies()
        self._typo_choices = {lang: sorted(self._surface[lang]) for lang in LANGUAGES}

    # -- building --------------------------------------------------------------------

    def _collect_dictionary(self) -> None:
        for doc in self.documents.values():
            for language, _weight, text in doc.fields:
                self._dictionary[language].update(w for w in words(text) if _is_part(w))
                found = words(text)
                if len(found) == 1:
                    self._term_words.add(found[0])
            for language, text in doc.bodies:
                self._dictionary[language].update(w for w in words(text) if _is_part(w))

    def _index(self, doc: Document) -> None:
        for language, weight, text in doc.fields:
            tokens = words(text)
            content = [t for t in tokens if t not in _ANY_STOP] or tokens
            for token in tokens:
                if token in _ANY_STOP and len(tokens) > 1:
                    continue  # "in", "de" inside "pijn in de zij" are not terms
                self._surface[language].add(token)
                factor = STOP_TERM if token in _ANY_STOP else 1.0
                self._post(language, stem(token, language), doc.id, weight * factor)
                self._exact.setdefault((language, token), _Posting()).add(doc.id, weight * factor)
                for part in self.split(token, language):
                    self._post(language, stem(part, language), doc.id, weight * PART)
            if len(tokens) > 1:
                phrase = _Phrase(doc.id, weight, frozenset(stem(t, language) for t in content), " ".join(tokens))
                for s in phrase.stems:
                    self._phrases.setdefault((language, s), []).append(phrase)
        for language, text in doc.bodies:
            for token in set(words(text)):
                if token not in _ANY_STOP:
                    self._post(language, stem(token, language), doc.id, BODY)

    def _post(self, language: str, stemmed: str, doc: DocId, weight: float) -> None:
        self._postings.setdefault((language, stemmed), _Posting()).add(doc, weight)

    def _inverse_document_frequencies(self) -> dict[tuple[str, str, str], float]:
        """Rare words weigh more: 'buik' (two complaints) more than 'pijn' (twenty)."""
        sizes: dict[str, int] = {}
        for kind, _key in self.documents:
            sizes[kind] = sizes.get(kind, 0) + 1
        idf: dict[tuple[str, str, str], float] = {}
        for key, posting in self._postings.items():
            for kind, size in sizes.items():
                df = sum(1 for d in posting.weights if d[0] == kind)
                if df:
                    idf[(kind, key[0], key[1])] = math.log(1 + size / df)
        return idf

    def split(self, word: str, language: str) -> tuple[str, ...]:
        """The real parts of a compound ("keelpijn" → keel, pijn; "zwemmersoor" → zwemmers, oor), or ()."""
        if len(word) < 2 * MIN_PART:
            return ()
        key = (language, word)
        found = self._splits.get(key)
        if found is None:
            found = self._splits[key] = _split(word, self._frozen[language])
        return found

    # -- searching -------------------------------------------------------------------

    def search(self, query: str, locale: str, kind: str | None = None) -> list[Hit]:
        """Documents for the query, best first; an empty query or pure noise finds nothing."""
        tokens = words(query)
        # "i want to die" is nothing but stop words: then every word counts
        content = [t for t in tokens if t not in _ANY_STOP or t in self._term_words] or tokens
        scores: dict[DocId, float] = {}
        query_stems = {lang: {stem(t, lang) for t in tokens} for lang in LANGUAGES}
        for token in content:
            best = self._match_word(token, locale, query_stems)
            for doc, value in best.items():
                scores[doc] = scores.get(doc, 0.0) + value
        typed = " " + " ".join(tokens) + " "
        for doc, bonus in self._phrase_bonus(query_stems, typed, locale).items():
            scores[doc] = scores.get(doc, 0.0) + bonus
        hits = [Hit(d, s) for d, s in scores.items() if kind is None or d[0] == kind]
        if not hits:
            return []
        top = max(h.score for h in hits)
        kept = [h for h in hits if h.score >= RELATIVE_CUT * top]
        return sorted(kept, key=lambda h: (-round(h.score, 3), self.documents[h.id].order))

    def _match_word(self, token: str, locale: str, query_stems: dict[str, set[str]]) -> dict[DocId, float]:
        """The best value of one query word in each document: as typed, else its parts, else as a
        prefix, else with a typo. Later levels are tried only when an earlier one found nothing."""
        factor = STOP_TERM if token in _ANY_STOP else 1.0
        found = self._look_up([token], locale, WHOLE * factor, query_stems)
        if found:
            return found
        for language in LANGUAGES:
            parts = self.split(token, language)
            if parts:
                found = _best(found, self._look_up(parts, locale, PART, query_stems, only=language, summed=True))
        if found:
            return found
        if len(token) >= 4:
            longer = [w for lang in LANGUAGES for w in self._surface[lang] if w.startswith(token) and w != token]
            found = self._look_up(longer, locale, PREFIX, None)
            if found:
                return found
        return self._look_up(self._typos(token), locale, TYPO, query_stems)

    def _look_up(
        self,
        candidates: Sequence[str],
        locale: str,
        level: float,
        query_stems: dict[str, set[str]] | None,
        only: str | None = None,
        summed: bool = False,
    ) -> dict[DocId, float]:
        found: dict[DocId, float] = {}
        for candidate in candidates:
            per_word: dict[DocId, float] = {}
            for language in (only,) if only else LANGUAGES:
                stemmed = stem(candidate, language)
                posting = self._postings.get((language, stemmed))
                if posting is None:
                    continue
                if query_stems is not None:
                    query_stems[language].add(stemmed)
                other = 1.0 if language == locale else OTHER_LANGUAGE
                exact = self._exact.get((language, candidate))
                for doc, weight in posting.weights.items():
                    # a word as written counts fully; a word that only stems alike, a little less
                    best = max(weight * STEMMED, exact.weight(doc) if exact else 0.0)
                    value = best * level * other * self._idf.get((doc[0], language, stemmed), 1.0)
                    per_word[doc] = max(per_word.get(doc, 0.0), value)
            found = _summed(found, per_word) if summed else _best(found, per_word)
        return found

    def _typos(self, token: str) -> list[str]:
        """Words of the vocabulary one or two edits away; for short words the first letter must agree."""
        budget = allowed_typos(token)
        if not budget:
            return []
        close: list[tuple[int, str]] = []
        for language in LANGUAGES:
            for word, distance, _index in process.extract(
                token, self._typo_choices[language], scorer=OSA.distance, score_cutoff=budget, limit=None
            ):
                if len(token) > 5 or word[0] == token[0]:
                    close.append((int(distance), word))
        if not close:
            return []
        nearest = min(d for d, _w in close)
        return sorted({w for d, w in close if d == nearest})

    def _phrase_bonus(self, query_stems: Mapping[str, set[str]], typed: str, locale: str) -> dict[DocId, float]:
        """A term of several words found whole in the query ("dood willen") says more than its words apart."""
        bonus: dict[DocId, float] = {}
        for language, stems in query_stems.items():
            other = 1.0 if language == locale else OTHER_LANGUAGE
            for s in stems:
                for phrase in self._phrases.get((language, s), ()):
                    whole = f" {phrase.text} " in typed
                    if phrase.stems <= stems and (len(phrase.stems) > 1 or whole):
                        value = phrase.weight * PHRASE * (len(phrase.stems) + whole) * other
                        bonus[phrase.doc] = max(bonus.get(phrase.doc, 0.0), value)
        return bonus


def _is_part(word: str) -> bool:
    return len(word) >= MIN_PART and word not in _ANY_STOP and not word.isdigit()


def _split(word: str, dictionary: frozenset[str]) -> tuple[str, ...]:
    """Split ``word`` into the fewest words of ``dictionary`` (each ≥ 3 letters), allowing a
    linking 's' or 'e' between them, as Dutch compounds do ("zwemmer-s-oor"). () when there is none."""
    best: dict[int, tuple[str, ...]] = {0: ()}
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 30), end - MIN_PART + 1):
            if start not in best or word[start:end] not in dictionary or end - start == len(word):
                continue
            candidate = (*best[start], word[start:end])
            for stop in (end, end + 1):
                linked = stop == end or (stop <= len(word) and word[end] in "se")
                if linked and (stop not in best or len(candidate) < len(best[stop])):
                    best[stop] = candidate
    parts = best.get(len(word), ())
    return parts if len(parts) >= 2 else ()


def _best(a: dict[DocId, float], b: dict[DocId, float]) -> dict[DocId, float]:
    merged = dict(a)
    for doc, value in b.items():
        merged[doc] = max(merged.get(doc, 0.0), value)
    return merged


def _summed(a: dict[DocId, float], b: dict[DocId, float]) -> dict[DocId, float]:
    merged = dict(a)
    for doc, value in b.items():
        merged[doc] = merged.get(doc, 0.0) + value
    return merged


# --- crisis words ----------------------------------------------------------------------

#: Words that mean someone may be thinking of ending their life: the results page then shows
#: 113 and 112 first, whatever else the search finds. Broad on purpose (like ``portal.alarm``).
CRISIS_PHRASES = (
    "zelfmoord",
    "zelfdoding",
    "suicide",
    "suicidaal",
    "suicidale",
    "dood willen",
    "wil dood",
    "dood wil",
    "niet meer leven",
    "niet meer willen leven",
    "wil niet meer",
    "uit het leven",
    "einde aan mijn leven",
    "einde maken",
    "mezelf doden",
    "mezelf ophangen",
    "er niet meer zijn",
    "suicidal",
    "kill myself",
    "killing myself",
    "want to die",
    "wanna die",
    "end my life",
    "end it all",
    "take my life",
    "not want to live",
    "dont want to live",
    "don t want to live",
    "no reason to live",
    "better off dead",
)
_CRISIS = tuple(" ".join(words(p)) for p in CRISIS_PHRASES)


def is_crisis(query: str) -> bool:
    """True when the query says the patient (or someone) may be thinking of suicide."""
    text = " " + " ".join(words(query)) + " "
    return any(f" {p}" in text for p in _CRISIS)


# --- complaints, as the portal has always called it ------------------------------------


def order_key(tree: Tree, locale: str) -> tuple[int, str]:
    """Common complaints first (by their 'common' number), then alphabetically (computed once per tree)."""
    store = per_tree(tree)
    key = ("order", locale)
    found = store.get(key)
    if found is None:
        found = store[key] = (tree.common if tree.common is not None else 10_000, normalise(tree.title.get(locale)))
    return found


_LAST: list[tuple[tuple[object, ...], SearchIndex]] = []


def tree_index(trees: Sequence[Tree], lexicon: Lexicon | None = None) -> SearchIndex:
    """An index of just these trees, kept for the next call with the same trees and lexicon."""
    key = (*trees, lexicon)
    if _LAST and len(_LAST[0][0]) == len(key) and all(a is b for a, b in zip(_LAST[0][0], key, strict=True)):
        return _LAST[0][1]
    index = SearchIndex(tree_document(t, lexicon) for t in trees)
    _LAST[:] = [(key, index)]
    return index


def search(trees: Iterable[Tree], query: str, locale: str, lexicon: Lexicon | None = None) -> list[Tree]:
    """Trees for the query, best first. An empty query matches nothing."""
    trees = list(trees)
    by_id = {t.id: t for t in trees}
    return [by_id[h.id[1]] for h in tree_index(trees, lexicon).search(query, locale, "tree")]
