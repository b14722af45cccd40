"""The evaluation dashboard for evaluators (and admins): per practice or for all their practices.

No personal data is read or shown; every number rests on at least ten triages
or is hidden, here and in the exports.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Collection
from datetime import date, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from .. import clock
from ..errors import BadInput
from ..staff.guard import current_staff, staff_required
from ..storage import audit
from ..storage import glance as stats_glance
from ..storage import stats as store
from ..storage.db import get_db
from ..storage.practices import get_practice
from ..vocabulary import EVALUATION_ROLES, ROUTE_LABELS
from . import glance, numbers, report
from .charts import ROUTE_COLOURS, LinePoint, share_lines, sparkline, stacked_bars
from .headlines import Figure
from .stats import MIN_CELL, ROUTES, shown, shown_cell

bp = Blueprint("evaluation", __name__, url_prefix="/staff/evaluatie")
REFRESH_SECONDS = 60
#: The dates the dashboard accepts. Far outside them ``date`` arithmetic overflows (the previous
#: period of year 1) or the year cannot be written at all (0, 99999): refuse them as input errors.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 3 * 366
#: A month's count above this is a typing error (and above 2**63 SQLite cannot store it).
MAX_COUNT = 10_000_000
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
BASELINE_COLUMNS = ("practice", "month", "consults", "phone_calls")
MAX_ROW_ERRORS = 20
_last_refresh: dict[str, float] = {}  # database path → when this worker last refreshed its rollups


@bp.context_processor
def _small_numbers() -> dict[str, object]:
    """The small-number rule for this blueprint's templates: the statistics core's threshold and
    functions, so no template hides a cell by a threshold of its own."""
    return {
        "MIN_CELL": MIN_CELL,
        "shown": shown,
        "shown_cell": shown_cell,
        # Babel's formats and the hidden mark, made once per page instead of once per cell.
        "cells": _cells(),
    }


def _cells() -> numbers.Cells:
    return numbers.cells(
        str(get_locale() or "nl"),
        _("fewer than %(n)d triages: hidden", n=MIN_CELL),
        MIN_CELL,
        _("no data"),
    )


def _refresh() -> None:
    """Bring the rollups up to date (the days whose routing records changed), at most once a
    minute per worker. This runs in the evaluation process (Procfile ``evaluation:``), never in a
    patient's worker; ``voordeur stats refresh`` does the same from cron."""
    database = current_app.config["VOORDEUR"]["DATABASE"]
    if time.monotonic() - _last_refresh.get(database, float("-inf")) >= REFRESH_SECONDS:
        store.refresh(get_db())
        _last_refresh[database] = time.monotonic()


def _scope() -> tuple[list[str], str]:
    staff = current_staff()
    assert staff is not None
    chosen = request.args.get("praktijk", "alle")
    if chosen == "alle":
        return list(staff.practices), chosen
    if chosen not in staff.practices:
        abort(404)
    return [chosen], chosen


def _date_arg(name: str) -> date | None:
    """The ``YYYY-MM-DD`` date in query argument ``name``; a 400 that says how to write it."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(_("Write dates as YYYY-MM-DD, for example 2026-01-31.")) from None


def _period() -> report.Period:
    """The period from ``van``/``tot`` (default: the last 90 days). The check on the range comes
    before any arithmetic, so no date overflows into a 500."""
    end = _date_arg("tot") or clock.local().date()
    start = _date_arg("van")
    for day in (start, end):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise BadInput(_("Choose dates between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))
    start = start or end - timedelta(days=89)
    if start > end:
        raise BadInput(_("The start date must come before the end date."))
    if (end - start).days > MAX_DAYS:
        raise BadInput(_("Choose a period of at most three years."))
    return report.Period(start, end)


def _complaint_titles() -> dict[str, str]:
    """Tree id → the complaint's title in the reader's language (``beet_steek`` → "Beet of steek")."""
    from ..rulebook import live_trees

    locale = str(get_locale() or "nl")
    return {tree_id: tree.title.get(locale) for tree_id, tree in live_trees().items()}


def _series_labels(
    series: list[tuple[str, dict[str, int]]], filters: glance.Filters, label: Callable[[date], str]
) -> list[tuple[str, dict[str, int]]]:
    """Each bucket labelled in the reader's language ("2 mrt." or "mrt. 2026"), and marked when
    the period (or today) cuts it short, so a partial week does not look like a drop."""
    today = clock.local().date()
    labelled = []
    for key, counts in series:
        first = date.fromisoformat(key)
        text = label(first)
        if glance.is_partial(first, filters.grain, filters.start, filters.end, today):
            text = _("%(label)s (partial)", label=text)
        labelled.append((text, counts))
    return labelled


def _counts_by_bucket(by_bucket: dict[str, dict[str, dict[str, int]]]) -> list[tuple[str, dict[str, int]]]:
    """{bucket: {complaint: {route: n}}} as (bucket, {route: n}) for the chart of numbers."""
    series = []
    for key, trees in by_bucket.items():
        totals: dict[str, int] = {}
        for routes in trees.values():
            for route, n in routes.items():
                totals[route] = totals.get(route, 0) + n
        series.append((key, totals))
    return series


def _chosen_practices() -> tuple[str, ...]:
    """The practices chosen with ``praktijk`` (may repeat); none or "alle": all of the evaluator's."""
    staff = current_staff()
    assert staff is not None
    chosen = tuple(dict.fromkeys(value for value in request.args.getlist("praktijk") if value and value != "alle"))
    if any(slug not in staff.practices for slug in chosen):
        abort(404)
    return chosen


