"""One instance's anonymous aggregates as Parquet, for combining several instances in DuckDB.

A region runs one Voordeur per cluster of practices; the programme compares regions. Each
instance writes (``voordeur export-aggregates --out DIR``, on a timer) two files:

``flow.parquet``
    month × practice × complaint × route × urgency: finished triages. The rows of the
    dashboard's CSV export (``report.export``), one month at a time, with the same
    suppression: a cell below ``MIN_CELL`` keeps its dimensions, its ``n`` is empty and
    ``suppressed`` is true.
``headlines.parquet``
    month × practice × figure: the numerator (``part``) and denominator (``whole``) of each
    headline figure (``headlines.py``) and of triage against the assistant's decision. A
    figure whose denominator is below ``MIN_CELL`` is hidden on the dashboard, so here both
    numbers are empty and ``suppressed`` is true.

Every row carries the instance's id and name, the practice, the month, whether the month was
complete when exported, when it was exported and the threshold used. Nothing else: no run,
no request, no text a patient wrote. Runs played in a validation round are in no rollup and
in no query used here. The query set that combines exports is ``portal/evaluation/duckdb/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from ..storage import glance
from ..storage import stats as store
from ..storage.practices import list_practices
from . import glance as at_a_glance
from . import headlines, stats

#: An instance id: lower-case letters, digits and hyphens (it names a folder of the combined set).
INSTANCE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
#: The figures in ``headlines.parquet``, in this order.
FIGURES = (
    "without_visit",
    "econsult_on_time",
    "contacts_avoided",
    "selfhelp_held",
    "selfhelp_helped",
    "triage_agreement",
    "over_triage",
    "under_triage",
)
#: The query set that reads several instances' exports.
QUERY_SET = Path(__file__).with_name("duckdb") / "voordeur.sql"
_COMMON = (
    ("instance_id", "VARCHAR"),
    ("instance_name", "VARCHAR"),
    ("practice", "VARCHAR"),
    ("month", "DATE"),
    ("complete", "BOOLEAN"),
)
FLOW_COLUMNS = (*_COMMON, ("complaint", "VARCHAR"), ("route", "VARCHAR"), ("urgency", "VARCHAR"))
HEADLINE_COLUMNS = (*_COMMON, ("figure", "VARCHAR"), ("part", "BIGINT"), ("whole", "BIGINT"))
_TAIL = (("suppressed", "BOOLEAN"), ("min_cell", "INTEGER"), ("exported_at", "TIMESTAMPTZ"))


@dataclass(frozen=True)
class Instance:
    id: str
    name: str


def months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + timedelta(days=31)).replace(day=1)


def month_end(month: date) -> date:
    return (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def flow_rows(db: Database, practice: str, month: date) -> list[dict]:
    """The dashboard export's rows for one practice and month, suppressed as there."""
    return stats.suppress_rows(store.export_rows(db, [practice], month, month_end(month)))


def figures(db: Database, practice: str, month: date, now: datetime) -> dict[str, headlines.Figure]:
    """Every figure of ``FIGURES`` for one practice and month, from the queries the dashboard uses."""
    first, last, scope = month, month_end(month), [practice]
    routes = store.route_counts(db, scope, first, last)
    finished = sum(routes.values())
    signals = store.signals(db, scope, first, last)
    on_time = late = 0
    for row in glance.econsults(db, scope, first, last):
        reply = datetime.fromisoformat(row["first_reply"]) if row["first_reply"] else None
        state = headlines.econsult_state(datetime.fromisoformat(row["due_at"]), reply, now)
        on_time += state is headlines.EconsultState.ON_TIME
        late += state is headlines.EconsultState.LATE
    helped, answered = glance.selfhelp_feedback(db, scope, first, last)
    disposition = stats.confusion(
        (r["route"], r["urgency"], r["final_route"], r["final_urgency"], r["n"])
        for r in store.dispositions(db, scope, first, last)
    )
    return {
        "without_visit": headlines.without_visit(routes),
        "econsult_on_time": headlines.econsult_on_time(on_time, late),
        "contacts_avoided": headlines.contacts_avoided(
            ((r["route"], r["counterfactual"], r["n"]) for r in signals), finished
        ),
        # Self-help that held: only the month's days at least 14 days before ``now`` (see headlines.py).
        "selfhelp_held": at_a_glance.selfhelp_held(db, scope, first, last, None, now, routes),
        "selfhelp_helped": headlines.selfhelp_helped(helped, answered),
        "triage_agreement": headlines.Figure(disposition.agreement, disposition.total),
        "over_triage": headlines.Figure(disposition.over_triage, disposition.total),
        "under_triage": headlines.Figure(disposition.under_triage, disposition.total),
    }


