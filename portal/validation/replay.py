"""Replay: walk a validation run's recorded answers again through the current trees.

A blind reader answered the pages they saw. When those pages are still the same
(same questions, same wording, same answers offered) the recorded answers are
still what the reader would answer, so the outcome can be compared
automatically. When any page on the path changed, or the answers no longer
lead to an outcome, nobody can say what the reader would have answered: the
vignette needs a new blind play. What "the same page" means is ``page_print``:
a hash of everything the reader saw of it, taken while the tree version the
reader played was live (``snapshot``).

Only the engine's public functions are used (``walk`` and its ``Walk``), so new
node types and answer shapes (a checklist's list of answers) replay unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..triage.engine import Page, TriageError, Walk, walk
from ..triage.model import Outcome, Tree

#: Fields of a node or answer that the reader never sees (where an answer leads, line
#: numbers, flags): leaving them out keeps a page's print the same when only they change.
UNSEEN = frozenset({"line", "next", "skip_to", "red_flag", "raises_urgency"})

SAME, MOVED, NEW_PLAY = "same", "moved", "new_play"

PagePrint = tuple[str, str]  # (page id, hash of what it showed)


def _seen(value: Any) -> Any:
    """``value`` as plain JSON data, without ``UNSEEN`` fields; sets sorted, so the hash is stable."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _seen(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in UNSEEN and not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): _seen(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, list | tuple):
        return [_seen(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def page_print(page: Page) -> PagePrint:
    """A page's id and a hash of everything on it a reader could see."""
    body = json.dumps(
        {"id": page.id, "kind": page.kind, "questions": [_seen(q) for q in page.questions]},
        sort_keys=True,
        ensure_ascii=False,
    )
    return page.id, hashlib.sha256(body.encode()).hexdigest()[:20]


def path_prints(result: Walk) -> tuple[PagePrint, ...]:
    return tuple(page_print(page) for page in result.pages)


def snapshot(tree: Tree, answers: Mapping[str, Any]) -> tuple[PagePrint, ...] | None:
    """The prints of the pages these answers pass through, or None when they no longer fit the tree."""
    try:
        return path_prints(walk(tree, answers))
    except TriageError:
        return None


@dataclass(frozen=True)
class Recorded:
    """A validation run as the routing log keeps it, with the prints of the pages its reader saw (if taken)."""

    run_id: str
    tree_id: str
    tree_version: int
    prelude_version: int
    answers: Mapping[str, Any]
    route: str | None
    urgency: str | None
    outcome_node: str | None
    pages: tuple[PagePrint, ...] | None = None

    @classmethod
    def of(cls, run: Any, prints: Sequence[Sequence[str]] | None) -> Recorded:
        """A run as the routing log returns it, and the page prints taken for it (None: none taken).

        One place builds it, so the CLI's replay and the editor's replay at publish read a run alike.
        """
        return cls(
            run_id=run.id,
            tree_id=run.tree_id,
            tree_version=run.tree_version,
            prelude_version=run.prelude_version,
            answers=run.answers,
            route=run.route,
            urgency=run.urgency,
            outcome_node=run.outcome_node,
            pages=None if prints is None else tuple((p[0], p[1]) for p in prints),
        )


@dataclass(frozen=True)
class Replayed:
    """``SAME`` outcome, outcome ``MOVED``, or ``NEW_PLAY`` needed (``reason`` says why)."""

    status: str
    reason: str = ""
    route: str | None = None
    urgency: str | None = None
    outcome_node: str | None = None


def replay(tree: Tree | None, recorded: Recorded) -> Replayed:
    """Walk ``recorded``'s answers through ``tree`` (the current version) and compare."""
    if tree is None:
        return Replayed(NEW_PLAY, f"the tree '{recorded.tree_id}' no longer exists")
    try:
        result = walk(tree, recorded.answers)
    except TriageError as exc:
        return Replayed(NEW_PLAY, f"the recorded answers no longer fit the tree: {exc}")
    step = result.step
    if not isinstance(step, Outcome):
        return Replayed(NEW_PLAY, f"the path now asks '{step.id}', which the reader never saw")
    changed = _changed_page(tree, recorded, path_prints(result))
    if changed:
        return Replayed(NEW_PLAY, changed)
    same = (step.id, step.route.value, step.urgency.value) == (
        recorded.outcome_node,
        recorded.route,
        recorded.urgency,
    )
    reason = "" if same else f"was {recorded.outcome_node} ({recorded.route} {recorded.urgency})"
    return Replayed(SAME if same else MOVED, reason, step.route.value, step.urgency.value, step.id)


def _changed_page(tree: Tree, recorded: Recorded, now: tuple[PagePrint, ...]) -> str:
    """Why the path is not the one the reader saw, or '' when it is."""
    if recorded.pages is None:
        if (tree.version, tree.prelude.version) == (recorded.tree_version, recorded.prelude_version):
            return ""
        return (
            f"the tree changed (v{recorded.tree_version} → v{tree.version}, prelude v{recorded.prelude_version} → "
            f"v{tree.prelude.version}) and the pages the reader saw were not recorded"
        )
    for before, after in zip(recorded.pages, now, strict=False):
        if before[0] != after[0]:
            return f"the path now goes through '{after[0]}' where the reader saw '{before[0]}'"
        if before[1] != after[1]:
            return f"page '{before[0]}' changed since the reader saw it"
    if len(recorded.pages) != len(now):
        return "the path now has a different number of pages"
    return ""