def _complaint(titles: dict[str, str]) -> str | None:
    tree_id = request.args.get("klacht") or None
    if tree_id is not None and tree_id not in titles:
        raise BadInput(_("There is no complaint with that name. Choose one from the list."))
    return tree_id


def _filters(titles: dict[str, str]) -> glance.Filters:
    """Everything the evaluator chose, from the URL: every block of the page reads through this."""
    staff = current_staff()
    assert staff is not None
    chosen = _chosen_practices()
    period = _period()
    per = request.args.get("per") or None
    if per is not None and per not in glance.GRAINS:
        raise BadInput(_("Choose weeks, months or quarters."))
    grain = glance.GRAINS[per] if per else glance.default_grain(period.start, period.end)
    return glance.Filters(
        practices=chosen or tuple(staff.practices),
        chosen=chosen,
        start=period.start,
        end=period.end,
        grain=grain,
        grain_chosen=per is not None,
        tree_id=_complaint(titles),
    )


def _bucket_label(grain: str) -> Callable[[date], str]:
    """A bucket's short label in the reader's language: "2 mrt." (week), "mrt. 2026", "K1 2026".

    Made once per page and remembered per bucket: the line charts and the table of numbers label
    the same buckets, and Babel takes about a millisecond per date."""

    @cache
    def label(first: date) -> str:
        if grain == "week":
            return format_date(first, "d MMM")
        if grain == "quarter":
            return _("Q%(quarter)d %(year)d", quarter=(first.month - 1) // 3 + 1, year=first.year)
        return format_date(first, "MMM yyyy")

    return label


GRAIN_NAMES = {"week": _l("week"), "month": _l("month"), "quarter": _l("quarter")}


def _line_titles() -> dict[str, str]:
    titles = {"without_visit": _("Handled without a practice visit")}
    titles.update({route: str(ROUTE_LABELS[route]) for route in ROUTES})
    return titles


def _line_charts(lines: list[glance.Line], filters: glance.Filters, baseline: Figure | None) -> dict[str, str]:
    """Each line's SVG: this period solid, the same period last year dashed, the baseline dotted."""
    titles, charts, cells = _line_titles(), {}, _cells()
    for line in lines:
        if line.empty:
            continue
        level = baseline.value if baseline is not None and line.key == "without_visit" else None
        charts[line.key] = share_lines(
            [LinePoint(share.label, share.now.value, share.partial) for share in line.shares],
            title=_(
                "%(what)s: share of finished triages per %(grain)s",
                what=titles[line.key],
                grain=GRAIN_NAMES[filters.grain],
            ),
            description=_(
                "Solid line: this period; dashed grey line: the same period a year earlier; an open dot: "
                "a period that is not over or is cut short; a gap: fewer than %(n)d triages or none.",
                n=MIN_CELL,
            ),
            percent=cells.percent,
            last_year=[share.year_before.value for share in line.shares],
            baseline=level,
            baseline_label=_("baseline"),
            chart_id=f"chart-{line.key}",
            height=220 if line.key == "without_visit" else 170,  # the routes' charts side by side, smaller
        )
    return charts


def _sparklines(trends: list[glance.Trend], titles: dict[str, str]) -> dict[str, str]:
    # Translated once and filled in per complaint (gettext without values leaves the %(…)s in):
    # a lookup per row cost more than drawing the line.
    title = _("%(complaint)s: share handled without a practice visit over time")
    return {
        trend.tree_id: sparkline(
            [point.value for point in trend.points],
            title=title % {"complaint": titles.get(trend.tree_id, trend.tree_id)},
            chart_id=f"spark-{trend.tree_id}",
        )
        for trend in trends
    }


def _filter_summary(filters: glance.Filters, practices: list, titles: dict[str, str]) -> list[str]:
    """The filters in words, for the "Filter: …" line above everything."""
    names = {p.slug: p.name for p in practices}
    summary = [
        ", ".join(names.get(slug, slug) for slug in filters.chosen) if filters.chosen else _("all your practices"),
        _(
            "%(start)s to %(end)s",
            start=format_date(filters.start, "d MMM yyyy"),
            end=format_date(filters.end, "d MMM yyyy"),
        ),
        _("per %(grain)s", grain=GRAIN_NAMES[filters.grain]),
        titles[filters.tree_id] if filters.tree_id else _("all complaints"),
    ]
    return summary


def _complaint_link(filters: glance.Filters) -> Callable[[str], str]:
    """The page's URL with the same filters and one complaint chosen, for the tables that link
    every row to its complaint: ``url_for`` once, the complaint appended (``klacht`` comes last
    in ``Filters.args``, so this is the very URL ``url_for`` would build for each row)."""
    args: dict[str, Any] = filters.args(klacht=None)
    base = url_for(".dashboard", **args)
    joiner = "&" if "?" in base else "?"
    return lambda tree_id: f"{base}{joiner}{urlencode({'klacht': tree_id})}"


def _page_words() -> dict[str, str]:
    return {
        "profile": _("Who is it for, age and sex"),
        "risk": _("Risk group and earlier contact"),
        "unknown": _("A page this version no longer has"),
    }


@bp.get("/")
@staff_required(*EVALUATION_ROLES)
def dashboard():
    from ..rulebook import live_trees

    _refresh()
    db = get_db()
    staff = current_staff()
    assert staff is not None
    titles = _complaint_titles()
    filters = _filters(titles)
    scope, tree_id = list(filters.practices), filters.tree_id
    period = report.Period(filters.start, filters.end)
    today, label = clock.local().date(), _bucket_label(filters.grain)
    firsts = glance.bucket_starts(filters.start, filters.end, filters.grain)
    now_counts = stats_glance.finished_by_bucket(db, scope, filters.start, filters.end, filters.grain, tree_id)
    year_start, year_end = glance.last_year_range(
        firsts[0], glance.bucket_end(firsts[-1], filters.grain), filters.grain
    )
    before_counts = stats_glance.finished_by_bucket(db, scope, year_start, year_end, filters.grain, tree_id)
    lines = glance.share_lines(
        now_counts,
        before_counts,
        firsts,
        grain=filters.grain,
        start=filters.start,
        end=filters.end,
        today=today,
        label=label,
    )
    heads = glance.headline_figures(db, filters, clock.now())
    series = _series_labels(_counts_by_bucket(now_counts), filters, label)
    trends = glance.complaint_trends(now_counts, firsts)
    practices = [get_practice(db, slug) for slug in staff.practices]
    locale = str(get_locale() or "nl")
    trees, words = live_trees(), _page_words()
    trees_data = stats_glance.per_tree(db, scope, filters.start, filters.end, tree_id)
    funnel = report.funnel(db, scope, period, tree_id, trees_data)
    disposition = report.triage_vs_disposition(db, scope, period, tree_id)
    overview = report.overview(db, scope, period, tree_id, trees_data)
    return render_template(
        "evaluation/dashboard.html",
        staff=staff,
        practice=None,
        tree=None,
        practices=practices,
        filters=filters,
        summary=_filter_summary(filters, practices, titles),
        period=period,
        headlines=heads,
        lines=lines,
        line_titles=_line_titles(),
        charts=_line_charts(lines, filters, heads[0].baseline),
        trends=trends,
        series=series,
        # A cell hidden in the table (<10) is not drawn either.
        chart=stacked_bars(
            [(label, {route: shown_cell(n) or 0 for route, n in counts.items()}) for label, counts in series],
            ROUTES,
            _("Finished triages per %(grain)s, by route", grain=GRAIN_NAMES[filters.grain]),
        ),
        sparklines=_sparklines(trends, titles),
        overview=overview,
        complaints=report.per_complaint(db, scope, period, tree_id, trees_data),
        funnel=[
            {**row, "page": glance.page_label(trees.get(row["tree_id"]), row["last_node"], locale, words)}
            for row in funnel
        ],
        disposition={
            **disposition,
            "nodes": [
                {**node, "title": glance.page_label(trees.get(node["tree"]), node["node"], locale, words)}
                for node in disposition["nodes"]
            ],
        },
        signals=report.signals(db, scope, period, tree_id),
        speed=report.econsult_speed(db, scope, period, clock.zone(), tree_id, clock.now()),
        comparison=report.practice_comparison(db, list(staff.practices), period, tree_id)
        if len(staff.practices) > 1
        else [],
        # Without a complaint chosen, the overview's routes are those of every complaint.
        baseline=report.baseline_comparison(db, scope, period, None if tree_id else overview["routes"]),
        routes=ROUTES,
        # Each route's name translated once, not once per table cell (a lazy string is looked up each time).
        route_names={route: str(ROUTE_LABELS[route]) for route in ROUTES},
        colours=ROUTE_COLOURS,
        titles=titles,
        complaint_link=_complaint_link(filters),
        grains=glance.GRAINS,
        grain_names=GRAIN_NAMES,
    )


@bp.get("/export.<fmt>")
@staff_required(*EVALUATION_ROLES)
def export(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    _refresh()
    staff = current_staff()
    assert staff is not None
    # The dashboard's filters: its export link carries them (practices, period, complaint).
    chosen_practices = _chosen_practices()
    scope = list(chosen_practices or staff.practices)
    period = _period()
    tree_id = _complaint(_complaint_titles())
    rows = report.export(get_db(), scope, period, tree_id)
    audit.append(
        get_db(),
        action=f"export:statistics:{fmt}",
        staff_id=staff.id,
        practice=chosen_practices[0] if len(chosen_practices) == 1 else None,
    )
    chosen = "-".join(chosen_practices) or "alle"
    name = f"voordeur-{chosen}{'-' + tree_id if tree_id else ''}-{period.start}-{period.end}.{fmt}"
    if fmt == "json":
        body = json.dumps({"period": [period.start.isoformat(), period.end.isoformat()], "rows": rows}, indent=1)
        return Response(
            body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"}
        )
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=[
            "period_start",
            "period_end",
            "practice",
            "complaint",
            "route",
            "urgency",
            "n",
            "suppressed",
        ],
    )
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/nulmeting", methods=["GET", "POST"])
@staff_required(*EVALUATION_ROLES)
def baseline():
    staff = current_staff()
    assert staff is not None
    db = get_db()
    errors: list[str] = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload and upload.filename:
            entries, errors = _read_csv(upload)
        else:
            entries = [request.form.to_dict()]
        parsed, row_errors = _parse_baseline(entries, staff.practices)
        errors += row_errors
        if not errors:
            for row in parsed:
                store.save_baseline(db, *row)
            return redirect(url_for(".baseline", opgeslagen=len(parsed)), 303)
    return render_template(
        "evaluation/baseline.html",
        staff=staff,
        practice=None,
        tree=None,
        errors=errors,
        rows=store.baseline(db, list(staff.practices)),
        practices=staff.practices,
        saved=request.args.get("opgeslagen"),
    ), (422 if errors else 200)


BaselineRow = tuple[str, str, int, int, int]


def _read_csv(upload: FileStorage) -> tuple[list[dict[str, str | None]], list[str]]:
    """The rows of an uploaded CSV file, or why it cannot be read.

    Spreadsheets save in many encodings; guessing would store mangled practice names, so
    anything but UTF-8 (with or without Excel's byte order mark) is refused with how to fix it.
    """
    content = upload.read()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in content:
            return [], [_("This is not a CSV file. Save the spreadsheet as “CSV UTF-8” and import that file.")]
        return [], [_("The file is not in UTF-8. In your spreadsheet, choose “Save as” and “CSV UTF-8”.")]
    if "\x00" in text:
        return [], [_("This is not a CSV file. Save the spreadsheet as “CSV UTF-8” and import that file.")]
    try:
        # Universal newlines: "CSV (Macintosh)" from Excel ends its lines with a bare \r.
        reader = csv.DictReader(io.StringIO(text, newline=None))
        entries = list(reader)
    except csv.Error:
        return [], [_("This is not a CSV file. Save the spreadsheet as “CSV UTF-8” and import that file.")]
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in BASELINE_COLUMNS if column not in header]
    if not entries:
        return [], [_("The file holds no rows.")]
    if missing:
        return [], [
            _(
                "The file needs the columns %(columns)s. Missing columns: %(missing)s.",
                columns=", ".join((*BASELINE_COLUMNS, "econsults")),
                missing=", ".join(missing),
            )
        ]
    # Spreadsheets may pad or capitalise a header; the row check looks columns up by their plain
    # name. Cells beyond the header (DictReader's key None, a list) are ignored.
    rows = [{(k or "").strip().lower(): v for k, v in entry.items() if isinstance(v, str | None)} for entry in entries]
    return rows, []


