"""The evaluation dashboard for evaluators (and admins): per practice or for all their practices.

No personal data is read or shown; every number rests on at least ten triages
or is hidden, here and in the exports.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..staff.guard import current_staff, staff_required
from ..storage import audit
from ..storage import stats as store
from ..storage.db import get_db
from ..storage.practices import get_practice
from . import report
from .charts import ROUTE_COLOURS, stacked_bars
from .stats import COUNTERFACTUALS, ROUTES

bp = Blueprint("evaluation", __name__, url_prefix="/staff/evaluatie")
ROLES = ("evaluator", "admin")
REFRESH_SECONDS = 60
_last_refresh: dict[str, float] = {}  # database path → when this worker last refreshed its rollups


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["VOORDEUR"]["TIMEZONE"])


def _refresh() -> None:
    """Bring the rollups up to date (the last two days), at most once a minute per worker."""
    database = current_app.config["VOORDEUR"]["DATABASE"]
    if time.monotonic() - _last_refresh.get(database, float("-inf")) >= REFRESH_SECONDS:
        store.refresh(get_db(), datetime.now(UTC))
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


def _period() -> report.Period:
    today = datetime.now(_zone()).date()
    try:
        end = date.fromisoformat(request.args.get("tot", "")) if request.args.get("tot") else today
        start = date.fromisoformat(request.args.get("van", "")) if request.args.get("van") else end - timedelta(days=89)
    except ValueError:
        abort(400)
    if start > end or (end - start).days > 3 * 366:
        abort(400)
    return report.Period(start, end)


@bp.get("/")
@staff_required(*ROLES)
def dashboard():  # type: ignore[no-untyped-def]
    _refresh()
    db = get_db()
    scope, chosen = _scope()
    period = _period()
    series = store.series(db, scope, period.start, period.end, period.bucket)
    staff = current_staff()
    return render_template(
        "evaluation/dashboard.html",
        staff=staff,
        practice=None,
        tree=None,
        practices=[get_practice(db, slug) for slug in staff.practices],
        chosen=chosen,
        period=period,
        overview=report.overview(db, scope, period),
        series=series,
        chart=stacked_bars(series, ROUTES, _("Finished triages per %(bucket)s, by route", bucket=period.bucket)),
        complaints=report.per_complaint(db, scope, period),
        funnel=report.funnel(db, scope, period),
        disposition=report.triage_vs_disposition(db, scope, period, request.args.get("klacht") or None),
        signals=report.signals(db, scope, period),
        speed=report.econsult_speed(db, scope, period, _zone()),
        comparison=report.practice_comparison(db, list(staff.practices), period) if len(staff.practices) > 1 else [],
        baseline=report.baseline_comparison(db, scope, period),
        routes=ROUTES,
        colours=ROUTE_COLOURS,
        counterfactual_options=COUNTERFACTUALS,
    )


@bp.get("/export.<fmt>")
@staff_required(*ROLES)
def export(fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in ("csv", "json"):
        abort(404)
    _refresh()
    scope, chosen = _scope()
    period = _period()
    rows = report.export(get_db(), scope, period)
    staff = current_staff()
    assert staff is not None
    audit.append(
        get_db(),
        action=f"export:statistics:{fmt}",
        staff_id=staff.id,
        practice=None if chosen == "alle" else chosen,
    )
    name = f"voordeur-{chosen}-{period.start}-{period.end}.{fmt}"
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
@staff_required(*ROLES)
def baseline():  # type: ignore[no-untyped-def]
    staff = current_staff()
    assert staff is not None
    db = get_db()
    errors: list[str] = []
    if request.method == "POST":
        if request.files.get("file") and request.files["file"].filename:
            text = request.files["file"].read().decode("utf-8-sig", errors="replace")
            entries = list(csv.DictReader(io.StringIO(text)))
        else:
            entries = [request.form.to_dict()]
        parsed = []
        for number, entry in enumerate(entries, start=1):
            try:
                practice = entry["practice"].strip()
                month = entry["month"].strip()
                datetime.strptime(month, "%Y-%m")
                values = [int(entry[k]) for k in ("consults", "phone_calls")] + [int(entry.get("econsults") or 0)]
                if practice not in staff.practices or min(values) < 0:
                    raise ValueError
            except (KeyError, ValueError, AttributeError):
                errors.append(_("Row %(n)d: practice, month (YYYY-MM) and whole numbers are needed.", n=number))
                continue
            parsed.append((practice, month, *values))
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


@bp.get("/jaarverslag")
@staff_required(*ROLES)
def yearly_report():  # type: ignore[no-untyped-def]
    _refresh()
    db = get_db()
    scope, chosen = _scope()
    year = request.args.get("jaar", type=int) or datetime.now(_zone()).year
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
        speed=report.econsult_speed(db, scope, period, _zone()),
        baseline=report.baseline_comparison(db, scope, period),
        routes=ROUTES,
        period=period,
    )
