"""What makes the dashboard fast at a million records must not change a figure: periods read over
days without triages, totals added up from the complaints, one read for all practices compared,
percentages looked up instead of formatted, one link built for every complaint row, a worker
readied before its first request."""

from __future__ import annotations

import gc
import random
from datetime import date, timedelta

import pytest
from babel.numbers import format_percent
from flask import url_for

from portal.evaluation import report
from portal.evaluation.numbers import percent_in
from portal.storage import glance, stats
from tests.app.evaluation.test_glance import add_runs
from tests.app.evaluation.test_rollups import BOTH, add_run
from tests.factories import gen_staff, login, soup


@pytest.fixture
def log(db):
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    return db


def _random_runs(db, first: date, days: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(days))
        route = rng.choice(["self_care", "econsult", "appointment", None])
        add_run(db, f"{day} 10:00", route=route, urgency="U4", practice=rng.choice(BOTH), abandoned=route is None)
    db.conn.commit()
    stats.refresh(db)


def test_a_period_is_read_over_the_days_without_triages_around_it_and_counts_the_same(log):
    _random_runs(log, date(2026, 1, 5), 240, 200, seed=5)  # 5 January to 1 September 2026
    first, last = stats.log_span(log)
    rng = random.Random(8)
    periods = [(date(2026, 7, 3), last), (first, last), (date(2025, 11, 20), date(2026, 12, 31))]
    periods += [
        (first - timedelta(days=rng.randrange(90)), last + timedelta(days=rng.randrange(90))) for _ in range(20)
    ]
    periods += [
        (first + timedelta(days=rng.randrange(200)), last + timedelta(days=rng.randrange(90))) for _ in range(20)
    ]
    for start, end in periods:
        for table, columns in [("stats_flow", "practice, tree_id, state, route, urgency"), ("stats_measures", "value")]:
            read = stats.sum_counts(log, table, columns, BOTH, start, end, order=f"ORDER BY {columns}")
            added = stats.sum_counts(log, table, columns, BOTH, start, end, order=f"ORDER BY {columns}", months=False)
            assert read == added, (start, end, table)
    # To the last day with triages: the quarter read whole, its first two days taken off (two
    # buckets), where the period alone needs the two months, the days taken off and a day.
    widened = stats.widened_over_empty_days(date(2026, 7, 3), last, (first, last))
    assert [(s.sign, s.grain, s.first.isoformat()) for s in stats.signed_spans(*widened)] == [
        (1, "quarter", "2026-07-01"),
        (-1, "day", "2026-07-01"),
    ]
    assert len(stats.signed_spans(date(2026, 7, 3), last)) > 2
    # A period wholly outside the triages is kept as it is (it holds nothing).
    assert stats.widened_over_empty_days(date(2027, 1, 5), date(2027, 2, 1), (first, last)) == (
        date(2027, 1, 5),
        date(2027, 2, 1),
    )


def test_a_triage_after_the_period_is_never_counted_in_it(log):
    add_run(log, "2026-09-01 10:00", route="self_care")
    add_run(log, "2026-09-10 10:00", route="econsult")
    log.conn.commit()
    stats.refresh(log)
    assert stats.route_counts(log, BOTH, date(2026, 8, 20), date(2026, 9, 1)) == {"self_care": 1}
    assert stats.route_counts(log, BOTH, date(2026, 8, 20), date(2026, 9, 12)) == {"self_care": 1, "econsult": 1}
    weeks = glance.finished_by_bucket(log, BOTH, date(2026, 8, 20), date(2026, 9, 1), "week")
    assert weeks == {"2026-08-31": {"keelpijn": {"self_care": 1}}}
    weeks = glance.finished_by_bucket(log, BOTH, date(2026, 8, 20), date(2026, 9, 12), "week")
    assert weeks == {"2026-08-31": {"keelpijn": {"self_care": 1}}, "2026-09-07": {"keelpijn": {"econsult": 1}}}


def test_a_series_by_week_counts_what_adding_up_its_days_counts(log):
    _random_runs(log, date(2026, 2, 2), 60, 150, seed=9)
    first, last = stats.log_span(log)
    for start, end in [
        (first, last),
        (first + timedelta(days=3), last),
        (first - timedelta(days=10), last + timedelta(days=9)),
    ]:
        series = glance.finished_by_bucket(log, BOTH, start, end, "week")
        by_day: dict[str, dict[str, int]] = {}
        day = start
        while day <= end:
            for route, n in stats.route_counts(log, BOTH, day, day).items():
                week = stats.bucket_first_day("week", day).isoformat()
                by_day.setdefault(week, {})[route] = by_day.get(week, {}).get(route, 0) + n
            day += timedelta(days=1)
        assert {week: trees["keelpijn"] for week, trees in series.items()} == by_day, (start, end)


