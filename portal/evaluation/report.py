"""Assemble the dashboard's figures from the rollups, through the pure statistics functions.

One function per block of the dashboard; each takes the database, the scope (a
list of practice slugs) and the period, and returns plain data for the template
and the exports. Suppression is applied here, before anything is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from ..storage import glance as filtered
from ..storage import stats as store
from ..vocabulary import Counterfactual
from ..workdays import working_hours_between
from . import headlines, stats


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def previous(self) -> Period:
        length = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=length), self.start - timedelta(days=1))

    @property
    def bucket(self) -> str:
        return "week" if (self.end - self.start).days <= 120 else "month"


def bucket_end(first: date, bucket: str) -> date:
    """The last day of the week (from its Monday) or month (from its 1st) that starts on ``first``."""
    if bucket == "week":
        return first + timedelta(days=6)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def partial(first: date, period: Period, today: date) -> bool:
    """Does the period, or today, cut the bucket starting on ``first`` short? Its count is then
    not comparable with whole ones."""
    return first < period.start or bucket_end(first, period.bucket) > min(period.end, today)


def overview(
    db: Database, scope: list[str], period: Period, tree_id: str | None = None, trees: dict | None = None
) -> dict:
    """Started, finished and stopped triages and the route mix, against the previous period;
    ``trees``: ``storage.glance.per_tree`` of the period if read already (its totals are these)."""
    previous = filtered.route_counts(db, scope, period.previous.start, period.previous.end, tree_id)
    if trees is None:
        routes = filtered.route_counts(db, scope, period.start, period.end, tree_id)
        states = filtered.state_counts(db, scope, period.start, period.end, tree_id)
        started, finished, abandoned = sum(states.values()), states.get("finished", 0), states.get("abandoned", 0)
    else:
        routes = _route_totals(trees)
        started = sum(data["started"] for data in trees.values())
        finished = sum(data["finished"] for data in trees.values())
        abandoned = sum(data["abandoned"] for data in trees.values())
    return {
        "started": started,
        "finished": finished,
        "abandoned": abandoned,
        "change": stats.Change(finished, sum(previous.values())),
        "routes": {r: routes.get(r, 0) for r in stats.ROUTES},
        "mix": stats.route_mix(routes),
        "previous_mix": stats.route_mix(previous),
        "suppressed": stats.suppressed(finished),
    }


def _route_totals(trees: dict) -> dict[str, int]:
    """Finished triages per route over all complaints of ``storage.glance.per_tree``."""
    totals: dict[str, int] = {}
    for data in trees.values():
        for route, n in data["routes"].items():
            totals[route] = totals.get(route, 0) + n
    return totals


def per_complaint(
    db: Database, scope: list[str], period: Period, tree: str | None = None, trees: dict | None = None
) -> list[dict]:
    """Per complaint: volume, route mix and medians; ``trees``: ``storage.glance.per_tree`` if read already."""
    if trees is None:
        trees = filtered.per_tree(db, scope, period.start, period.end, tree)
    rows = []
    for tree_id, data in sorted(trees.items()):
        finished = data["finished"]
        rows.append(
            {
                "tree": tree_id,
                "started": data["started"] if not stats.suppressed(data["started"]) else None,
                "finished": finished if not stats.suppressed(finished) else None,
                "mix": stats.route_mix(data["routes"]),
                "median_questions": None
                if stats.suppressed(finished)
                else stats.median_from_histogram(data["questions"]),
                "median_minutes": None if stats.suppressed(finished) else stats.median_from_histogram(data["minutes"]),
            }
        )
    return rows


def funnel(
    db: Database, scope: list[str], period: Period, tree_id: str | None = None, trees: dict | None = None
) -> list[dict]:
    """The pages where most patients stopped (at least ``MIN_CELL`` each), with the share of the
    complaint's started triages that stopped there."""
    if trees is None:
        trees = filtered.per_tree(db, scope, period.start, period.end, tree_id)
    started = {tree: data["started"] for tree, data in trees.items()}
    rows = [
        row for row in filtered.dropout(db, scope, period.start, period.end, tree_id) if not stats.suppressed(row["n"])
    ]
    return [{**row, "share": stats.share(row["n"], started.get(row["tree_id"], 0))} for row in rows[:15]]


def triage_vs_disposition(db: Database, scope: list[str], period: Period, tree_id: str | None = None) -> dict:
    rows = filtered.disposition_rows(db, scope, period.start, period.end, tree_id)
    matrix = stats.confusion(row[3:] for row in rows)  # (route, urgency, final route, final urgency, n)
    by_node: dict[tuple, dict] = {}
    for tree, version, node, _route, urgency, _final_route, final_urgency, n in rows:
        entry = by_node.setdefault((tree, version, node), {"n": 0, "under": 0, "over": 0})
        entry["n"] += n
        difference = int(urgency[1]) - int(final_urgency[1])
        if difference > 0:
            entry["under"] += n
        elif difference < 0:
            entry["over"] += n
    nodes = sorted(
        (
            {"tree": k[0], "version": k[1], "node": k[2], **v}
            for k, v in by_node.items()
            if not stats.suppressed(v["n"])
        ),
        key=lambda e: (-e["under"] / e["n"], -e["n"]),
    )
    return {"matrix": matrix, "nodes": nodes[:15]}


