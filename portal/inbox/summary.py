"""What one row of the inbox says about a request, computed from what is stored.

Pure (no Flask): the age comes from the date of birth on the day the list is
shown, never from the coarse age band of the triage; the question is cut to its
first line so a row stays one line on a laptop.
"""

from __future__ import annotations

import re
from datetime import date

FIRST_LINE_CHARACTERS = 90
_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),  # 17-05-1980, as Dutch people write it
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),  # 1980-05-17
)


def age_on(birth_date: str | None, today: date) -> int | None:
    """Whole years on ``today``; None for a missing, unreadable or future date (a typo of the patient)."""
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years if years >= 0 else None


def sex_word(sex: str | None, age: int | None) -> str | None:
    """'woman' / 'man' / 'girl' / 'boy' (a key the view translates), or None when not told."""
    if sex not in ("female", "male"):
        return None
    child = age is not None and age < 18
    return {"female": "girl" if child else "woman", "male": "boy" if child else "man"}[sex]


def first_line(message: str | None, limit: int = FIRST_LINE_CHARACTERS) -> str:
    """The first non-empty line of the patient's question, cut at a word with an ellipsis."""
    line = next((part.strip() for part in (message or "").splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(" ,.;:") + "…"


def search_date(text: str) -> str | None:
    """A date of birth typed in the search box (17-05-1980, 17/5/1980, 1980-05-17) as ISO, else None."""
    for pattern in _DATE_FORMATS:
        match = pattern.match(text.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                return None
    return None