def test_the_totals_added_up_from_the_complaints_are_the_totals_counted(log):
    add_runs(log, "2026-03-03", "self_care", 12, tree="keelpijn")
    add_runs(log, "2026-03-04", "appointment", 14, tree="hoesten", practice="het-anker")
    add_runs(log, "2026-03-05", None, 11, tree="hoesten", abandoned_at="start")
    add_runs(log, "2026-02-10", "econsult", 10, tree="keelpijn")
    add_run(log, "2026-03-06 09:00", route=None)  # still open: started, neither finished nor stopped
    log.conn.commit()
    stats.refresh(log)
    period = report.Period(date(2026, 3, 1), date(2026, 3, 31))
    trees = glance.per_tree(log, BOTH, period.start, period.end)
    added_up = report.overview(log, BOTH, period, None, trees)
    assert added_up == report.overview(log, BOTH, period)
    assert (added_up["started"], added_up["finished"], added_up["abandoned"]) == (38, 26, 11)
    assert report.baseline_comparison(log, BOTH, period, added_up["routes"]) == report.baseline_comparison(
        log, BOTH, period
    )
    compared = report.practice_comparison(log, BOTH, period)
    assert [(row["practice"], row["finished"]) for row in compared] == [("de-linde", 12), ("het-anker", 14)]
    for row in compared:
        assert row["mix"] == report.stats.route_mix(
            glance.route_counts(log, [row["practice"]], period.start, period.end)
        )


def test_percentages_are_looked_up_as_babel_writes_them():
    shares = [part / whole for whole in range(1, 250) for part in range(whole + 1)]
    shares += [0.125, 0.005, 0.015, 0.845, 0.995, 1 / 3, 2 / 3, 0.0, 1.0, 1]
    for locale in ("nl", "en"):
        for share in shares:
            assert percent_in(locale, share) == format_percent(share, locale=locale), (locale, share)


def test_every_complaint_link_is_the_url_url_for_builds(app, client, log):
    login(client, gen_staff(log, role="evaluator", practices=("de-linde", "het-anker")))
    add_runs(log, "2026-03-03", "self_care", 12, tree="keelpijn")
    add_runs(log, "2026-03-04", "appointment", 14, tree="hoesten", practice="het-anker")
    log.conn.commit()
    url = "/staff/evaluatie/?praktijk=de-linde&praktijk=het-anker&van=2026-03-01&tot=2026-03-31&per=week"
    page = soup(client.get(url))
    links = page.select_one("#trends-h").find_parent("section").select("tbody th a")
    assert len(links) == 2
    with app.test_request_context():
        for link in links:
            tree = link["href"].rsplit("klacht=", 1)[1]
            expected = url_for(
                "evaluation.dashboard",
                praktijk=["de-linde", "het-anker"],
                van="2026-03-01",
                tot="2026-03-31",
                per="week",
                klacht=tree,
            )
            assert link["href"] == expected


def test_a_served_worker_has_its_templates_compiled_and_its_objects_frozen(app):
    from portal.warm import warm_up

    try:
        warm_up(app)
        compiled = {name for _loader, name in app.jinja_env.cache}  # LRUCache: its keys
        assert {"evaluation/dashboard.html", "evaluation/_macros.html", "base.html"} <= compiled
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the test session collects as before


def test_a_worker_loads_the_templates_its_serving_process_compiled(app_config, monkeypatch):
    """`voordeur serve` compiles every template once before its workers fork (``portal.warm``):
    a worker's own app then compiles none of them and still serves its pages."""
    from portal import create_app
    from portal.warm import COMPILED, compile_templates, warm_up

    COMPILED.clear()
    try:
        master = create_app(app_config)
        master.jinja_env.bytecode_cache = None  # as served (the tests' own cache left out)
        compile_templates(master)
        worker = create_app(app_config)
        worker.jinja_env.bytecode_cache = None
        compiled: list[str] = []
        real_compile = worker.jinja_env.compile

        def counted(source, name=None, filename=None, *args, **kwargs):
            compiled.append(name)
            return real_compile(source, name, filename, *args, **kwargs)

        monkeypatch.setattr(worker.jinja_env, "compile", counted)
        try:
            warm_up(worker)
        finally:
            gc.unfreeze()
        assert worker.jinja_env.bytecode_cache is COMPILED
        assert compiled == []
        assert {"base.html", "evaluation/dashboard.html"} <= {name for _loader, name in worker.jinja_env.cache}
        response = worker.test_client().get("/de-linde/")
        assert response.status_code == 200 and "<html" in response.get_data(as_text=True)
    finally:
        COMPILED.clear()


def test_compiled_templates_render_as_compiled_and_a_changed_template_is_compiled_again():
    from jinja2 import DictLoader, Environment

    from portal.warm import CompiledTemplates

    cache = CompiledTemplates()
    compiled: list[str] = []

    def environment(source: str) -> Environment:
        env = Environment(loader=DictLoader({"groet.txt": source}), bytecode_cache=cache)
        real_compile = env.compile

        def counted(source, name=None, filename=None, *args, **kwargs):
            compiled.append(name)
            return real_compile(source, name, filename, *args, **kwargs)

        env.compile = counted  # type: ignore[method-assign]
        return env

    first = environment("Hallo {{ naam }}{% if pijn %}, het doet pijn{% endif %}.")
    assert first.get_template("groet.txt").render(naam="Anna", pijn=True) == "Hallo Anna, het doet pijn."
    assert compiled == ["groet.txt"]
    again = environment("Hallo {{ naam }}{% if pijn %}, het doet pijn{% endif %}.")  # a fresh worker
    assert again.get_template("groet.txt").render(naam="Anna", pijn=True) == "Hallo Anna, het doet pijn."
    assert again.get_template("groet.txt").render(naam="Bram", pijn=False) == "Hallo Bram."
    assert compiled == ["groet.txt"]  # loaded, not compiled
    changed = environment("Dag {{ naam }}.")  # the template changed on disk since
    assert changed.get_template("groet.txt").render(naam="Anna") == "Dag Anna."
    assert compiled == ["groet.txt", "groet.txt"]
