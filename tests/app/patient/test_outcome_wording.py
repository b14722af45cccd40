"""What the outcome page and the profile screen say: urgency, the clock, and who it is about.

The rules live in portal/patient/next_steps.py (tested in tests/unit/test_next_steps.py);
these tests check what a patient actually reads on the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from tests.conftest import RULES
from tests.factories import Patient, soup, text

MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # De Linde is open 08:00–17:00
SUNDAY_MORNING = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WEEKDAY_NIGHT = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # a Tuesday, 23:30 in the Netherlands


def case_answers(tree: str, route: str, urgency: str) -> dict:
    """The profile and answers of the tree's own first case for this route and urgency.

    Taken from the tree's cases (kept current by whoever edits the tree), so these
    wording tests follow the tree's questions as they change.
    """
    data = yaml.safe_load((RULES / f"{tree}.yaml").read_text("utf-8"))
    case = next(
        c
        for c in data["cases"]
        if c["expect"]["route"] == route and c["expect"]["urgency"] == urgency and "emergency_screen" in c["answers"]
    )
    return {**case["profile"], **case["answers"]}


#: keelpijn: "Bel nu de praktijk" (urgent, U2)
CALL_NOW = case_answers("keelpijn", "urgent", "U2")
#: keelpijn: "Maak een afspraak voor vandaag" (appointment today, U3)
APPOINTMENT_TODAY = case_answers("keelpijn", "appointment", "U3")


def walk(patient: Patient, tree: str, chosen: dict[str, str]) -> None:
    """Answer page after page until the outcome: the chosen answers, otherwise "none" or "no".

    Walking by the form on each page (not a fixed list of pages) keeps these tests about
    wording, whatever screens the prelude adds before or after the complaint's questions.
    """
    patient.start(tree, emergency=chosen.get("emergency_screen", "none"))
    for _ in range(15):
        if patient.url.endswith("/uitkomst"):
            return
        page = soup(patient.page())
        inputs = page.select("form.question-form input.choice__input")
        data: dict = {}
        for name in dict.fromkeys(i["name"] for i in inputs):
            offered = [i["value"] for i in inputs if i["name"] == name]
            data[name] = chosen.get(name) or next(v for v in ("none", "no") if v in offered)
            if patient.url.endswith("/profile") and name not in chosen:
                data[name] = offered[0]
        patient.answer(**data)
    raise AssertionError(f"no outcome reached: {patient.url}")


def heading(response) -> str:
    return " ".join(soup(response).select_one(".care-card h1").get_text(" ").split())


@pytest.fixture
def english(client):
    client.get("/de-linde/?lang=en")
    return client


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr("portal.clock.now", lambda: moment)


# --- the heading: urgency and the clock ----------------------------------------------------


def test_an_appointment_for_today_is_headed_urgent_not_niet_dringend(client, monkeypatch):
    at(monkeypatch, MONDAY_MORNING)
    patient = Patient(client)
    walk(patient, "keelpijn", APPOINTMENT_TODAY)
    page = patient.page()
    assert heading(page) == "Dringend: Maak een afspraak voor vandaag"
    assert "Niet dringend" not in text(page)
    assert soup(page).select_one(".care-card.care-card--same-day") is not None


@pytest.mark.parametrize("moment", [SUNDAY_MORNING, WEEKDAY_NIGHT])
def test_out_of_hours_the_heading_of_a_same_day_outcome_names_the_huisartsenpost(english, monkeypatch, moment):
    at(monkeypatch, moment)
    patient = Patient(english)
    walk(patient, "keelpijn", APPOINTMENT_TODAY)
    page = patient.page()
    assert heading(page) == (
        "Urgent: The practice is closed. If it cannot wait until the practice opens, call the out-of-hours GP service"
    )
    assert "Huisartsenpost Zuiderdam" in text(page) and "012 345 6799" in text(page)
    assert soup(page).title.get_text().startswith("The practice is closed.")


def test_out_of_hours_call_now_is_headed_call_the_huisartsenpost_not_the_practice(english, monkeypatch):
    at(monkeypatch, WEEKDAY_NIGHT)
    patient = Patient(english)
    walk(patient, "keelpijn", CALL_NOW)
    assert heading(patient.page()) == "Urgent: Call the out-of-hours GP service now"


def test_while_open_call_now_keeps_the_trees_title(client, monkeypatch):
    at(monkeypatch, MONDAY_MORNING)
    patient = Patient(client)
    walk(patient, "keelpijn", CALL_NOW)
    assert heading(patient.page()) == "Dringend: Bel nu de praktijk"


# --- no survey on a 112 or call-now page ---------------------------------------------------


def test_a_call_now_page_asks_no_counterfactual_survey(client, monkeypatch):
    at(monkeypatch, MONDAY_MORNING)
    patient = Patient(client)
    walk(patient, "keelpijn", CALL_NOW)
    page = patient.page()
    assert soup(page).select_one("#alternatief") is None
    assert "Wat had u gedaan" not in text(page)


def test_a_112_page_asks_no_counterfactual_survey(client):
    patient = Patient(client)
    patient.start("keelpijn", emergency="not_breathing")
    page = patient.page()
    assert heading(page) == "Spoed: Bel nu 112"
    assert soup(page).select_one("#alternatief") is None


@pytest.mark.parametrize(("path", "status"), [(CALL_NOW, 400), (APPOINTMENT_TODAY, 303)])
def test_a_survey_answer_is_stored_only_where_the_survey_is_asked(client, db, path, status):
    patient = Patient(client)
    walk(patient, "keelpijn", path)
    response = client.post(patient.url + "/alternatief", data={"alternatief": "huisartsenpost"})
    assert response.status_code == status
    stored = next(iter(db.query("SELECT counterfactual FROM triage_runs")))["counterfactual"]
    assert stored == (None if status == 400 else "huisartsenpost")


def test_an_appointment_page_still_asks_the_survey(client, monkeypatch):
    at(monkeypatch, MONDAY_MORNING)
    patient = Patient(client)
    walk(patient, "keelpijn", APPOINTMENT_TODAY)
    assert "Wat had u gedaan als deze website er niet was?" in text(patient.page())


# --- the profile screen -------------------------------------------------------------------


def profile_choices(page, name: str) -> list[str]:
    """The labels of one question's answers on the profile page, in order."""
    return [
        page.select_one(f'label[for="{radio["id"]}"]').get_text(strip=True)
        for radio in page.select(f'input.choice__input[name="{name}"]')
    ]


