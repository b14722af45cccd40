"""Queries for the evaluation dashboard's filters: every one takes the practices, the period and
an optional complaint, so each block of the page honours the same filter.

They read the rollups of ``storage/stats.py`` (never the raw routing log), with one exception
each for the two figures that the rollups do not hold: e-consult answer times (from
``requests``) and self-help feedback (from ``page_feedback``), both tables far smaller than
the log; each joins the routing record by its id only to learn its practice, complaint and
route (no personal data is read).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlite_utils import Database

from ..vocabulary import RequestKind
from . import stats as rollups

#: The bucket key (its first day, YYYY-MM-DD) of any rollup row finer than or equal to the grain.
BUCKET_KEY = {
    "week": "date(day, '-6 days', 'weekday 1')",
    "month": "substr(day, 1, 7) || '-01'",
    "quarter": "substr(day, 1, 5) || printf('%02d', (CAST(substr(day, 6, 2) AS INTEGER) - 1) / 3 * 3 + 1) || '-01'",
}
#: The rollup grains a series of this grain may read: never a coarser row, whose key would put
#: a whole year into its January.
_READABLE = {"week": (), "month": ("month",), "quarter": ("quarter", "month")}


def _where(tree_id: str | None, where: str = "1") -> tuple[str, list]:
    if tree_id:
        return f"({where}) AND tree_id = ?", [tree_id]
    return where, []


def _sum(
    db: Database,
    table: str,
    columns: str,
    practices: Sequence[str],
    start: date,
    end: date,
    tree_id: str | None,
    where: str = "1",
) -> list[dict]:
    condition, extra = _where(tree_id, where)
    return rollups._sum(db, table, columns, practices, start, end, where=condition, extra=extra)


def _grain_source(table: str, practices: Sequence[str], start: date, end: date, grain: str) -> tuple[str, list]:
    """The rollup rows of start..end that no bucket of ``grain`` cuts through, as a subquery."""
    grains = _READABLE[grain]
    pieces = rollups._calendar(start, end, grains) if grains else rollups._weeks_and_days(start, end)
    ranges = rollups._merge(pieces) or [rollups.Span("day", start, start - timedelta(days=1))]
    marks = ", ".join("?" for _ in practices)
    scan = f"SELECT * FROM {table} WHERE grain = ? AND day >= ? AND day <= ? AND practice IN ({marks})"
    params: list = []
    for span in ranges:
        params += [span.grain, span.first.isoformat(), span.last.isoformat(), *practices]
    return f"({' UNION ALL '.join(scan for _ in ranges)})", params


def finished_by_bucket(
    db: Database, practices: Sequence[str], start: date, end: date, grain: str, tree_id: str | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """{bucket key: {complaint: {route: finished triages}}} for start..end, in time order."""
    source, params = _grain_source("stats_flow", practices, start, end, grain)
    condition, extra = _where(tree_id, "state = 'finished'")
    result: dict[str, dict[str, dict[str, int]]] = {}
    # Plain tuples: a year by week is some ten thousand rows, and a dict per row cost a third of the time.
    for bucket, tree, route, n in db.execute(
        f"SELECT {BUCKET_KEY[grain]} AS bucket, tree_id, route, sum(n) AS n FROM {source} WHERE {condition} "
        "GROUP BY bucket, tree_id, route ORDER BY bucket",
        [*params, *extra],
    ).fetchall():
        result.setdefault(bucket, {}).setdefault(tree, {})[route] = n
    return result


def route_counts(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> dict[str, int]:
    rows = _sum(db, "stats_flow", "route", practices, start, end, tree_id, "state = 'finished'")
    return {row["route"]: row["n"] for row in rows}


def state_counts(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> dict[str, int]:
    return {row["state"]: row["n"] for row in _sum(db, "stats_flow", "state", practices, start, end, tree_id)}


def per_tree(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> dict:
    """Per complaint: started, finished, route counts, histograms of questions and minutes."""
    trees: dict[str, dict] = defaultdict(
        lambda: {
            "started": 0,
            "finished": 0,
            "routes": defaultdict(int),
            "questions": defaultdict(int),
            "minutes": defaultdict(int),
        }
    )
    for row in _sum(db, "stats_flow", "tree_id, state, route", practices, start, end, tree_id):
        tree = trees[row["tree_id"]]
        tree["started"] += row["n"]
        if row["state"] == "finished":
            tree["finished"] += row["n"]
            tree["routes"][row["route"]] += row["n"]
    for row in _sum(db, "stats_measures", "tree_id, measure, value", practices, start, end, tree_id):
        trees[row["tree_id"]][row["measure"]][row["value"]] += row["n"]
    return dict(trees)


def dropout(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> list[dict]:
    """Abandoned triages per complaint, version and last page, most first."""
    rows = _sum(db, "stats_dropout", "tree_id, tree_version, last_node", practices, start, end, tree_id)
    return sorted(rows, key=lambda row: -row["n"])


def signals(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> list[dict]:
    columns = "tree_id, route, second_contact, counterfactual, cap_redirected"
    return _sum(db, "stats_signals", columns, practices, start, end, tree_id)


def counterfactuals(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    """Finished triages per route and answer to "What would you have done…?" (answered only)."""
    return _sum(
        db, "stats_signals", "route, counterfactual", practices, start, end, tree_id, "counterfactual IS NOT NULL"
    )


def dispositions(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    return rollups.dispositions(db, practices, start, end, tree_id)


def selfhelp_feedback(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> tuple[int, int]:
    """(helped, answered): "Did this information help you?" answered in the period on a self-help
    page reached from a triage of these practices whose outcome was self-care."""
    marks = ", ".join("?" for _ in practices)
    condition, extra = ("AND r.tree_id = ?", [tree_id]) if tree_id else ("", [])
    row = next(
        iter(
            db.query(
                "SELECT coalesce(sum(f.helped), 0) AS yes, count(*) AS n FROM page_feedback f "
                "JOIN triage_runs r ON r.id = f.run_id "
                f"WHERE f.at >= ? AND f.at < ? AND r.practice IN ({marks}) AND r.route = 'self_care' "
                f"AND r.validation_round IS NULL {condition}",
                [start.isoformat(), (end + timedelta(days=1)).isoformat(), *practices, *extra],
            )
        )
    )
    return row["yes"], row["n"]


def econsults(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> list[dict]:
    """Each e-consult sent in the period: its due time and first reply (no personal data is read)."""
    marks = ", ".join("?" for _ in practices)
    condition, extra = ("AND t.tree_id = ?", [tree_id]) if tree_id else ("", [])
    return list(
        db.query(
            "SELECT q.created_at, q.due_at, min(m.created_at) AS first_reply FROM requests q "
            "JOIN triage_runs t ON t.id = q.run_id "
            # A reply is a staff message (a patient's own message in the conversation is not).
            "LEFT JOIN request_messages m ON m.request_id = q.id AND m.staff_id IS NOT NULL "
            f"WHERE q.kind = ? AND q.practice IN ({marks}) AND q.created_at >= ? AND q.created_at < ? "
            f"AND t.validation_round IS NULL {condition} GROUP BY q.id",
            [RequestKind.ECONSULT, *practices, start.isoformat(), (end + timedelta(days=1)).isoformat(), *extra],
        )
    )
