"""Which node can follow which: the one place that knows a tree's arrows.

The checks (references, reachability, loops, red flags), the engine's progress
estimate and the diagram all follow the same arrows. When each of them listed
``next``, ``skip_to`` and ``raise_to`` in its own way, a new kind of arrow had
to be added in five places and could be missed in one, and a check could then
pass a tree the engine walks differently. Here it is added once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .model import Answer, Node, Outcome, Tree


class Via(StrEnum):
    """Why one node follows another."""

    ANSWER = "answer"  # an answer's ``next``
    SKIP = "skip"  # a question's ``skip_to``: where patients it is not for go
    RAISE = "raise"  # an outcome's ``raise_to``: the outcome for a risk group or a young baby


#: The arrows a patient follows from page to page; a raise is taken at most once, at the end.
STEPS = frozenset({Via.ANSWER, Via.SKIP})
EVERY_ARROW = frozenset(Via)


@dataclass(frozen=True)
class Edge:
    """One arrow out of a node. ``answer`` is the answer an ``ANSWER`` arrow belongs to."""

    target: str
    via: Via
    answer: Answer | None = None


def edges(node: Node) -> tuple[Edge, ...]:
    """Every arrow out of a node, in file order: each answer's ``next``, then ``skip_to``; or ``raise_to``.

    An answer without ``next`` has no arrow: on the emergency screen it means
    "go on into the tree", in a tree it is a dead end the checks report.
    Duplicates are kept, because the diagram draws one arrow per answer.
    """
    if isinstance(node, Outcome):
        return (Edge(node.raise_to, Via.RAISE),) if node.raise_to else ()
    arrows = [Edge(a.next, Via.ANSWER, a) for a in node.answers if a.next]
    if node.skip_to:
        arrows.append(Edge(node.skip_to, Via.SKIP))
    return tuple(arrows)


def successors(node: Node, via: Collection[Via] = EVERY_ARROW) -> tuple[str, ...]:
    """The ids of the nodes that can follow ``node`` by the given arrows, each once, in file order."""
    return tuple(dict.fromkeys(e.target for e in edges(node) if e.via in via))


def entries(tree: Tree) -> tuple[str, ...]:
    """Where a patient first lands among the tree's own nodes.

    ``start`` after the profile page, ``outside_audience`` for a patient the tree
    is not for, and the ``next`` of each of the tree's emergency signs, which the
    prelude's emergency screen offers before anything else.
    """
    found = [tree.start]
    if tree.outside_audience:
        found.append(tree.outside_audience)
    found += [sign.next for sign in tree.emergency_signs if sign.next]
    return tuple(dict.fromkeys(found))


def reachable(tree: Tree, roots: Iterable[str], via: Collection[Via] = EVERY_ARROW) -> set[str]:
    """Every node of the tree reachable from ``roots`` (roots included); ids that are not nodes are skipped."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in tree.nodes:
            continue
        seen.add(node_id)
        todo.extend(successors(tree.nodes[node_id], via))
    return seen
