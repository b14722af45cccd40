"""Placeholders in reply templates: ``{voornaam}`` and ``{praktijk_telefoon}``.

Pure (no Flask): the template editor checks a text with ``unknown``, the reply
form fills one with ``fill``. The names are Dutch because the practice manager
types them in Dutch texts; the English body uses the same names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Every placeholder, with what it becomes (for the editor's hint).
PLACEHOLDERS = ("voornaam", "praktijk_telefoon")
_PATTERN = re.compile(r"\{([^{}\s]*)\}")


def unknown(text: str) -> list[str]:
    """Placeholders in ``text`` that do not exist: a typo such as ``{voornam}`` would reach the patient."""
    return sorted({name for name in _PATTERN.findall(text) if name not in PLACEHOLDERS})


def first_name(full_name: str | None) -> str:
    """The first word of the name the patient typed ("Anna de Vries" → "Anna")."""
    parts = (full_name or "").split()
    return parts[0] if parts else ""


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each known placeholder; anything else in braces stays as typed."""
    return _PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)
