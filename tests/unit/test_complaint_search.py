"""Finding the right complaint from the words patients type: lay words, synonyms and typos."""

from __future__ import annotations

import pytest

from portal.triage import search as search_module
from portal.triage.lexicon import load_lexicon
from portal.triage.rules import RuleBook
from tests.conftest import RULES, TODAY

BOOK = RuleBook(RULES)
BOOK.refresh(TODAY)
COMPLAINTS = [t for t in BOOK.trees.values() if not t.catch_all]
# The lay lexicon beside the trees, as the running portal searches with it.
LEXICON = load_lexicon(RULES / "_lexicon.yaml", TODAY).value


def search(trees, query: str, locale: str):
    return search_module.search(trees, query, locale, LEXICON)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the lay words the issue names
        ("benauwd", "kortademig"),
        ("keel", "keelpijn"),
        ("oor", "oorpijn"),
        ("plassen", "plasklachten"),
        ("schulden", "zorgen"),
        ("alleen", "zorgen"),
        ("buik", "buikpijn"),
        ("uitslag", "huiduitslag"),
        ("teek", "beet_steek"),
        # more words patients use
        ("koorts kind", "koorts_kind"),
        ("blaasontsteking", "plasklachten"),
        ("spugen", "braken"),
        ("enkel verzwikt", "letsel"),
        ("verbrand", "brandwond"),
        ("bloedneus", "neusbloeding"),
        ("herhaalrecept", "medicijnen"),
        ("paniek", "somber_angst"),
        ("zwanger", "zwangerschap"),
        ("wesp", "beet_steek"),
        ("hooikoorts", "allergie"),
        ("draaierig", "duizelig"),
        ("snee", "wond"),
        ("DigiD", "zorgen"),
    ],
)
def test_a_lay_word_finds_the_right_complaint_first(query, expected):
    found = search(COMPLAINTS, query, "nl")
    assert found and found[0].id == expected, [t.id for t in found]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("benaud", "kortademig"),
        ("keelpjin", "keelpijn"),
        ("hoofpijn", "hoofdpijn"),
        ("plasen", "plasklachten"),
        ("schuldn", "zorgen"),
        ("uitslah", "huiduitslag"),
        ("diaree", "diarree"),
        ("hartkloppingne", "hartkloppingen"),
    ],
)
def test_a_small_typo_still_finds_the_complaint(typo, expected):
    found = search(COMPLAINTS, typo, "nl")
    assert found and found[0].id == expected, [t.id for t in found]


def test_short_words_get_no_typo_budget():
    # 'oog' is one letter from 'oor', but a patient typing 'oog' means the eye
    assert search(COMPLAINTS, "oog", "nl")[0].id in {"oogklachten", "ooglid"}  # both are about the eye
    assert "oorpijn" not in [t.id for t in search(COMPLAINTS, "oog", "nl")]


def test_english_words_find_english_titles():
    assert search(COMPLAINTS, "earache", "en")[0].id == "oorpijn"
    assert search(COMPLAINTS, "short of breath", "en")[0].id == "kortademig"


def test_nonsense_finds_nothing():
    assert search(COMPLAINTS, "xqzv", "nl") == []
