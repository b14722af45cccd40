"""The checklist page as a patient meets it: boxes, "none of these", errors that keep the ticks, no JavaScript.

Runs on the small tree of tests/unit/test_safe_by_construction.py, added to a private copy of the
triage files, so it does not move with the demo trees.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from portal.storage.routing import get_run
from tests.factories import Patient
from tests.unit.test_safe_by_construction import TREE

ADULT = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}


@pytest.fixture(autouse=True)
def practice_open(monkeypatch):
    """A Monday morning: the urgent outcomes say "call the practice" only while it is open (after
    17:00 or at the weekend they name the huisartsenpost), and these tests are about the checklist."""
    monkeypatch.setattr("portal.clock.now", lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def rules_dir(rules_dir):
    (rules_dir / "proefklacht.yaml").write_text(TREE, "utf-8")
    return rules_dir


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _to_danger_screen(client) -> Patient:
    patient = Patient(client)
    client.get("/de-linde/?lang=en")
    patient.start("proefklacht", danger=None)
    assert patient.url.endswith("/general_danger")
    return patient


def test_the_danger_screen_is_a_fieldset_of_checkboxes_with_none_set_apart(client):
    patient = _to_danger_screen(client)
    page = soup(patient.page())
    fieldset = page.select_one("form fieldset")
    assert fieldset.select_one("legend h1").get_text(strip=True) == "Does the person have one or more of these now?"
    boxes = fieldset.select('input[type="checkbox"][name="general_danger"]')
    assert [b["value"] for b in boxes][-2:] == ["dont_know", "none"]
    assert boxes[-1].find_parent("div").find_previous_sibling("p").get_text(strip=True) == "or"
    assert not page.select('input[type="radio"][name="general_danger"]')


def test_ticking_nothing_shows_an_error_and_asks_again(client):
    patient = _to_danger_screen(client)
    response = patient.answer()
    assert response.status_code == 422
    page = soup(response)
    assert "Tick every box that applies" in page.select_one(".error-summary").get_text()
    assert page.select_one(".error-summary a")["href"] == "#general_danger-0"
    assert page.select_one("#general_danger-0") is not None


def test_none_with_another_box_is_refused_and_the_ticks_stay(client):
    patient = _to_danger_screen(client)
    response = client.post(patient.url, data={"general_danger": ["fainted", "none"]})
    assert response.status_code == 422
    page = soup(response)
    assert "Untick one of them" in page.select_one(".error-summary").get_text()
    checked = {b["value"] for b in page.select('input[name="general_danger"][checked]')}
    assert checked == {"fainted", "none"}


def test_several_ticks_go_where_the_most_urgent_leads_and_are_stored_as_a_list(client, db):
    patient = _to_danger_screen(client)
    response = client.post(patient.url, data={"general_danger": ["severe_pain", "pale_clammy"]})
    assert response.headers["Location"].endswith("/uitkomst")
    run = get_run(db, patient.run_id)
    assert run.answers["general_danger"] == ["pale_clammy", "severe_pain"]
    assert (run.route, run.urgency) == ("emergency", "U1")
    stored = next(iter(db.query("SELECT answers FROM triage_runs WHERE id = ?", [patient.run_id])))["answers"]
    assert json.loads(stored)["general_danger"] == ["pale_clammy", "severe_pain"]


def test_an_old_run_with_a_single_risk_value_still_opens(client, db):
    """Runs stored before risk_group was a checklist hold one string: they are walked, not refused."""
    patient = _to_danger_screen(client)
    patient.answer(general_danger="none")
    patient.answer(**ADULT)
    patient.answer(alarm_signs="none")
    patient.answer(duration="over_3_days")
    answers = {
        "emergency_screen": "none",
        "general_danger": "none",
        **ADULT,
        "alarm_signs": "none",
        "duration": "over_3_days",
        "risk_group": "chronic_disease",
        "second_contact": "no",
    }
    db.execute("UPDATE triage_runs SET answers = ? WHERE id = ?", [json.dumps(answers), patient.run_id])
    page = client.get(patient.url.rsplit("/", 1)[0] + "/uitkomst")
    assert page.status_code == 200
    assert "Call today" in soup(page).select_one("h1").get_text()


def _to_risk_page(client) -> Patient:
    patient = _to_danger_screen(client)
    patient.answer(general_danger="none")
    patient.answer(**ADULT)
    patient.answer(alarm_signs="none")
    patient.answer(duration="over_3_days")
    assert patient.url.endswith("/risk")
    return patient


def test_a_ticked_risk_is_named_on_the_outcome_page(client):
    patient = _to_risk_page(client)
    page = soup(patient.page())
    assert page.select('input[type="checkbox"][name="risk_group"]')
    assert page.select('input[type="radio"][name="second_contact"]')
    response = patient.answer(risk_group=["diabetes"], second_contact="no")
    assert response.headers["Location"].endswith("/uitkomst")
    text = soup(patient.page()).get_text(" ", strip=True)
    assert "more urgent because of: diabetes" in text


def test_dont_know_raises_but_is_never_called_a_risk(client):
    patient = _to_risk_page(client)
    patient.answer(risk_group=["dont_know"], second_contact="no")
    text = soup(patient.page()).get_text(" ", strip=True)
    assert "Call today" in text  # raised, to be safe
    assert "Not everything we asked was known" in text
    assert "because of" not in text and "higher risk" not in text


def test_the_checklist_works_without_javascript_and_with_htmx(client):
    patient = _to_danger_screen(client)
    patient.htmx = True
    response = patient.answer(general_danger=["came_and_went"])
    assert response.status_code == 200
    assert "Call the practice now" in soup(response).get_text()


def test_the_editors_simulator_ticks_several_boxes_and_finds_the_covering_case(client, db):
    from tests.factories import gen_staff, login

    login(client, gen_staff(db, role="editor"))
    base = "/staff/editor/trees/proefklacht/simulate?who_for=self&age_band=adult_18_64&sex=female"
    page = soup(client.get(base + "&a_emergency_screen=none&a_general_danger=none"))
    assert page.select('input[type="checkbox"][name="a_alarm_signs"]')
    ticked = "&a_alarm_signs=purple_spots&a_alarm_signs=stiff_neck"
    page = soup(client.get(base + "&a_emergency_screen=none&a_general_danger=none" + ticked))
    shown = page.get_text(" ", strip=True)
    assert page.select_one("#outcome-h").get_text(" ", strip=True).endswith(("Bel nu", "Call now"))  # words, not ids
    assert "A stiff neck with purple spots calls now (the first ticked item decides)" in shown
    kept = {i["value"] for i in page.select('input[type="hidden"][name="a_alarm_signs"]')}
    assert kept == {"purple_spots", "stiff_neck"}
