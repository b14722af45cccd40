"""The dashboard's "at a glance" data: headline figures with their comparisons, and shares over time.

Plain data for the templates and the charts, built from the rollups (``storage/glance.py``)
through the pure definitions in ``headlines.py`` and the small-number rule in ``stats.py``.
No Flask here: dates are labelled and numbers formatted by the caller's functions, so the
chart data can be tested against hand-computed numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from ..storage import glance as store
from ..storage import routing
from ..storage import stats as rollups
from ..triage.engine import EMERGENCY_PAGE_ID, PROFILE_PAGE_ID, RISK_PAGE_ID
from ..triage.model import Outcome, Question, Route, Tree
from . import headlines, stats
from .headlines import Figure

#: The grain as written in the URL (``per=``), and the rollup grain it reads.
GRAINS = {"week": "week", "maand": "month", "kwartaal": "quarter"}
#: Without a choice: weeks for a period up to about four months, months beyond.
WEEKS_UP_TO_DAYS = 120


def default_grain(start: date, end: date) -> str:
    return "week" if (end - start).days <= WEEKS_UP_TO_DAYS else "month"


@dataclass(frozen=True)
class Filters:
    """What the evaluator chose; every block of the page reads through these."""

    practices: tuple[str, ...]  # the practices counted (all of theirs when none is chosen)
    chosen: tuple[str, ...]  # the practices chosen in the URL; empty: all of theirs
    start: date
    end: date
    grain: str  # week, month or quarter
    grain_chosen: bool
    tree_id: str | None

    def args(self, **changes: object) -> dict[str, object]:
        """The URL query of these filters (for links that must keep them), with ``changes``."""
        url_grain = {v: k for k, v in GRAINS.items()}[self.grain]
        args: dict[str, object] = {
            "praktijk": list(self.chosen) or None,
            "van": self.start.isoformat(),
            "tot": self.end.isoformat(),
            "per": url_grain if self.grain_chosen else None,
            "klacht": self.tree_id,
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, [], "")}


# --- buckets ---------------------------------------------------------------------------------


def bucket_start(day: date, grain: str) -> date:
    return rollups.bucket_first_day(grain, day)


def bucket_end(first: date, grain: str) -> date:
    return rollups.bucket_last_day(grain, first)


def bucket_starts(start: date, end: date, grain: str) -> list[date]:
    """The first day of every bucket that holds a day of start..end, in order (empty ones too)."""
    firsts, first = [], bucket_start(start, grain)
    while first <= end:
        firsts.append(first)
        first = bucket_end(first, grain) + timedelta(days=1)
    return firsts


def is_partial(first: date, grain: str, start: date, end: date, today: date) -> bool:
    """Does the period, or today, cut this bucket short? Its share is then based on fewer days."""
    return first < start or bucket_end(first, grain) > min(end, today)


def a_year_earlier(first: date, grain: str) -> date:
    """The same bucket a year earlier: 52 weeks back for a week (a Monday stays a Monday)."""
    if grain == "week":
        return first - timedelta(weeks=52)
    return first.replace(year=first.year - 1)


def last_year_range(start: date, end: date, grain: str) -> tuple[date, date]:
    """The days whose buckets line up with start..end a year earlier."""
    if grain == "week":
        return start - timedelta(weeks=52), end - timedelta(weeks=52)
    return headlines.same_period_last_year(start, end)


# --- shares over time ------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One bucket of one line: ``part`` of ``whole`` finished triages, and a year earlier."""

    first: date
    label: str
    partial: bool
    now: Figure
    year_before: Figure


@dataclass(frozen=True)
class Line:
    key: str  # a route, or "without_visit"
    shares: list[Share] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return all(share.now.whole == 0 for share in self.shares)


def _totals(by_bucket: Mapping[str, Mapping[str, Mapping[str, int]]], first: date) -> dict[str, int]:
    """Finished triages per route in one bucket, over all complaints in it."""
    totals: dict[str, int] = {}
    for routes in by_bucket.get(first.isoformat(), {}).values():
        for route, n in routes.items():
            totals[route] = totals.get(route, 0) + n
    return totals