def _parse_baseline(
    entries: list[dict[str, str | None]], practices: Collection[str]
) -> tuple[list[BaselineRow], list[str]]:
    """Every row checked; each problem says the row, the column and what is wrong with it."""
    parsed: list[BaselineRow] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, start=1):
        row, problem = _parse_baseline_row(number, entry, practices)
        if problem:
            errors.append(problem)
        elif row:
            parsed.append(row)
    if len(errors) > MAX_ROW_ERRORS:
        more = len(errors) - MAX_ROW_ERRORS
        errors = [*errors[:MAX_ROW_ERRORS], _("And %(n)d more rows with problems.", n=more)]
    return parsed, errors


def _parse_baseline_row(
    number: int, entry: dict[str, str | None], practices: Collection[str]
) -> tuple[BaselineRow | None, str | None]:
    """One row as (practice, month, consults, phone calls, e-consults), or its first problem."""
    for column in BASELINE_COLUMNS:
        if not (entry.get(column) or "").strip():
            return None, _("Row %(n)d: %(column)s is missing.", n=number, column=column)
    practice = (entry["practice"] or "").strip()
    if practice not in practices:
        return None, _("Row %(n)d: practice %(value)s is not one of your practices.", n=number, value=practice[:40])
    month = _month(entry["month"] or "")
    if month is None:
        return None, _("Row %(n)d: write the month as YYYY-MM, for example 2025-03.", n=number)
    values = []
    for column in ("consults", "phone_calls", "econsults"):
        value = (entry.get(column) or "0").strip()
        if not WHOLE_NUMBER.fullmatch(value) or int(value) > MAX_COUNT:
            return None, _(
                "Row %(n)d: %(column)s must be a whole number from 0 to %(max)d, not “%(value)s”.",
                n=number,
                column=column,
                max=MAX_COUNT,
                value=value[:20],
            )
        values.append(int(value))
    consults, phone_calls, econsults = values
    return (practice, month, consults, phone_calls, econsults), None


