"""Alarm words in a patient's own text: interrupt once with "Is dit dringend?".

Deliberately broad: a false alarm costs the patient one extra click; a missed
one could cost far more. Matching ignores case and diacritics.
"""

from __future__ import annotations

from .triage.search import normalise

ALARM_PHRASES = (
    # chest pain, breathing
    "pijn op de borst",
    "borstpijn",
    "druk op de borst",
    "benauwd",
    "kortademig",
    "stikken",
    "geen lucht",
    "chest pain",
    "short of breath",
    "can't breathe",
    "cannot breathe",
    # consciousness, stroke, bleeding
    "bewusteloos",
    "flauwgevallen",
    "verlamd",
    "scheve mond",
    "scheef gezicht",
    "bloedt veel",
    "unconscious",
    "fainted",
    "paralysed",
    "paralyzed",
    "bleeding heavily",
    # suicide
    "zelfmoord",
    "suicide",
    "suicidaal",
    "suicidal",
    "niet meer leven",
    "uit het leven",
    "dood willen",
    "einde aan mijn leven",
    "end my life",
    "kill myself",
    "want to die",
)
_NORMALISED = tuple((phrase, normalise(phrase)) for phrase in ALARM_PHRASES)


def alarm_words(text: str) -> list[str]:
    """The alarm phrases found in ``text`` (empty when none)."""
    haystack = " ".join(normalise(text).split())
    return [phrase for phrase, needle in _NORMALISED if needle in haystack]
