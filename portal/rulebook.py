"""The portal's triage trees: the tree part of its live content (see ``contentlib``)."""

from __future__ import annotations

from .contentlib import live_content
from .triage.model import Tree
from .triage.rules import RuleBook


def rules() -> RuleBook:
    """The live prelude and trees, and why a tree file was refused."""
    return live_content().book


def live_trees() -> dict[str, Tree]:
    return rules().trees
