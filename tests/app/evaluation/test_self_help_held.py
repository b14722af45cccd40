"""Self-help that held, against numbers worked out by hand: the 14-day window, the returned flag,
small numbers hidden, "not yet countable" on the dashboard, and self-help that helped beside it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from portal.evaluation import glance
from portal.evaluation.headlines import Status
from portal.storage import stats
from portal.storage.routing import countable_until, mark_returned
from portal.storage.validation import create_round
from tests.factories import gen_staff, login, soup

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # so 8 November is the last countable start day
_ids = itertools.count()
HELP = (
    "Self-care triages after which the same browser did not come back within 14 days. Calls and other devices "
    "are not seen, so this is an upper bound."
)


def add_runs(db, day: str, route: str, n: int, *, tree: str = "keelpijn", returned: int = 0, **extra) -> list[str]:
    """``n`` finished routing records started on ``day``; the first ``returned`` marked as the portal marks them."""
    ids = []
    for _ in range(n):
        run_id = f"h{next(_ids):06d}"
        db.table("triage_runs").insert(
            {
                "id": run_id,
                "practice": "de-linde",
                "tree_id": tree,
                "tree_version": 1,
                "prelude_version": 1,
                "locale": "nl",
                "answers": "{}",
                "last_node": "done",
                "outcome_node": "done",
                "route": route,
                "urgency": "U5",
                "started_at": f"{day} 10:00",
                "last_active_at": f"{day} 10:05",
                "finished_at": f"{day} 10:05",
                "abandoned": 0,
                "questions": 4,
                **extra,
            }
        )
        ids.append(run_id)
    db.conn.commit()
    came_back = datetime.fromisoformat(f"{day}T18:00+00:00")  # the same day, another triage or a request
    assert mark_returned(db, ids[:returned], came_back) == (returned if route == "self_care" else 0)
    return ids


@pytest.fixture
def log(db):
    db.execute("DELETE FROM triage_runs")
    stats.refresh(db)
    return db


def held(db, start: str, end: str, tree: str | None = None):
    stats.refresh(db)
    return glance.selfhelp_held(db, ["de-linde"], date.fromisoformat(start), date.fromisoformat(end), tree, NOW)


def test_the_window_is_14_utc_days_from_the_start_day():
    assert countable_until(NOW) == "2026-11-08"
    assert countable_until(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == "2026-11-08"


def test_held_counts_self_care_triages_at_least_14_days_old_that_were_not_marked_returned(log):
    add_runs(log, "2026-11-02", "self_care", 12, returned=3)
    add_runs(log, "2026-11-08", "self_care", 2, returned=1)  # 14 days ago today: countable
    add_runs(log, "2026-11-09", "self_care", 5, returned=2)  # 13 days ago: not yet
    add_runs(log, "2026-11-02", "econsult", 4, returned=4)  # not self-care: never marked, never counted
    add_runs(log, "2026-11-03", "self_care", 6, tree="hoesten", returned=1)
    # 1–22 November: counted up to the 8th. Self-care 12 + 2 + 6 = 20, returned 3 + 1 + 1 = 5.
    figure = held(log, "2026-11-01", "2026-11-22")
    assert (figure.part, figure.whole, figure.value) == (15, 20, 0.75)
    # One complaint: 12 + 2 sore throats, 3 + 1 returned.
    sore_throat = held(log, "2026-11-01", "2026-11-22", "keelpijn")
    assert (sore_throat.part, sore_throat.whole) == (10, 14)
    # Only the last 14 days: nothing countable yet, which is not the same as no data.
    assert held(log, "2026-11-09", "2026-11-22").status is Status.NOT_YET
    assert held(log, "2026-10-01", "2026-10-31").status is Status.NO_DATA
    # The 8th alone: 2 triages, below the threshold: hidden.
    small = held(log, "2026-11-08", "2026-11-22")
    assert (small.part, small.whole, small.status, small.value) == (1, 2, Status.SUPPRESSED, None)


def test_a_triage_old_enough_to_be_counted_is_never_marked_again(log):
    (old,) = add_runs(log, "2026-11-08", "self_care", 1)
    (young,) = add_runs(log, "2026-11-09", "self_care", 1)
    assert mark_returned(log, [old, young], NOW) == 1
    flags = dict(log.execute("SELECT id, returned FROM triage_runs").fetchall())
    assert flags == {old: 0, young: 1}


def test_a_validation_round_run_is_never_marked(log):
    found = create_round(log, practice="de-linde", label="ronde", now=NOW, days=30)
    (reader,) = add_runs(log, "2026-11-20", "self_care", 1, validation_round=found.id)
    assert mark_returned(log, [reader], NOW) == 0


# --- the dashboard -----------------------------------------------------------------------------


@pytest.fixture
def evaluator(client, log, monkeypatch):
    monkeypatch.setattr("portal.clock.now", lambda: NOW)
    login(client, gen_staff(log, role="evaluator", practices=("de-linde",)))
    return client


def words(app, msgid: str, **values) -> str:
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        from flask_babel import gettext

        return gettext(msgid, **values)


def dutch_date(app, day: date) -> str:
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        from flask_babel import format_date

        return format_date(day, "d MMM yyyy")


def card(client, query: str):
    page = soup(client.get(f"/staff/evaluatie/?praktijk=de-linde&{query}"))
    return page.select_one("#headline-selfhelp_held")


def test_the_headline_shows_held_with_its_change_and_says_what_is_not_yet_countable(app, evaluator, log):
    add_runs(log, "2026-11-02", "self_care", 12, returned=3)  # 9 of 12 held: 75 %
    add_runs(log, "2026-11-10", "self_care", 5, returned=5)  # too young: not in the figure
    add_runs(log, "2026-10-15", "self_care", 20, returned=2)  # the previous period: 18 of 20, 90 %
    found = card(evaluator, "van=2026-11-01&tot=2026-11-22")
    assert found.select_one(".headline__title").get_text(strip=True) == words(app, "Self-help that held")
    assert found.select_one(".headline__value").get_text(strip=True) == "75%"
    changes = [p.get_text(" ", strip=True) for p in found.select(".headline__change")]
    assert changes[0] == "↓ " + words(
        app,
        "%(points)s percentage points lower than %(against)s (%(earlier)s).",
        points="15",
        against=words(app, "the previous period"),
        earlier="90%",
    )
    details = found.get_text(" ", strip=True)
    counted = words(
        app,
        "Counted up to %(date)s: self-care triages of the last 14 days are not yet countable.",
        date=dutch_date(app, date(2026, 11, 8)),
    )
    assert counted in details
    assert found.select_one(".headline__help").get_text(" ", strip=True) == words(app, HELP)


def test_a_period_of_the_last_14_days_is_not_yet_countable(app, evaluator, log):
    add_runs(log, "2026-11-10", "self_care", 30, returned=3)
    found = card(evaluator, "van=2026-11-09&tot=2026-11-22")
    assert found.select_one(".headline__value").get_text(strip=True) == words(app, "Not yet countable")
    assert not found.select(".headline__change")
    assert words(app, "A self-care triage counts once it is 14 days old; this period has none that old yet.") in (
        found.get_text(" ", strip=True)
    )


def test_small_numbers_are_hidden_and_helped_is_shown_beside_it(app, evaluator, log):
    add_runs(log, "2026-11-02", "self_care", 9, returned=0)  # 9 of 9 held: a share over fewer than 10
    found = card(evaluator, "van=2026-11-01&tot=2026-11-22")
    value = found.select_one(".headline__value").get_text(strip=True)
    assert value == "<10" and "%" not in value
    secondary = found.select_one(".headline__secondary").get_text(" ", strip=True)
    assert secondary.startswith(words(app, "Self-help that helped, in patients' words: %(share)s", share="").strip())
    assert secondary.endswith(words(app, "no data"))  # no feedback answered


def test_the_yearly_report_shows_self_help_that_held_and_what_is_not_yet_countable(app, evaluator, log):
    add_runs(log, "2026-03-02", "self_care", 12, returned=3)  # 9 of 12 held: 75 %
    rows = {
        row.th.get_text(strip=True): row.td.get_text(strip=True)
        for row in soup(evaluator.get("/staff/evaluatie/jaarverslag?jaar=2026")).select("tr")
        if row.th and row.td
    }
    assert rows[words(app, "Self-help that held")] == "75%"
    future = soup(evaluator.get("/staff/evaluatie/jaarverslag?jaar=2027"))  # nothing in it is 14 days old yet
    assert words(app, "Not yet countable") in future.get_text(" ", strip=True)