def share_lines(
    now: Mapping[str, Mapping[str, Mapping[str, int]]],
    year_before: Mapping[str, Mapping[str, Mapping[str, int]]],
    firsts: list[date],
    *,
    grain: str,
    start: date,
    end: date,
    today: date,
    label: Callable[[date], str],
) -> list[Line]:
    """The share of finished triages handled without a practice visit, then of each route, per bucket.

    ``now`` and ``year_before`` are ``storage.glance.finished_by_bucket`` of the period and of
    ``last_year_range``; every bucket of ``firsts`` gets a point, so an empty one shows as
    such instead of being skipped.
    """
    keys = ["without_visit", *stats.ROUTES]
    lines = {key: Line(key) for key in keys}
    for first in firsts:
        counts, earlier = _totals(now, first), _totals(year_before, a_year_earlier(first, grain))
        whole, whole_before = sum(counts.values()), sum(earlier.values())
        cut_short, text = is_partial(first, grain, start, end, today), label(first)  # once per bucket, not per line
        for key in keys:
            routes = headlines.WITHOUT_VISIT_ROUTES if key == "without_visit" else {key}
            part = sum(n for route, n in counts.items() if route in routes)
            part_before = sum(n for route, n in earlier.items() if route in routes)
            lines[key].shares.append(
                Share(first, text, cut_short, Figure(part, whole), Figure(part_before, whole_before))
            )
    return list(lines.values())


@dataclass(frozen=True)
class Trend:
    """One complaint's share handled without a practice visit, per bucket, for a sparkline."""

    tree_id: str
    finished: int
    overall: Figure
    points: list[Figure]


def complaint_trends(by_bucket: Mapping[str, Mapping[str, Mapping[str, int]]], firsts: list[date]) -> list[Trend]:
    """Per complaint (most finished triages first): its share without a visit over the period and per bucket."""
    trees = sorted({tree for buckets in by_bucket.values() for tree in buckets})
    trends = []
    for tree in trees:
        points = []
        for first in firsts:
            routes = by_bucket.get(first.isoformat(), {}).get(tree, {})
            points.append(headlines.without_visit(routes))
        part, whole = sum(p.part for p in points), sum(p.whole for p in points)
        trends.append(Trend(tree, whole, Figure(part, whole), points))
    return sorted(trends, key=lambda trend: (-trend.finished, trend.tree_id))


# --- headline figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    key: str
    now: Figure
    previous: Figure
    year_before: Figure
    baseline: Figure | None = None
    #: A second, smaller figure shown under this one (self-help that held: that helped, in words).
    secondary: Figure | None = None
    #: Self-help that held: the period reaches into the last 14 days, counted up to this start day.
    counted_until: date | None = None

    @property
    def against_previous(self) -> headlines.Change:
        return headlines.change(self.now, self.previous)

    @property
    def against_year_before(self) -> headlines.Change:
        return headlines.change(self.now, self.year_before)

    @property
    def against_baseline(self) -> headlines.Change | None:
        return None if self.baseline is None else headlines.change(self.now, self.baseline)


@dataclass(frozen=True)
class PeriodFigures:
    without_visit: Figure
    econsult_on_time: Figure
    contacts_avoided: Figure
    selfhelp_held: Figure
    selfhelp_helped: Figure


def period_figures(
    db: Database, practices: list[str], start: date, end: date, tree_id: str | None, now: datetime
) -> PeriodFigures:
    """The headline figures of one period, as ``headlines.py`` defines them."""
    routes = store.route_counts(db, practices, start, end, tree_id)
    answers = store.counterfactuals(db, practices, start, end, tree_id)
    states = [
        headlines.econsult_state(_utc(row["due_at"]), _utc(row["first_reply"]) if row["first_reply"] else None, now)
        for row in store.econsults(db, practices, start, end, tree_id)
    ]
    helped, answered = store.selfhelp_feedback(db, practices, start, end, tree_id)
    return PeriodFigures(
        without_visit=headlines.without_visit(routes),
        econsult_on_time=headlines.econsult_on_time(
            states.count(headlines.EconsultState.ON_TIME), states.count(headlines.EconsultState.LATE)
        ),
        contacts_avoided=headlines.contacts_avoided(
            ((row["route"], row["counterfactual"], row["n"]) for row in answers), sum(routes.values())
        ),
        selfhelp_held=selfhelp_held(db, practices, start, end, tree_id, now, routes),
        selfhelp_helped=headlines.selfhelp_helped(helped, answered),
    )