def profile_page(client):
    """The profile page, however many screens come before it."""
    patient = Patient(client)
    patient.start("keelpijn")
    for _ in range(3):
        page = soup(patient.page())
        if page.select_one('input[name="age_band"]') is not None:
            return page
        patient.answer(general_danger="none")
    raise AssertionError("no profile page")


def test_the_age_bands_name_both_ends_and_do_not_overlap(client):
    assert profile_choices(profile_page(client), "age_band") == [
        "Jonger dan 3 maanden",
        "3 t/m 11 maanden",
        "1 t/m 3 jaar",
        "4 t/m 11 jaar",
        "12 t/m 17 jaar",
        "18 t/m 64 jaar",
        "65 jaar of ouder",
    ]


def test_a_parent_filling_in_for_a_child_can_choose_girl_or_boy(client):
    page = profile_page(client)
    assert profile_choices(page, "who_for")[1] == "Voor mijn kind"
    assert profile_choices(page, "sex")[:2] == ["Vrouw of meisje", "Man of jongen"]
    assert "meisje of een jongen" in page.get_text()


def test_the_profile_tells_someone_filling_in_for_themself_to_choose_their_own_age(client):
    assert "Vult u dit in voor uzelf? Kies dan uw eigen leeftijd." in profile_page(client).get_text()
