"""The headline figures of the evaluation dashboard, defined once, over plain counts.

The regional plan (MTVP) asks four questions of the digital front door. Each is answered
here by a pure function over counts that the rollups (or an instance's exported
aggregates) hold, so the dashboard and the DuckDB query set over several instances'
exports compute the very same numbers. Every figure is a share between 0 and 1 with its
numerator and denominator; the small-number rule (``stats.MIN_CELL``) hides a figure
whose denominator is below the threshold, and a denominator of zero is "no data", which
the dashboard says in words rather than as a hidden number.

A run counts in the period in which it *started* (a UTC date, as in every rollup). Runs
played in a validation round are no patients and are never counted.

The figures:

``without_visit``
    Requests handled without a practice visit: finished triages whose route is self-care,
    the social domain or an e-consult, out of all finished triages (every route, 112
    included). Stopped or still open triages are not in the denominator.
``econsult_on_time``
    E-consults answered within one working day: e-consult requests whose first reply from
    the practice came at or before their due time (one working day after sending, see
    ``portal/workdays.py``), out of the e-consults that were answered or are overdue. An
    e-consult still waiting and not yet due is left out, so a current period is not
    pulled down by questions that may still be answered in time.
``contacts_avoided``
    Practice contacts avoided, in the patients' own words: of the finished triages whose
    patient answered "What would you have done if this website did not exist?", the share
    who would have called the practice or the huisartsenpost *and* whose outcome needed no
    practice contact (self-care or the social domain; an e-consult is a practice contact).
    ``estimate`` extrapolates that share to all finished triages of the period.
``selfhelp_held``
    Self-help that held: of the triages whose outcome was self-care and that started at
    least 14 days ago, the share *not* marked ``returned`` — that is, after which the same
    browser did not start a triage for the same complaint, nor send any request to the
    practice, within 14 days (``portal/patient/returns.py``: the patient's browser remembers
    the triage in a cookie; the routing log gets one flag and no personal data). Triages of
    the last 14 days cannot be counted yet. Measured per browser: a phone call, another
    device or a cleared browser is not seen, so the share is an upper bound.
``selfhelp_helped``
    Self-help that helped, in the patients' words: of the answers to "Did this information
    help you?" on a self-help page reached from a triage whose outcome was self-care, the
    share that said yes, when reading the page. Attributed to the practice, complaint and
    start day of the triage it came from; feedback on pages opened without a triage is not
    counted. Shown under "self-help that held" and in "Did the advice hold?".

Changes are in percentage points (0.05 = five points), against the previous period of the
same length and the same dates a year earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property

from ..triage.model import Route
from . import stats

#: Routes that end without a visit to the practice (the first headline).
WITHOUT_VISIT_ROUTES = frozenset({Route.SELF_CARE, Route.SOCIAL_DOMAIN, Route.ECONSULT})
#: A change smaller than this (half a percentage point) shows as "unchanged": it rounds to 0 %.
UNCHANGED_BELOW = 0.005


class Status(StrEnum):
    """Whether a figure may be shown: a shown number, hidden by the small-number rule, or no data."""

    SHOWN = "shown"
    SUPPRESSED = "suppressed"
    NO_DATA = "no_data"
    NOT_YET = "not_yet"  # self-help that held: every triage of the period is younger than 14 days


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Figure:
    """One headline figure for one period: a share, its numerator and its denominator."""

    part: int
    whole: int
    #: Only for ``contacts_avoided``: the share applied to every finished triage of the period.
    estimate: int | None = None
    #: Only for ``selfhelp_held``: none of the period's days is 14 days ago yet, so nothing is countable.
    not_yet: bool = False

    @cached_property
    def status(self) -> Status:
        if self.not_yet:
            return Status.NOT_YET
        if self.whole == 0:
            return Status.NO_DATA
        if stats.suppressed(self.whole):
            return Status.SUPPRESSED
        return Status.SHOWN

    @cached_property
    def value(self) -> float | None:
        """The share, or None when it may not be shown (see ``status``)."""
        return self.part / self.whole if self.status is Status.SHOWN else None


@dataclass(frozen=True)
class Change:
    """A figure against an earlier one: the difference in percentage points and its direction."""

    difference: float | None

    @property
    def direction(self) -> Direction | None:
        if self.difference is None:
            return None
        if abs(self.difference) < UNCHANGED_BELOW:
            return Direction.UNCHANGED
        return Direction.UP if self.difference > 0 else Direction.DOWN


def change(current: Figure, earlier: Figure) -> Change:
    """current minus earlier, in percentage points; None when either may not be shown."""
    if current.value is None or earlier.value is None:
        return Change(None)
    return Change(current.value - earlier.value)


def without_visit(route_counts: Mapping[str, int]) -> Figure:
    """Finished triages by route → the share that ended in self-care, the social domain or an e-consult."""
    whole = sum(route_counts.values())
    part = sum(n for route, n in route_counts.items() if route in WITHOUT_VISIT_ROUTES)
    return Figure(part, whole)


class EconsultState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    WAITING = "waiting"  # not answered and not yet due: not counted


def econsult_state(due_at: datetime, first_reply: datetime | None, now: datetime) -> EconsultState:
    """One e-consult: answered by its due time, late (answered after it, or overdue), or still waiting."""
    if first_reply is not None:
        return EconsultState.ON_TIME if first_reply <= due_at else EconsultState.LATE
    return EconsultState.LATE if now > due_at else EconsultState.WAITING


def econsult_on_time(on_time: int, late: int) -> Figure:
    """E-consults answered within one working day, out of those answered or overdue."""
    return Figure(on_time, on_time + late)


def contacts_avoided(rows: Iterable[tuple[str, str | None, int]], finished: int) -> Figure:
    """rows: (route, counterfactual answer or None, finished triages); ``finished``: all finished triages.

    The share of answering patients who would have called the practice or the huisartsenpost and
    whose outcome needed no practice contact; ``estimate`` applies it to every finished triage.
    """
    answered = avoided = 0
    for route, answer, n in rows:
        if not answer:
            continue
        answered += n
        if answer in stats.WOULD_HAVE_CALLED and route in stats.NO_PRACTICE_CONTACT:
            avoided += n
    figure = Figure(avoided, answered)
    if figure.value is None:
        return figure
    return Figure(avoided, answered, estimate=round(figure.value * finished))


def selfhelp_held(self_care: int, returned: int, *, countable: bool = True) -> Figure:
    """Self-care triages at least 14 days old that were not marked returned, out of all of them.

    ``self_care`` and ``returned`` count only triages that started 14 or more days ago; with
    ``countable`` False the period has no such day yet: "not yet countable", not "no data".
    """
    if not countable:
        return Figure(0, 0, not_yet=True)
    return Figure(self_care - returned, self_care)


def selfhelp_helped(helped: int, answered: int) -> Figure:
    """Answers "this helped" out of all answers on self-help pages reached from a self-care outcome."""
    return Figure(helped, answered)


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """The same dates a year earlier; 29 February becomes the 28th."""

    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    return back(start), back(end)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before ``start``."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