def headline_rows(db: Database, practice: str, month: date, now: datetime) -> list[dict]:
    """One row per figure; a figure the dashboard would hide (denominator below ``MIN_CELL``)
    keeps its name and loses both numbers. A figure without any data, or not yet countable (self-help
    that held in a month that lies wholly within the last 14 days), is left out."""
    rows = []
    for name, figure in figures(db, practice, month, now).items():
        if figure.status in (headlines.Status.NO_DATA, headlines.Status.NOT_YET):
            continue
        hidden = figure.status is headlines.Status.SUPPRESSED
        rows.append(
            {
                "figure": name,
                "part": None if hidden else figure.part,
                "whole": None if hidden else figure.whole,
                "suppressed": hidden,
            }
        )
    return rows


def collect(db: Database, instance: Instance, now: datetime) -> tuple[list[tuple], list[tuple]]:
    """(flow rows, headline rows) for every practice and every month the rollups hold, as tuples
    in the column order of ``FLOW_COLUMNS`` / ``HEADLINE_COLUMNS`` + suppressed, min_cell,
    exported_at."""
    store.refresh(db)
    flow: list[tuple] = []
    heads: list[tuple] = []
    span = store.log_span(db)
    if span is None:
        return flow, heads
    today = now.astimezone(UTC).date()
    for practice in list_practices(db):
        for month in months(*span):
            common = (instance.id, instance.name, practice.slug, month, month_end(month) < today)
            tail = (stats.MIN_CELL, now)
            for row in flow_rows(db, practice.slug, month):
                flow.append(
                    (*common, row["complaint"], row["route"], row["urgency"], row["n"], row["suppressed"], *tail)
                )
            for row in headline_rows(db, practice.slug, month, now):
                heads.append((*common, row["figure"], row["part"], row["whole"], row["suppressed"], *tail))
    return flow, heads


def export(db: Database, out: Path, instance: Instance, now: datetime | None = None) -> dict[str, int]:
    """Write ``flow.parquet`` and ``headlines.parquet`` into ``out``; return rows per file.

    Each file is written beside its final name and then renamed over it, so a copy job or a
    DuckDB query that reads the folder meanwhile sees the old file or the new one, never half.
    """
    import duckdb  # only this command needs it: the web workers never load it

    if not INSTANCE_ID.fullmatch(instance.id):
        raise ValueError("instance id: lower-case letters, digits and hyphens, at most 63")
    now = now or datetime.now(UTC)
    flow, heads = collect(db, instance, now)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for name, columns, rows in (
            ("flow.parquet", (*FLOW_COLUMNS, ("n", "BIGINT"), *_TAIL), flow),
            ("headlines.parquet", (*HEADLINE_COLUMNS, *_TAIL), heads),
        ):
            target = out / name
            partial = out / f".{name}.partial"
            _write(con, columns, rows, partial)
            os.replace(partial, target)
            written[name] = len(rows)
    return written


def _write(con, columns: tuple[tuple[str, str], ...], rows: list[tuple], path: Path) -> None:
    """Rows to a Parquet file with exactly these column types (also when there are no rows).

    The values go in as one typed list per column (``unnest``): row-by-row inserts into DuckDB
    from Python take seconds per thousand rows."""
    values = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    select = ", ".join(f"unnest(${i + 1}::{kind}[]) AS {name}" for i, (name, kind) in enumerate(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE export AS SELECT {select}", values)
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY export TO '{escaped}' (FORMAT parquet, COMPRESSION zstd)")