def selfhelp_held(
    db: Database,
    practices: list[str],
    start: date,
    end: date,
    tree_id: str | None,
    now: datetime,
    routes: Mapping[str, int] | None = None,
) -> Figure:
    """Self-help that held over the days of start..end that are at least 14 days ago.

    The self-care triages come from the rollups (``routes``: this period's finished triages by
    route, when the caller has them), the returned ones from the routing log's small partial
    index (``routing.returned_self_care``).
    """
    last = min(end, countable_until(now))
    if last < start:
        return headlines.selfhelp_held(0, 0, countable=False)
    if routes is None or last != end:
        routes = store.route_counts(db, practices, start, last, tree_id)
    returned = routing.returned_self_care(db, practices, start.isoformat(), last.isoformat(), tree_id)
    return headlines.selfhelp_held(routes.get(Route.SELF_CARE, 0), returned)


def countable_until(now: datetime) -> date:
    """The last start day of self-care triages that can no longer be marked returned (14 days ago)."""
    return date.fromisoformat(routing.countable_until(now))


def _utc(text: str) -> datetime:
    """A stored moment (ISO 8601 in UTC, ``storage/requests.py``) as an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def baseline_without_visit(rows: Iterable[Mapping[str, int]]) -> Figure:
    """Before go-live, e-consults were the only contacts handled without a visit: their share of
    all contacts (consults, phone calls and e-consults) in the baseline months entered."""
    rows = list(rows)
    econsults = sum(row["econsults"] for row in rows)
    return Figure(econsults, econsults + sum(row["consults"] + row["phone_calls"] for row in rows))


def headline_figures(db: Database, filters: Filters, now: datetime) -> list[Headline]:
    """The four headlines for this period, the previous one and the same dates a year earlier.

    Self-help that held also carries self-help that helped (``secondary``) and, when the period
    reaches into the last 14 days, the last start day it could count (``counted_until``)."""
    practices = list(filters.practices)
    periods = (
        (filters.start, filters.end),
        headlines.previous_period(filters.start, filters.end),
        headlines.same_period_last_year(filters.start, filters.end),
    )
    current, previous, year_before = (
        period_figures(db, practices, first, last, filters.tree_id, now) for first, last in periods
    )
    # The baseline counts contacts of every complaint: it compares only with every complaint.
    baseline_rows = [] if filters.tree_id else rollups.baseline(db, practices)
    baseline = baseline_without_visit(baseline_rows) if baseline_rows else None
    cutoff = countable_until(now)
    return [
        Headline(key, getattr(current, key), getattr(previous, key), getattr(year_before, key), baseline)
        if key == "without_visit"
        else Headline(
            key,
            current.selfhelp_held,
            previous.selfhelp_held,
            year_before.selfhelp_held,
            secondary=current.selfhelp_helped,
            counted_until=cutoff if filters.end > cutoff >= filters.start else None,
        )
        if key == "selfhelp_held"
        else Headline(key, getattr(current, key), getattr(previous, key), getattr(year_before, key))
        for key in ("without_visit", "econsult_on_time", "contacts_avoided", "selfhelp_held")
    ]


# --- human labels for the pages where patients stop ------------------------------------------


def page_label(tree: Tree | None, node_id: str | None, locale: str, words: Mapping[str, str]) -> str:
    """The page a patient last saw, in words: the question's text or the outcome's title.

    ``words`` holds the caller's translations for the pages that are no single question
    (``profile``, ``risk``) and for a page the current version no longer has (``unknown``).
    """
    if tree is None or not node_id:
        return words["unknown"]
    if node_id == EMERGENCY_PAGE_ID:
        return tree.emergency_screen.text.get(locale)
    if node_id in (PROFILE_PAGE_ID, RISK_PAGE_ID):
        return words[node_id]
    node = tree.nodes.get(node_id) or tree.prelude.nodes.get(node_id)
    if isinstance(node, Question):
        return node.text.get(locale)
    if isinstance(node, Outcome):
        return node.title.get(locale)
    return words["unknown"]
