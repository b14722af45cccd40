"""Checking a draft of the prelude, the search lexicon or a social map, as the portal would load it.

``workflow.check_draft`` hands these kinds here. Each draft is loaded in place of
the live version with ``LiveFiles.trial`` (nothing is swapped in), so it meets the
same schema, checks and cross-checks as the file would:

* a **prelude** draft reloads every tree on top of it (each tree is built on the
  prelude, and its checks run every case). A tree error the draft *causes* — one
  the tree does not have with the live prelude — blocks the draft and is listed
  by tree; the draft also shows how many trees were checked;
* a **lexicon** draft is checked against every tree (every term names a tree);
* a **social map** draft is checked like its file (schema, slug, unique types).

The classification is ``portal.content.shared_files``'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..content.changes import LOGIC, Classification
from ..content.files import read_only_yaml
from ..content.live import Snapshot, Source
from ..content.shared_files import classify_lexicon, classify_prelude, classify_social_map
from ..contentlib import LIVE_KIND, path_of
from ..lint import Content
from ..triage.problems import Problem, errors
from .workflow import DraftCheck, Target, _version_raised

#: The kinds this module checks (``storage.content_versions.KINDS`` beyond trees and pages).
SHARED_KINDS = ("prelude", "lexicon", "social_map")


@dataclass(frozen=True)
class PreludeTrial:
    """What a prelude draft does to the trees: how many were loaded on it, and which it breaks."""

    prelude: Any
    trees_checked: int
    trees_broken: tuple[str, ...]


def check_shared(content: Content, target: Target, old: str | None, text: str, today: date) -> DraftCheck:
    """Load the draft in place of the live version, check it as the portal would, and classify it."""
    path = path_of(content, target.kind, target.key, target.language)
    token = "draft:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    trial = content.live.trial(today, {path: Source(LIVE_KIND.get(target.kind, target.kind), text, token)})
    problems = list(trial.problems.get(path, []))
    version = trial.versions.get(path)
    value = version.loaded.value if version is not None else None
    failed: list[str] = []
    blockers: list[str] = []
    if target.kind == "prelude":
        failed, value = _trees_on(content, trial, value)
        classification = _classify(path, old, text, classify_prelude)
        if classification.kind == LOGIC and old is not None and not _version_raised(path, old, text):
            blockers.append("raise version")
    elif target.kind == "lexicon":
        classification = _classify(path, old, text, classify_lexicon)
    else:
        classification = classify_social_map(old, text)
        if value is not None and getattr(value, "slug", target.key) != target.key:
            problems.append(Problem(path, 1, f"the slug must stay '{target.key}'"))
    return DraftCheck(tuple(sorted(set(problems))), tuple(failed), classification, value, tuple(blockers))


def _classify(path: Path, old: str | None, new: str, classify: Callable[[Any, Any], Classification]) -> Classification:
    new_data = read_only_yaml(new)
    if new_data is None:
        return Classification(LOGIC, ("the text cannot be read as YAML",))
    old_data = read_only_yaml(old) if old is not None else None
    return classify(old_data, new_data)


def _trees_on(content: Content, trial: Snapshot, prelude: Any) -> tuple[list[str], Any]:
    """Every tree loaded on the draft prelude: the errors it causes (not those a tree has already), by tree."""
    if prelude is None:
        return [], None
    kind = content.book.tree_kind
    before = content.live.current.problems
    failed: list[str] = []
    broken: list[str] = []
    loaded = trial.loaded(kind)
    for path in sorted(loaded):
        found = trial.problems.get(path, [])
        known = set(errors(before.get(path, [])))
        new = [p for p in errors(found) if p not in known]
        if new:
            broken.append(path.stem)
            failed += [f"{path.name}, line {p.line}: {p.message}" for p in new]
    return failed, PreludeTrial(prelude, len(loaded), tuple(broken))
