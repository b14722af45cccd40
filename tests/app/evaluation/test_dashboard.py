"""The evaluation dashboard: who may see it, and whether its numbers are right and anonymous."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from portal.storage import stats
from portal.storage.routing import get_run
from tests.factories import app_on_a_copy, gen_staff, login, made_whole, private_copy, self_care_run, soup, text

PERSONAL = {"name", "birth_date", "phone", "email", "message", "contact_name", "id", "run_id", "answers", "ip"}


@pytest.fixture(scope="module")
def synthetic_database(tmp_path_factory, demo_database: Path, shared_content) -> Path:
    """The demo database after `voordeur demo --sessions 3000 --seed 11`, run once for this module
    (by the command, on an app of its own with the tests' settings); each test gets a copy."""
    app, path = app_on_a_copy(tmp_path_factory.mktemp("synthetic"), demo_database, shared_content)
    result = app.test_cli_runner().invoke(args=["demo", "--sessions", "3000", "--seed", "11"])
    assert result.exit_code == 0, result.output
    return made_whole(path)


@pytest.fixture
def db_path(request: pytest.FixtureRequest, tmp_path: Path, demo_database: Path) -> Path:
    """A private copy of the demo database; for a test that uses ``synthetic``, of ``synthetic_database``."""
    source = request.getfixturevalue("synthetic_database") if "synthetic" in request.fixturenames else demo_database
    return private_copy(source, tmp_path)


@pytest.fixture
def synthetic(db):
    """The test's database with the 3000 synthetic triages (seed 11) of `voordeur demo --sessions`."""
    return db


@pytest.fixture
def evaluator(client, db):
    login(client, gen_staff(db, role="evaluator", practices=("de-linde", "het-anker")))
    return client


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 303), ("assistant", 403), ("editor", 403), ("evaluator", 200), ("admin", 200)]
)
def test_only_evaluators_and_admins_see_the_dashboard(client, db, role, expected):
    if role:
        login(client, gen_staff(db, role=role))
    for url in (
        "/staff/evaluatie/",
        "/staff/evaluatie/export.csv",
        "/staff/evaluatie/jaarverslag",
        "/staff/evaluatie/nulmeting",
    ):
        assert client.get(url).status_code == expected, url


def test_an_evaluator_sees_only_their_own_practices(client, db):
    login(client, gen_staff(db, role="evaluator", practices=("de-linde",)))
    assert client.get("/staff/evaluatie/?praktijk=het-anker").status_code == 404
    assert client.get("/staff/evaluatie/?praktijk=de-linde").status_code == 200


def test_the_rollups_count_exactly_what_the_routing_log_holds(synthetic):
    db = synthetic
    start, end = date(2000, 1, 1), date(2100, 1, 1)
    raw = {
        r["route"]: r["n"]
        for r in db.query("SELECT route, count(*) AS n FROM triage_runs WHERE finished_at IS NOT NULL GROUP BY route")
    }
    assert stats.route_counts(db, ["de-linde", "het-anker"], start, end) == raw
    states = stats.state_counts(db, ["de-linde", "het-anker"], start, end)
    assert sum(states.values()) == 3000 and 200 < states["abandoned"] < 500
    disposed = next(iter(db.query("SELECT count(*) AS n FROM triage_runs WHERE final_route IS NOT NULL")))["n"]
    assert sum(r["n"] for r in stats.dispositions(db, ["de-linde", "het-anker"], start, end)) == disposed


def test_the_dashboard_shows_flow_dropout_and_disagreement(evaluator, synthetic):
    page = soup(evaluator.get("/staff/evaluatie/?van=2025-11-01&tot=2026-11-22"))
    assert page.select_one("svg.chart") is not None
    headings = [h.get_text() for h in page.select("h2")]
    for heading in (
        "Per klacht",
        "Waar patiënten stoppen",
        "Triage tegenover het besluit van de assistent",
        "Praktijken vergeleken",
    ):
        assert heading in headings
    body = text(evaluator.get("/staff/evaluatie/?van=2025-11-01&tot=2026-11-22"))
    assert "te laag ingeschat" in body
    assert "Hoesten" in body and "beet_steek" not in body  # complaints by their title, not the tree id
    assert "Rijen: urgentie volgens de triage" in body  # the urgency matrix
    assert "Tweede contact voor hetzelfde probleem, per klacht en route" in body


def test_a_small_practice_period_is_suppressed(evaluator, synthetic):
    page = text(evaluator.get("/staff/evaluatie/?praktijk=het-anker&van=2026-11-22&tot=2026-11-22"))
    assert "<10" in page


def _export(client, fmt: str) -> list[dict]:
    response = client.get(f"/staff/evaluatie/export.{fmt}?van=2025-11-01&tot=2026-11-22")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    if fmt == "json":
        return json.loads(response.data)["rows"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_hold_no_personal_data_and_no_small_cells(evaluator, synthetic, fmt):
    rows = _export(evaluator, fmt)
    assert rows
    assert not set(rows[0]) & PERSONAL
    for row in rows:
        suppressed = row["suppressed"] in (True, "True")
        assert (row["n"] in (None, "")) == suppressed
        if not suppressed:
            assert int(row["n"]) >= 10
    assert any(r["suppressed"] in (True, "True") for r in rows)  # the data set has small cells to hide


def test_baseline_figures_are_entered_and_imported(evaluator, db):
    response = evaluator.post(
        "/staff/evaluatie/nulmeting",
        data={"practice": "de-linde", "month": "2025-10", "consults": "812", "phone_calls": "1430"},
    )
    assert response.status_code == 303
    upload = io.BytesIO(b"practice,month,consults,phone_calls,econsults\nde-linde,2025-09,790,1390,40\n")
    evaluator.post(
        "/staff/evaluatie/nulmeting", data={"file": (upload, "nulmeting.csv")}, content_type="multipart/form-data"
    )
    assert [(r["month"], r["consults"]) for r in stats.baseline(db, ["de-linde"])] == [
        ("2025-09", 790),
        ("2025-10", 812),
    ]
    bad = evaluator.post(
        "/staff/evaluatie/nulmeting",
        data={"practice": "de-linde", "month": "oktober", "consults": "x", "phone_calls": "1"},
    )
    assert bad.status_code == 422 and "Rij 1" in text(bad)
    assert "Vergeleken met de nulmeting" in text(evaluator.get("/staff/evaluatie/?praktijk=de-linde"))


def test_the_yearly_report_is_printable(evaluator, synthetic):
    page = soup(evaluator.get("/staff/evaluatie/jaarverslag?jaar=2026"))
    assert page.h1.get_text().startswith("Jaarverslag 2026")
    assert "Meer Tijd voor de Patiënt" in page.get_text()


def test_the_counterfactual_question_is_asked_once_and_stored_anonymously(client, db):
    patient = self_care_run(client)
    page = soup(patient.page())
    assert page.find(id="alternatief-h").get_text() == "Wat had u gedaan als deze website er niet was?"
    url = patient.url + "/alternatief"
    assert client.post(url, data={"alternatief": "practice"}).status_code == 303
    assert client.post(url, data={"alternatief": "nothing"}).status_code == 303
    assert client.post(url, data={"alternatief": "ik heet Anna"}).status_code == 400
    run = get_run(db, patient.run_id)
    # every question answered after choosing the complaint: screen 1 + profile 3 + tree 4 + risk 2
    assert run.counterfactual == "practice" and run.questions == 10
    assert "Bedankt voor uw antwoord" in text(patient.page())
