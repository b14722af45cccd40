"""Daily rollups of the routing log, and the aggregate queries the dashboard makes.

The raw log can hold millions of rows; the dashboard reads only these small
tables. ``refresh`` recomputes the last days (where triages finish, get
abandoned or answer the follow-up question), and dispositions in full, since an
assistant may close a request days later. ``rebuild`` recomputes everything.
Days are UTC dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from ..vocabulary import RequestKind
from .db import immediate

_MINUTES = "CAST(min(120, max(0, round((julianday(finished_at) - julianday(started_at)) * 1440))) AS INTEGER)"
_STATE = "CASE WHEN finished_at IS NOT NULL THEN 'finished' WHEN abandoned = 1 THEN 'abandoned' ELSE 'open' END"
# instr() instead of json_extract(): the same answer for json.dumps' fixed format, many times faster.
_SECOND = """CASE WHEN instr(answers, '"second_contact": "yes"') > 0 THEN 1 ELSE 0 END"""

_ROLLUPS = {
    "stats_daily": f"""
        SELECT substr(started_at, 1, 10), practice, tree_id, tree_version, route, urgency, {_STATE}, {_SECOND},
               cap_redirected, counterfactual, count(*)
        FROM triage_runs WHERE started_at >= :since GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10""",
    "stats_questions": f"""
        SELECT substr(started_at, 1, 10), practice, tree_id, coalesce(questions, 0), {_MINUTES}, count(*)
        FROM triage_runs WHERE started_at >= :since AND finished_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5""",
    "stats_dropout": """
        SELECT substr(started_at, 1, 10), practice, tree_id, tree_version, last_node, count(*)
        FROM triage_runs WHERE started_at >= :since AND abandoned = 1 GROUP BY 1, 2, 3, 4, 5""",
}
_DISPOSITIONS = """
    SELECT substr(started_at, 1, 10), practice, tree_id, tree_version, outcome_node, route, urgency,
           final_route, final_urgency, count(*)
    FROM triage_runs WHERE final_route IS NOT NULL AND started_at >= :start AND started_at < :end
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


def rebuild(db: Database) -> None:
    with immediate(db, durable=False):
        _recompute(db, "0000-00-00")
        db.execute("DELETE FROM stats_disposition")
        db.execute(f"INSERT INTO stats_disposition {_DISPOSITIONS}", {"start": "0000", "end": "9999"})
        _mark(db)


def refresh(db: Database, now: datetime, *, days: int = 2) -> None:
    """The last ``days`` days, plus every older day on which a triage got a final disposition
    since then (an assistant may close a request long after the triage)."""
    since = now.astimezone(UTC) - timedelta(days=days)
    with immediate(db, durable=False):
        _recompute(db, since.date().isoformat())
        touched = [
            row["day"]
            for row in db.query(
                "SELECT DISTINCT substr(started_at, 1, 10) AS day FROM triage_runs "
                "WHERE disposition_at >= ? AND final_route IS NOT NULL",
                [since.strftime("%Y-%m-%d %H:%M")],
            )
        ]
        for day in touched:
            following = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
            db.execute("DELETE FROM stats_disposition WHERE day = ?", [day])
            db.execute(f"INSERT INTO stats_disposition {_DISPOSITIONS}", {"start": day, "end": following})
        _mark(db)


def _recompute(db: Database, since: str) -> None:
    for table, select in _ROLLUPS.items():
        db.execute(f"DELETE FROM {table} WHERE day >= ?", [since])
        db.execute(f"INSERT INTO {table} {select}", {"since": since})


def _mark(db: Database) -> None:
    db.execute(
        "INSERT INTO stats_state (key, value) VALUES ('refreshed', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [datetime.now(UTC).isoformat(timespec="seconds")],
    )


# --- queries: scope is a list of practice slugs ------------------------------------------


def _where(practices: Sequence[str], start: date, end: date) -> tuple[str, list]:
    marks = ", ".join("?" for _ in practices)
    return f"day >= ? AND day <= ? AND practice IN ({marks})", [
        start.isoformat(),
        end.isoformat(),
        *practices,
    ]


def route_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    where, params = _where(practices, start, end)
    rows = db.query(
        f"SELECT route, sum(n) AS n FROM stats_daily WHERE {where} AND state = 'finished' GROUP BY route",
        params,
    )
    return {row["route"]: row["n"] for row in rows}


def state_counts(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, int]:
    where, params = _where(practices, start, end)
    rows = db.query(f"SELECT state, sum(n) AS n FROM stats_daily WHERE {where} GROUP BY state", params)
    return {row["state"]: row["n"] for row in rows}


def series(
    db: Database, practices: Sequence[str], start: date, end: date, bucket: str
) -> list[tuple[str, dict[str, int]]]:
    """(week or month label, {route: finished triages}) in time order."""
    label = "strftime('%Y-W%W', day)" if bucket == "week" else "substr(day, 1, 7)"
    where, params = _where(practices, start, end)
    rows = db.query(
        f"SELECT {label} AS bucket, route, sum(n) AS n FROM stats_daily WHERE {where} AND state = 'finished' "
        "GROUP BY bucket, route ORDER BY bucket",
        params,
    )
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        result.setdefault(row["bucket"], {})[row["route"]] = row["n"]
    return list(result.items())