def signals(db: Database, scope: list[str], period: Period, tree_id: str | None = None) -> dict:
    rows = filtered.signal_rows(db, scope, period.start, period.end, tree_id)
    total = second = cap_redirected = 0
    answers: dict[tuple[str, str], int] = {}  # (route, counterfactual answer): finished triages
    per_complaint_route: dict[tuple[str, str], list[int]] = {}
    # One pass over plain tuples (some 1,200 rows for a quarter at a million runs).
    for tree, route, second_contact, counterfactual, cap, n in rows:
        total += n
        if second_contact:
            second += n
        if cap:
            cap_redirected += n
        if counterfactual:
            answers[(route, counterfactual)] = answers.get((route, counterfactual), 0) + n
        counts = per_complaint_route.setdefault((tree, route), [0, 0])
        counts[0] += n if second_contact else 0
        counts[1] += n
    counterfactuals = {c: sum(n for (_, answer), n in answers.items() if answer == c) for c in Counterfactual}
    answered_total = sum(counterfactuals.values())
    avoided = stats.avoided_contacts((route, answer, n) for (route, answer), n in answers.items())
    # Feedback from triages of these practices (and complaint) that ended in self-care.
    helped, feedback = filtered.selfhelp_feedback(db, scope, period.start, period.end, tree_id)
    recontact = sorted(
        (
            {"tree": t, "route": route, "rate": stats.share(second_n, n), "n": n}
            for (t, route), (second_n, n) in per_complaint_route.items()
            if not stats.suppressed(n)
        ),
        key=lambda e: (e["tree"], stats.ROUTES.index(e["route"]) if e["route"] in stats.ROUTES else 99),
    )
    return {
        "recontact": recontact,
        "recontact_rate": stats.share(second, total),
        "counterfactuals": counterfactuals if not stats.suppressed(answered_total) else None,
        "answered": answered_total,
        "avoided": avoided if not stats.suppressed(answered_total) else None,
        # Extrapolated to every finished triage, from the share that answered.
        "avoided_estimate": round(avoided / answered_total * total) if not stats.suppressed(answered_total) else None,
        "helped_rate": stats.share(helped, feedback),
        "feedback": feedback,
        "cap_redirected": cap_redirected,
    }


def econsult_speed(
    db: Database,
    scope: list[str],
    period: Period,
    zone: ZoneInfo,
    tree_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """E-consults answered within one working day, as the headline defines it (``headlines.py``:
    of those answered or overdue), and the median answer time in working hours."""
    rows = filtered.econsults(db, scope, period.start, period.end, tree_id)
    answered = [r for r in rows if r["first_reply"]]
    moment = now or datetime.now(UTC)
    states = [
        headlines.econsult_state(_aware(r["due_at"]), _aware(r["first_reply"]) if r["first_reply"] else None, moment)
        for r in rows
    ]
    on_time = headlines.econsult_on_time(
        states.count(headlines.EconsultState.ON_TIME), states.count(headlines.EconsultState.LATE)
    )
    hours = sorted(
        round(
            working_hours_between(
                datetime.fromisoformat(r["created_at"]).astimezone(zone),
                datetime.fromisoformat(r["first_reply"]).astimezone(zone),
            )
        )
        for r in answered
    )
    histogram: dict[int, int] = {}
    for h in hours:
        histogram[h] = histogram.get(h, 0) + 1
    return {
        "total": len(rows),
        "on_time_rate": on_time.value,
        "median_hours": None if stats.suppressed(len(answered)) else stats.median_from_histogram(histogram),
    }


def _aware(text: str) -> datetime:
    """A stored moment (ISO 8601, UTC) as an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def practice_comparison(db: Database, practices: list[str], period: Period, tree_id: str | None = None) -> list[dict]:
    rows = []
    by_practice = filtered.route_counts_by_practice(db, practices, period.start, period.end, tree_id)
    for slug in practices:
        routes = by_practice[slug]
        total = sum(routes.values())
        rows.append(
            {
                "practice": slug,
                "finished": None if stats.suppressed(total) else total,
                "mix": stats.route_mix(routes),
            }
        )
    return rows


def baseline_comparison(db: Database, scope: list[str], period: Period, routes: dict[str, int] | None = None) -> dict:
    """The baseline months against the period; ``routes``: the period's finished triages per
    route over every complaint, if read already (the baseline compares with all complaints)."""
    rows = store.baseline(db, scope)
    months = len({r["month"] for r in rows})
    if not months:
        return {"months": 0}
    consults = sum(r["consults"] for r in rows) / months
    calls = sum(r["phone_calls"] for r in rows) / months
    days = (period.end - period.start).days + 1
    if routes is None:
        routes = store.route_counts(db, scope, period.start, period.end)
    per_month = {route: n * 30.4 / days for route, n in routes.items()}
    return {
        "months": months,
        "consults_per_month": consults,
        "calls_per_month": calls,
        "digital_per_month": sum(per_month.get(r, 0) for r in stats.DIGITAL_ROUTES),
        "rows": rows,
    }


def export(db: Database, scope: list[str], period: Period, tree_id: str | None = None) -> list[dict]:
    rows = [
        row
        for row in store.export_rows(db, scope, period.start, period.end)
        if tree_id is None or row["complaint"] == tree_id
    ]
    return [
        {"period_start": period.start.isoformat(), "period_end": period.end.isoformat(), **row}
        for row in stats.suppress_rows(rows)
    ]
