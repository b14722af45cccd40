"""The dashboard at a glance: headline figures and shares over time against hand-computed numbers,
small numbers hidden in every new chart, figure and table, the filters applied to everything and
shown, partial periods marked, "no data" said in words, and human labels only.

Runs are written straight into the routing log (as in ``test_rollups.py``); the dashboard brings
its rollups up to date when it is opened.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import date

import pytest

from portal.evaluation import glance
from portal.evaluation.headlines import Figure
from portal.storage import stats
from tests.factories import gen_staff, login, soup

_ids = itertools.count()
ROUTE_CODES = ("emergency", "urgent", "appointment", "econsult", "self_care", "social_domain")


def add_runs(
    db,
    day: str,
    route: str | None,
    n: int,
    *,
    tree: str = "keelpijn",
    practice: str = "de-linde",
    counterfactual: str | None = None,
    abandoned_at: str | None = None,
) -> list[str]:
    """``n`` routing records started on ``day``; ``route=None``: abandoned on page ``abandoned_at``."""
    ids = []
    for _ in range(n):
        run_id = f"g{next(_ids):06d}"
        done = route is not None
        db.table("triage_runs").insert(
            {
                "id": run_id,
                "practice": practice,
                "tree_id": tree,
                "tree_version": 1,
                "prelude_version": 1,
                "locale": "nl",
                "answers": "{}",
                "last_node": "done" if done else abandoned_at,
                "outcome_node": "done" if done else None,
                "route": route,
                "urgency": "U5" if done else None,
                "started_at": f"{day} 10:00",
                "last_active_at": f"{day} 10:05",
                "finished_at": f"{day} 10:05" if done else None,
                "abandoned": 0 if done else 1,
                "questions": 4 if done else None,
                "counterfactual": counterfactual,
            }
        )
        ids.append(run_id)
    return ids


@pytest.fixture
def log(db):
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    return db


@pytest.fixture
def evaluator(client, log):
    login(client, gen_staff(log, role="evaluator", practices=("de-linde", "het-anker")))
    return client


def words(app, msgid: str, **values) -> str:
    """An interface string as the Dutch reader sees it (before and after the catalogue has it)."""
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        from flask_babel import gettext

        return gettext(msgid, **values)


def headline(page, key: str):
    return page.select_one(f"#headline-{key}")


def march(log) -> None:
    """March 2026: 40 finished (20 without a visit), February: 20 finished (5 without a visit)."""
    add_runs(log, "2026-03-03", "self_care", 12, counterfactual="practice")
    add_runs(log, "2026-03-10", "econsult", 6)
    add_runs(log, "2026-03-17", "social_domain", 2, counterfactual="pharmacy")
    add_runs(log, "2026-03-24", "appointment", 20, counterfactual="practice")
    add_runs(log, "2026-02-10", "self_care", 5)
    add_runs(log, "2026-02-11", "appointment", 15)
    log.conn.commit()


# --- pure chart data ---------------------------------------------------------------------------


def test_the_share_lines_are_worked_out_per_bucket_against_the_same_bucket_a_year_earlier():
    now = {
        "2026-03-02": {"keelpijn": {"self_care": 6, "appointment": 4}, "hoesten": {"econsult": 10}},
        "2026-03-09": {"keelpijn": {"appointment": 9}},
    }
    year_before = {"2025-03-03": {"keelpijn": {"self_care": 3, "appointment": 9}}}  # 52 weeks earlier
    firsts = glance.bucket_starts(date(2026, 3, 2), date(2026, 3, 18), "week")
    assert firsts == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    lines = glance.share_lines(
        now,
        year_before,
        firsts,
        grain="week",
        start=date(2026, 3, 2),
        end=date(2026, 3, 18),
        today=date(2026, 11, 22),
        label=lambda day: day.isoformat(),
    )
    without_visit = lines[0]
    assert without_visit.key == "without_visit"
    first, second, third = without_visit.shares
    assert (first.now.part, first.now.whole, first.now.value) == (16, 20, 0.8)
    assert first.year_before.value == pytest.approx(3 / 12)
    assert second.now.value is None and second.now.status == "suppressed"  # 9 finished triages
    assert third.now.status == "no_data" and third.partial  # the period ends on a Wednesday
    econsult = next(line for line in lines if line.key == "econsult")
    assert econsult.shares[0].now.value == pytest.approx(0.5)


def test_complaint_trends_are_each_complaints_share_without_a_visit():
    now = {
        "2026-03-01": {"keelpijn": {"self_care": 10, "appointment": 10}, "hoesten": {"econsult": 3}},
        "2026-04-01": {"keelpijn": {"self_care": 5, "appointment": 15}},
    }
    trends = glance.complaint_trends(now, [date(2026, 3, 1), date(2026, 4, 1)])
    assert [t.tree_id for t in trends] == ["keelpijn", "hoesten"]  # most finished first
    keelpijn, hoesten = trends
    assert [p.value for p in keelpijn.points] == [0.5, 0.25]
    assert keelpijn.overall.value == pytest.approx(15 / 40)
    assert hoesten.overall.value is None and hoesten.points[1].status == "no_data"


def test_the_baseline_is_the_share_of_econsults_among_all_contacts():
    rows = [
        {"consults": 700, "phone_calls": 250, "econsults": 50},
        {"consults": 800, "phone_calls": 150, "econsults": 50},
    ]
    assert glance.baseline_without_visit(rows) == Figure(100, 2000)


def test_a_bucket_a_year_earlier_and_partial_buckets():
    assert glance.a_year_earlier(date(2026, 3, 2), "week") == date(2025, 3, 3)  # a Monday again
    assert glance.a_year_earlier(date(2026, 4, 1), "quarter") == date(2025, 4, 1)
    assert glance.bucket_starts(date(2026, 2, 15), date(2026, 7, 1), "quarter") == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
    ]
    assert glance.is_partial(date(2026, 11, 1), "month", date(2026, 1, 1), date(2026, 12, 31), date(2026, 11, 22))
    assert not glance.is_partial(date(2026, 10, 1), "month", date(2026, 1, 1), date(2026, 12, 31), date(2026, 11, 22))


# --- the page ----------------------------------------------------------------------------------


def test_the_headlines_match_hand_counted_figures_with_their_change_in_words(app, evaluator, log):
    march(log)
    page = soup(evaluator.get("/staff/evaluatie/?praktijk=de-linde&van=2026-03-01&tot=2026-03-31"))
    card = headline(page, "without_visit")
    assert card.select_one(".headline__value").get_text(strip=True) == "50%"  # 20 of 40
    changes = [p.get_text(" ", strip=True) for p in card.select(".headline__change")]
    # February (29 Jan – 28 Feb here): 5 of 20 = 25 %, so 25 points higher, with an arrow and words.
    assert changes[0] == "↑ " + words(
        app,
        "%(points)s percentage points higher than %(against)s (%(earlier)s).",
        points="25",
        against=words(app, "the previous period"),
        earlier="25%",
    )
    assert changes[1] == words(
        app, "Not compared with %(against)s: no data.", against=words(app, "the same period a year earlier")
    )
    avoided = headline(page, "contacts_avoided")
    # 34 answered; 12 would have called and got self-care (20 called but got an appointment).
    assert avoided.select_one(".headline__value").get_text(strip=True) == "35%"
    assert "14" in avoided.select_one(".headline__detail").get_text()  # 12/34 of 40 finished
    assert headline(page, "econsult_on_time").select_one(".headline__value").get_text(strip=True) == words(
        app, "No data yet for this period."
    )
    # Self-help that held: the 12 self-care triages of March, none marked returned; no feedback on any.
    held = headline(page, "selfhelp_held")
    assert held.select_one(".headline__value").get_text(strip=True) == "100%"
    assert held.select_one(".headline__secondary").get_text(" ", strip=True).endswith(words(app, "no data"))


def test_small_numbers_are_hidden_in_every_new_figure_chart_and_table(app, evaluator, log):
    add_runs(log, "2026-03-03", "self_care", 6)
    add_runs(log, "2026-03-04", "appointment", 3)  # 9 finished in that week
    add_runs(log, "2026-03-10", "self_care", 30)
    log.conn.commit()
    page = soup(evaluator.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-15&per=week"))
    assert headline(page, "without_visit").select_one(".headline__value").get_text(strip=True) == "92%"  # 36/39
    chart = page.select_one("#chart-without_visit-title").find_parent("svg")
    assert len(chart.select("circle")) == 1  # the week of 9 is not drawn
    rows = page.select_one("#without-visit-h").find_next("details").select("tbody tr")
    first_week = [td.get_text(strip=True) for td in rows[0].select("td")]
    assert first_week[0] == "<10" and first_week[2] == "<10"  # its share and its number
    counts = page.select_one("#time-h").find_parent("section").select_one("svg.chart")
    assert len(counts.select("rect")) == 1  # the second week's 30; the first week's 6 and 3 are not drawn
    for multiple in page.select(".small-multiple"):
        assert multiple.select("tbody tr")[0].select("td")[0].get_text(strip=True) == "<10"
    small = soup(evaluator.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-08"))
    card = headline(small, "without_visit").get_text(" ", strip=True)
    assert "<10" in card and "%" not in card
    trend = small.select_one("#trends-h").find_parent("section").select_one("tbody tr")
    assert [td.get_text(strip=True) for td in trend.select("td")][:2] == ["<10", "<10"]


def test_no_data_is_said_in_words(app, evaluator, log):
    page = soup(evaluator.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-15"))
    no_data = words(app, "No data yet for this period.")
    for key in ("without_visit", "econsult_on_time", "contacts_avoided", "selfhelp_held"):
        card = headline(page, key)
        assert card.select_one(".headline__value").get_text(strip=True) == no_data
        assert "<10" not in card.get_text()
    glance_section = page.select_one("#glance-h").find_parent("section")
    assert no_data in glance_section.get_text() and glance_section.select_one("svg") is None


def test_a_partial_period_is_marked_not_drawn_as_a_collapse(app, evaluator, log):
    add_runs(log, "2026-03-03", "self_care", 20)
    add_runs(log, "2026-03-10", "self_care", 12)  # 12 of the 20 or so a whole week would have
    log.conn.commit()
    page = soup(evaluator.get("/staff/evaluatie/?van=2026-03-02&tot=2026-03-11"))
    rows = page.select_one("#without-visit-h").find_next("details").select("tbody th")
    partial = words(app, "(partial)")
    assert [th.get_text(" ", strip=True) for th in rows] == ["2 mrt", f"9 mrt {partial}"]
    chart = page.select_one("#chart-without_visit-title").find_parent("svg")
    dots = chart.select("circle")
    assert [dot["fill"] for dot in dots] == ["#0b4f8a", "#ffffff"]  # an open dot for the partial week
    assert dots[0]["cy"] == dots[1]["cy"]  # a share: 100 % both weeks, no drop


def test_the_filters_apply_to_everything_and_are_shown(app, evaluator, log):
    add_runs(log, "2026-03-03", "self_care", 15, tree="keelpijn")
    add_runs(log, "2026-03-03", "appointment", 25, tree="hoesten")
    add_runs(log, "2026-03-03", "appointment", 12, tree="hoesten", practice="het-anker")
    add_runs(log, "2026-03-04", None, 11, tree="hoesten", abandoned_at="start")
    log.conn.commit()
    url = "/staff/evaluatie/?praktijk=de-linde&van=2026-03-01&tot=2026-03-31&per=week&klacht=keelpijn"
    page = soup(evaluator.get(url))
    with app.test_request_context():
        from portal.rulebook import live_trees

        keelpijn, hoesten = (live_trees()[t].title.get("nl") for t in ("keelpijn", "hoesten"))
    summary = page.select_one("#filter-summary").get_text(" ", strip=True)
    assert keelpijn in summary and "De Linde" in summary
    assert page.select_one("#filter-summary a")["href"] == "/staff/evaluatie/"
    assert headline(page, "without_visit").select_one(".headline__value").get_text(strip=True) == "100%"
    for section in ("#trends-h", "#complaints-h"):
        complaints = page.select_one(section).find_parent("section")
        assert hoesten not in complaints.get_text() and keelpijn in complaints.get_text()
    assert page.select_one("#funnel-h").find_parent("section").select("tbody tr") == []
    assert "15" in page.select_one("#totals-h").find_parent("section").select_one("dl").get_text()
    export = page.find("a", string=re.compile("CSV"))["href"]
    assert "klacht=keelpijn" in export and "praktijk=de-linde" in export and "van=2026-03-01" in export
    rows = list(csv.DictReader(io.StringIO(evaluator.get(export).get_data(as_text=True))))
    assert {(r["practice"], r["complaint"], r["n"]) for r in rows} == {("de-linde", "keelpijn", "15")}
    # Both practices, every complaint: the other practice's coughs count too.
    everything = soup(evaluator.get("/staff/evaluatie/?van=2026-03-01&tot=2026-03-31"))
    assert headline(everything, "without_visit").select_one(".headline__value").get_text(strip=True) == "29%"
    assert evaluator.get("/staff/evaluatie/?klacht=bestaat_niet").status_code == 400
    assert evaluator.get("/staff/evaluatie/?per=dag").status_code == 400
    assert evaluator.get("/staff/evaluatie/?praktijk=de-linde&praktijk=elders").status_code == 404


def test_labels_are_human_never_codes_and_week_labels_are_thinned(app, evaluator, log):
    add_runs(log, "2026-03-03", "self_care", 15)
    add_runs(log, "2026-03-04", None, 12, abandoned_at="profile")
    log.conn.commit()
    page = soup(evaluator.get("/staff/evaluatie/?van=2025-12-01&tot=2026-11-22&per=week"))
    visible = page.select_one("main").get_text(" ")
    for code in (*ROUTE_CODES, "keelpijn", "profile", "without_visit"):
        assert not re.search(rf"\b{code}\b", visible), code
    assert words(app, "Who is it for, age and sex") in visible  # the page where they stopped
    chart = page.select_one("#chart-without_visit-title").find_parent("svg")
    axis = chart.select("text.chart__x")
    assert 2 <= len(axis) <= 6  # 52 weeks, at most six labels: they fit on a phone
