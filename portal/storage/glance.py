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


def _where(tree_id: str | None, where: str = "1") -> tuple[str, list]:
    if tree_id:
        return f"({where}) AND tree_id = ?", [tree_id]
    return where, []


def _tuples(
    db: Database,
    table: str,
    columns: str,
    practices: Sequence[str],
    start: date,
    end: date,
    tree_id: str | None,
    where: str = "1",
) -> list[tuple]:
    """The rollup rows summed over the period, as plain tuples (the columns, then n)."""
    condition, extra = _where(tree_id, where)
    return rollups.sum_rows(db, table, columns, practices, start, end, where=condition, extra=extra)


def finished_by_bucket(
    db: Database, practices: Sequence[str], start: date, end: date, grain: str, tree_id: str | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """{bucket key: {complaint: {route: finished triages}}} for start..end, in time order."""
    source, params = rollups.spans_source(
        "stats_flow", practices, rollups.series_spans(*_whole_edge_buckets(db, start, end, grain), grain)
    )
    condition, extra = _where(tree_id, "state = 'finished'")
    result: dict[str, dict[str, dict[str, int]]] = {}
    # Plain tuples: a year by week is some ten thousand rows, and a dict per row cost a third of the time.
    for bucket, tree, route, n in db.execute(
        # A row of the series' own grain is keyed by its bucket's first day already: only the edge
        # days (and a quarter's months) need their key worked out, a date function per row.
        f"SELECT CASE grain WHEN '{grain}' THEN day ELSE {BUCKET_KEY[grain]} END AS bucket, tree_id, route, "
        f"sum(n) AS n FROM {source} WHERE {condition} "
        "GROUP BY bucket, tree_id, route ORDER BY bucket",
        [*params, *extra],
    ).fetchall():
        result.setdefault(bucket, {}).setdefault(tree, {})[route] = n
    return result


def _whole_edge_buckets(db: Database, start: date, end: date, grain: str) -> tuple[date, date]:
    """start..end with its first and last bucket of ``grain`` read whole where the part outside the
    period holds no rows (before the first or after the last day with a triage): the week still
    running is then one week row instead of its days so far."""
    span = rollups.log_span(db)
    if span is None or end < span[0] or start > span[1]:
        return start, end
    first = rollups.bucket_first_day(grain, start) if start <= span[0] else start
    last = rollups.bucket_last_day(grain, end) if end >= span[1] else end
    return first, last


def _finished(tree_id: str | None) -> tuple[str, str]:
    """(table, condition) for finished triages: over every complaint the small ``stats_routes``
    holds them (no complaint dimension to add up), for one complaint ``stats_flow``."""
    return ("stats_routes", "1") if tree_id is None else ("stats_flow", "state = 'finished'")


def route_counts(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> dict[str, int]:
    table, finished = _finished(tree_id)
    return {route: n for route, n in _tuples(db, table, "route", practices, start, end, tree_id, finished)}


def route_counts_by_practice(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> dict[str, dict[str, int]]:
    """{practice: {route: finished triages}}: ``route_counts`` of each practice, in one read."""
    table, finished = _finished(tree_id)
    counts: dict[str, dict[str, int]] = {practice: {} for practice in practices}
    for practice, route, n in _tuples(db, table, "practice, route", practices, start, end, tree_id, finished):
        counts[practice][route] = n
    return counts


def state_counts(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> dict[str, int]:
    return {state: n for state, n in _tuples(db, "stats_flow", "state", practices, start, end, tree_id)}


def per_tree(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> dict:
    """Per complaint: started, finished, abandoned, route counts, histograms of questions and minutes.

    The period's totals add up from these (``evaluation.report.overview``), so the dashboard
    reads the flow rollup for its period once."""
    trees: dict[str, dict] = defaultdict(
        lambda: {
            "started": 0,
            "finished": 0,
            "abandoned": 0,
            "routes": defaultdict(int),
            "questions": defaultdict(int),
            "minutes": defaultdict(int),
        }
    )
    for tree_id_, state, route, n in _tuples(db, "stats_flow", "tree_id, state, route", practices, start, end, tree_id):
        tree = trees[tree_id_]
        tree["started"] += n
        if state == "finished":
            tree["finished"] += n
            tree["routes"][route] += n
        elif state == "abandoned":
            tree["abandoned"] += n
    # Tuples: some 1,500 histogram rows for a quarter at a million runs.
    for tree_id_, measure, value, n in _tuples(
        db, "stats_measures", "tree_id, measure, value", practices, start, end, tree_id
    ):
        trees[tree_id_][measure][value] += n
    return dict(trees)


def dropout(db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None) -> list[dict]:
    """Abandoned triages per complaint, version and last page, most first."""
    found = _tuples(db, "stats_dropout", "tree_id, tree_version, last_node", practices, start, end, tree_id)
    rows = [dict(zip(("tree_id", "tree_version", "last_node", "n"), row, strict=True)) for row in found]
    return sorted(rows, key=lambda row: -row["n"])


#: The columns of ``signal_rows``' tuples, then n.
SIGNAL_COLUMNS = "tree_id, route, second_contact, counterfactual, cap_redirected"


def signal_rows(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[tuple[str, str, int, str | None, int, int]]:
    """``signals`` as tuples (``SIGNAL_COLUMNS``, then n): some 1,200 rows for a quarter at a million runs."""
    return _tuples(db, "stats_signals", SIGNAL_COLUMNS, practices, start, end, tree_id)


def counterfactuals(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    """Finished triages per route and answer to "What would you have done…?" (answered only)."""
    table = "stats_routes" if tree_id is None else "stats_signals"
    rows = _tuples(db, table, "route, counterfactual", practices, start, end, tree_id, "counterfactual IS NOT NULL")
    return [{"route": route, "counterfactual": answer, "n": n} for route, answer, n in rows]


def dispositions(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    return rollups.dispositions(db, practices, start, end, tree_id)


#: The columns of ``disposition_rows``' tuples, then n.
DISPOSITION_COLUMNS = "tree_id, tree_version, outcome_node, route, urgency, final_route, final_urgency"


def disposition_rows(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[tuple]:
    """``dispositions`` as tuples (``DISPOSITION_COLUMNS``, then n): hundreds of rows for a quarter."""
    return _tuples(db, "stats_disposition", DISPOSITION_COLUMNS, practices, start, end, tree_id)


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
