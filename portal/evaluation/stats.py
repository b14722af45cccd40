"""The statistics behind the evaluation dashboard. Pure functions over counts.

Every figure shown to evaluators comes from here, so each one is unit-tested
against hand-computed numbers — including small-number suppression: any cell
based on fewer than ``MIN_CELL`` triages is hidden, on screen and in exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..triage.model import Route
from ..vocabulary import Counterfactual

#: The small-number threshold: a figure based on fewer triages than this is hidden, on
#: screen (drawn as "<10") and in every export. The dashboard templates get this very
#: constant, and the functions below, instead of a literal of their own.
MIN_CELL = 10
#: The routes in the dashboard's order, from most to least urgent.
ROUTES = tuple(Route)
#: Routes that need no contact with the practice.
NO_PRACTICE_CONTACT = frozenset({Route.SELF_CARE, Route.SOCIAL_DOMAIN})
#: Routes that end without a consult or a call: the baseline comparison counts these.
DIGITAL_ROUTES = (Route.SELF_CARE, Route.SOCIAL_DOMAIN, Route.ECONSULT)
#: Answers to "would have called a practice or the huisartsenpost": a contact avoided when the
#: outcome needed none.
WOULD_HAVE_CALLED = frozenset({Counterfactual.PRACTICE, Counterfactual.HUISARTSENPOST})


def suppressed(n: int | None) -> bool:
    return n is None or n < MIN_CELL


def shown(n: int) -> int | None:
    """A count as the dashboard may show it: None (drawn as "<10") when it is below ``MIN_CELL``.

    For totals: zero triages is hidden too, like any other small number.
    """
    return None if suppressed(n) else n


def shown_cell(n: int) -> int | None:
    """A cell of a table of counts: like ``shown``, but an empty cell shows as 0.

    No patient stands behind an empty cell, and a 0 keeps a sparse table readable.
    """
    return n if n == 0 else shown(n)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when the whole is too small to show (suppression)."""
    if suppressed(whole):
        return None
    return part / whole


def median_from_histogram(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as {value: count}; None when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    values = sorted(histogram)
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen, lower, upper = 0, None, None
    for value in values:
        seen += histogram[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return (lower + upper) / 2


@dataclass(frozen=True)
class Confusion:
    """Triage versus the assistant's final disposition."""

    routes: dict[tuple[str, str], int]  # (triage route, final route) → count
    urgencies: dict[tuple[str, str], int]  # (triage urgency, final urgency) → count
    total: int
    agreement: int  # same urgency
    over_triage: int  # triage more urgent than the final decision
    under_triage: int  # triage less urgent: the one to worry about

    def rate(self, count: int) -> float | None:
        return share(count, self.total)


def confusion(rows: Iterable[tuple[str, str, str, str, int]]) -> Confusion:
    """rows: (triage route, triage urgency, final route, final urgency, count)."""
    routes: dict[tuple[str, str], int] = {}
    urgencies: dict[tuple[str, str], int] = {}
    total = agreement = over = under = 0
    for route, urgency, final_route, final_urgency, count in rows:
        routes[(route, final_route)] = routes.get((route, final_route), 0) + count
        urgencies[(urgency, final_urgency)] = urgencies.get((urgency, final_urgency), 0) + count
        total += count
        difference = int(urgency[1]) - int(final_urgency[1])
        if difference == 0:
            agreement += count
        elif difference < 0:
            over += count  # U2 triaged, U4 needed: more urgent than necessary
        else:
            under += count
    return Confusion(routes, urgencies, total, agreement, over, under)


def avoided_contacts(rows: Iterable[tuple[str, str, int]]) -> int:
    """rows: (route, counterfactual answer, count).

    A contact counts as avoided when the patient says they would have called the
    practice or the huisartsenpost, and the outcome needed no practice contact.
    """
    return sum(count for route, answer, count in rows if answer in WOULD_HAVE_CALLED and route in NO_PRACTICE_CONTACT)


@dataclass(frozen=True)
class Change:
    current: int
    previous: int

    @property
    def difference(self) -> int:
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        if suppressed(self.previous):
            return None
        return self.difference / self.previous


def route_mix(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Each route's share of the total; all None when the total is suppressed."""
    total = sum(counts.values())
    return {route: share(counts.get(route, 0), total) for route in ROUTES}


def suppress_rows(rows: Iterable[dict], count_field: str = "n") -> list[dict]:
    """Rows for an export: small cells keep their dimensions but lose their number."""
    return [
        {**row, count_field: None, "suppressed": True} if suppressed(row[count_field]) else {**row, "suppressed": False}
        for row in rows
    ]
