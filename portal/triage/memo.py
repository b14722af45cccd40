"""Values computed once per tree, kept as long as that tree is.

Trees are immutable, and a changed file is loaded as a new ``Tree`` object, so
anything derived from a tree (its search vocabulary, the longest path from a
question) can be computed once and reused by every request until the tree is
replaced. Entries are keyed by the tree object itself (by identity, through a
weak reference): a replaced tree's values go with it, and a new tree never finds
an old one's.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

_stores: dict[int, tuple[weakref.ref, dict[Any, Any]]] = {}


def per_tree(tree: object) -> dict[Any, Any]:
    """A dict for values derived from ``tree``; it lives as long as ``tree`` does."""
    key = id(tree)
    entry = _stores.get(key)
    if entry is not None and entry[0]() is tree:
        return entry[1]
    store: dict[Any, Any] = {}
    _stores[key] = (weakref.ref(tree, functools.partial(_forget, key)), store)
    return store


def _forget(key: int, ref: weakref.ref) -> None:
    """The tree is gone: drop its values (unless a newer tree already has its id)."""
    entry = _stores.get(key)
    if entry is not None and entry[0] is ref:
        del _stores[key]
