"""What a change to a content file changes: wording only, or clinical logic; and a readable diff.

Under the EU MDR a changed algorithm is a significant change, so a change that
touches where a patient ends up needs a clinical reviewer, while a better
sentence needs only a second editor. ``classify_tree`` decides which by taking
the wording *out* of both versions (every ``{nl, en}`` text, the metadata
patients never act on, and the names of cases) and comparing what is left: the structure. Whatever is
not known to be wording counts as logic, so a field added to the schema later is
reviewed clinically until someone decides otherwise.

Pages hold no logic: every change to a page is wording.

Plain Python: no Flask, no database; the editor's workbench and the tests use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NONE, WORDING, LOGIC = "none", "wording", "logic"

#: Top-level tree fields that describe the tree for editors and search, not where a patient goes.
METADATA = frozenset({"version", "status", "reviewer", "reviewed_on", "review_due", "sources", "common", "keywords"})
#: Fields at any depth that only name something for editors (a case's ``name``).
WORDING_KEYS = frozenset({"name"})
LANGUAGES = frozenset({"nl", "en"})
#: How many lines around a change a diff shows.
CONTEXT = 3


@dataclass(frozen=True)
class Classification:
    """``kind`` is NONE, WORDING or LOGIC; ``changes`` says what changed, in the file's own terms."""

    kind: str
    changes: tuple[str, ...] = ()


def _is_text(value: Any) -> bool:
    """A text in both languages (``{nl: …, en: …}``), or a list of them per language (keywords)."""
    return isinstance(value, Mapping) and bool(value) and set(value) <= LANGUAGES


def logic_of(data: Any, top: bool = True) -> Any:
    """``data`` without its wording: what is left decides where patients go."""
    if isinstance(data, Mapping):
        return {
            key: logic_of(value, False)
            for key, value in data.items()
            if not _is_text(value) and not (top and key in METADATA) and key not in WORDING_KEYS
        }
    if isinstance(data, list | tuple):
        return [logic_of(item, False) for item in data]
    return data


def _where(path: tuple[Any, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "the tree"


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, Mapping | list) else ("a block" if value else "nothing")
    return text if len(text) <= 60 else text[:57] + "…"


def differences(old: Any, new: Any, path: tuple[Any, ...] = ()) -> list[str]:
    """Where two plain data structures differ, one line each: ``nodes.x.next: 'a' → 'b'``."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[str] = []
        for key in old:
            if key not in new:
                found.append(f"{_where((*path, key))}: removed")
        for key in new:
            if key not in old:
                found.append(f"{_where((*path, key))}: added")
            else:
                found += differences(old[key], new[key], (*path, key))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i, (a, b) in enumerate(zip(old, new, strict=True)) for line in differences(a, b, (*path, i))]
    if old != new:
        return [f"{_where(path)}: {_short(old)} → {_short(new)}"]
    return []


def classify_tree(old: Any, new: Any) -> Classification:
    """Wording only, or clinical logic, between two versions of a tree's parsed YAML.

    ``old`` None means a new tree: all of it is logic.
    """
    if old is None:
        return Classification(LOGIC, ("a new tree",))
    logic = differences(logic_of(old), logic_of(new))
    if logic:
        return Classification(LOGIC, tuple(logic))
    wording = differences(plain(old), plain(new))
    return Classification(WORDING if wording else NONE, tuple(wording))


def classify_page(old: str | None, new: str) -> Classification:
    """Every change to a self-help page is wording (pages hold no triage logic)."""
    if old == new:
        return Classification(NONE)
    return Classification(WORDING, ("a new page",) if old is None else ())


def plain(data: Any) -> Any:
    """Data read by ruamel as plain dicts and lists, so two readings compare by value."""
    if isinstance(data, Mapping):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [plain(item) for item in data]
    return data


# --- a readable diff -------------------------------------------------------------------

SAME_LINE, ADDED, REMOVED, GAP = "same", "added", "removed", "gap"


@dataclass(frozen=True)
class DiffRow:
    """One line of a diff: ``change`` says in words what happened to it (not colour alone)."""

    change: str  # same | added | removed | gap (lines left out)
    old_line: int | None
    new_line: int | None
    text: str


def diff_rows(old: str, new: str, context: int = CONTEXT) -> list[DiffRow]:
    """The lines that changed between two texts, with ``context`` lines around each change
    and a ``gap`` row where unchanged lines are left out."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if rows or group[0][1] > 0 or group[0][3] > 0:
            rows.append(DiffRow(GAP, None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [DiffRow(SAME_LINE, i + 1, j1 + (i - i1) + 1, a[i]) for i in range(i1, i2)]
                continue
            rows += [DiffRow(REMOVED, i + 1, None, a[i]) for i in range(i1, i2)]
            rows += [DiffRow(ADDED, None, j + 1, b[j]) for j in range(j1, j2)]
    if rows and rows[-1].change != GAP:
        last_old = max((r.old_line or 0) for r in rows)
        last_new = max((r.new_line or 0) for r in rows)
        if last_old < len(a) or last_new < len(b):
            rows.append(DiffRow(GAP, None, None, ""))
    return rows