def _month(value: str) -> str | None:
    """``YYYY-MM`` within the years the dashboard shows, written the one way (2025-3 → 2025-03)."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", value.strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


@bp.get("/jaarverslag")
@staff_required(*EVALUATION_ROLES)
def yearly_report():
    _refresh()
    db = get_db()
    scope, chosen = _scope()
    year = _year()
    period = report.Period(date(year, 1, 1), date(year, 12, 31))
    return render_template(
        "evaluation/yearly.html",
        staff=current_staff(),
        practice=None,
        tree=None,
        year=year,
        chosen=chosen,
        overview=report.overview(db, scope, period),
        complaints=report.per_complaint(db, scope, period),
        disposition=report.triage_vs_disposition(db, scope, period),
        signals=report.signals(db, scope, period),
        held=glance.selfhelp_held(db, scope, period.start, period.end, None, clock.now()),
        speed=report.econsult_speed(db, scope, period, clock.zone()),
        baseline=report.baseline_comparison(db, scope, period),
        routes=ROUTES,
        period=period,
        titles=_complaint_titles(),
    )


def _year() -> int:
    """The report's year (default: this year). ``date`` cannot hold year 0 or 99999, and the
    previous period of year 1 overflows: outside the dashboard's years it is an input error."""
    value = request.args.get("jaar", "").strip()
    if not value:
        return clock.local().year
    if not WHOLE_NUMBER.fullmatch(value) or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise BadInput(_("Choose a year between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))
    return int(value)