def per_tree(db: Database, practices: Sequence[str], start: date, end: date) -> dict[str, dict]:
    """Per complaint: started, finished, route counts, histograms of questions and minutes."""
    where, params = _where(practices, start, end)
    trees: dict[str, dict] = defaultdict(
        lambda: {
            "started": 0,
            "finished": 0,
            "routes": defaultdict(int),
            "questions": defaultdict(int),
            "minutes": defaultdict(int),
        }
    )
    for row in db.query(
        f"SELECT tree_id, state, route, sum(n) AS n FROM stats_daily WHERE {where} GROUP BY 1, 2, 3", params
    ):
        tree = trees[row["tree_id"]]
        tree["started"] += row["n"]
        if row["state"] == "finished":
            tree["finished"] += row["n"]
            tree["routes"][row["route"]] += row["n"]
    for row in db.query(
        f"SELECT tree_id, questions, minutes, sum(n) AS n FROM stats_questions WHERE {where} GROUP BY 1, 2, 3",
        params,
    ):
        trees[row["tree_id"]]["questions"][row["questions"]] += row["n"]
        trees[row["tree_id"]]["minutes"][row["minutes"]] += row["n"]
    return dict(trees)


def dropout(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Where patients stop: abandoned triages per tree, version and last node, most first."""
    where, params = _where(practices, start, end)
    return list(
        db.query(
            f"SELECT tree_id, tree_version, last_node, sum(n) AS n FROM stats_dropout WHERE {where} "
            "GROUP BY 1, 2, 3 ORDER BY n DESC",
            params,
        )
    )


def dispositions(
    db: Database, practices: Sequence[str], start: date, end: date, tree_id: str | None = None
) -> list[dict]:
    where, params = _where(practices, start, end)
    if tree_id:
        where += " AND tree_id = ?"
        params.append(tree_id)
    return list(
        db.query(
            "SELECT tree_id, tree_version, outcome_node, route, urgency, final_route, final_urgency, sum(n) AS n "
            f"FROM stats_disposition WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            params,
        )
    )


def signals(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Per route: second contacts, counterfactual answers and cap redirects, for finished triages."""
    where, params = _where(practices, start, end)
    return list(
        db.query(
            f"SELECT tree_id, route, second_contact, counterfactual, cap_redirected, sum(n) AS n FROM stats_daily "
            f"WHERE {where} AND state = 'finished' GROUP BY 1, 2, 3, 4, 5",
            params,
        )
    )


def helped(db: Database, start: date, end: date) -> tuple[int, int]:
    """(helped, answered) self-help feedback in the period (pages are shared by all practices)."""
    row = next(
        iter(
            db.query(
                "SELECT coalesce(sum(helped), 0) AS yes, count(*) AS n FROM page_feedback "
                "WHERE substr(at, 1, 10) BETWEEN ? AND ?",
                [start.isoformat(), end.isoformat()],
            )
        )
    )
    return row["yes"], row["n"]


def econsult_answers(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """Each e-consult with its due time and first reply (no personal data is read)."""
    marks = ", ".join("?" for _ in practices)
    return list(
        db.query(
            "SELECT r.created_at, r.due_at, min(m.created_at) AS first_reply FROM requests r "
            "LEFT JOIN request_messages m ON m.request_id = r.id "
            f"WHERE r.kind = ? AND r.practice IN ({marks}) AND substr(r.created_at, 1, 10) BETWEEN ? AND ? "
            "GROUP BY r.id",
            [RequestKind.ECONSULT, *practices, start.isoformat(), end.isoformat()],
        )
    )


def export_rows(db: Database, practices: Sequence[str], start: date, end: date) -> list[dict]:
    """period × practice × complaint × route × urgency, finished triages."""
    where, params = _where(practices, start, end)
    return list(
        db.query(
            f"SELECT practice, tree_id AS complaint, route, urgency, sum(n) AS n FROM stats_daily WHERE {where} "
            "AND state = 'finished' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            params,
        )
    )


def baseline(db: Database, practices: Sequence[str]) -> list[dict]:
    marks = ", ".join("?" for _ in practices)
    return list(db.query(f"SELECT * FROM baseline WHERE practice IN ({marks}) ORDER BY month", list(practices)))


def save_baseline(db: Database, practice: str, month: str, consults: int, phone_calls: int, econsults: int = 0) -> None:
    with immediate(db):
        db.execute(
            "INSERT INTO baseline (practice, month, consults, phone_calls, econsults) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (practice, month) DO UPDATE SET consults = excluded.consults, "
            "phone_calls = excluded.phone_calls, econsults = excluded.econsults",
            [practice, month, consults, phone_calls, econsults],
        )
