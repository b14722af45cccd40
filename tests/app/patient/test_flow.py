"""The patient's journey through the Flask test client, with and without htmx."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from portal.storage.routing import get_run
from tests.factories import ADULT_MAN, ADULT_WOMAN, NO_RISK, Patient, soup, text


def test_the_start_page_shows_the_practice_and_common_complaints(client):
    page = soup(client.get("/de-linde/"))
    assert page.h1.get_text() == "Waar gaat uw vraag over?"
    tiles = [a.get_text() for a in page.select(".tiles .tile")]
    assert tiles[:2] == ["Keelpijn", "Hoesten"] and len(tiles) == 8  # the most common first, one phone screen
    assert "012 345 6799" in page.get_text()  # the huisartsenpost number


def test_an_unknown_practice_is_404(client):
    assert client.get("/nergens/").status_code == 404


def test_search_finds_a_complaint_from_a_lay_word(client):
    page = soup(client.get("/de-linde/?q=benauwd"))
    found = [a.get_text() for a in page.select("#results a")]
    assert found[0] == "Kortademig of benauwd" and "Hoesten" in found
    # the way out is always offered under the results
    assert found[-1] == "Mijn klacht staat er niet bij"


def test_every_question_page_shows_the_practice_phone(client):
    patient = Patient(client)
    patient.start("koorts_kind")
    patient.answer(who_for="child", age_band="child_1_4", sex="female")
    page = soup(patient.page())
    assert page.select_one("main h1, main legend") is not None
    assert page.select_one('footer a[href^="tel:"]') is not None


def test_search_forgives_a_typo(client):
    page = soup(client.get("/de-linde/?q=hoofpijn"))
    assert page.select("#results a")[0].get_text() == "Hoofdpijn"


def test_no_match_offers_the_general_questions_not_a_dead_end(client):
    page = soup(client.get("/de-linde/?q=xqzv"))
    links = page.select("#results a")
    # besides the general questions, "nothing found" now offers the body parts (issue 11)
    assert links[-1].get_text() == "Mijn klacht staat er niet bij"
    assert links[-1]["href"] == "/de-linde/triage/algemeen"
    assert all(a["href"].startswith("/de-linde/waar/") for a in links[:-1])


def test_the_general_tree_is_the_way_out_not_one_of_the_complaints(client):
    page = soup(client.get("/de-linde/"))
    listed = [a.get_text() for a in page.select(".plain-list a")]
    assert "Mijn klacht staat er niet bij" not in listed and len(listed) >= 25
    way_out = page.select_one('#not-listed ~ p a[href="/de-linde/triage/algemeen"]')
    assert way_out is not None


def test_the_general_tree_starts_with_the_emergency_screen_and_ends_in_an_econsult(client):
    patient = Patient(client)
    patient.start("algemeen")
    patient.answer(**ADULT_WOMAN)
    patient.answer(topic="body")
    patient.answer(pain_where="head_neck")
    patient.answer(picture="none")
    patient.answer(since_when="weeks")
    patient.answer(how_ill="question")
    patient.answer(need="write")
    patient.answer(**NO_RISK)
    assert patient.url.endswith("/uitkomst")
    assert "Stel uw vraag via een e-consult" in soup(patient.page()).h1.get_text(" ", strip=True)


def test_search_with_htmx_returns_only_the_results(client):
    response = client.get("/de-linde/?q=schulden", headers={"HX-Request": "true", "HX-Target": "results"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Zorgen over geld" in body


def test_a_red_flag_ends_at_call_112_on_the_next_screen(client):
    patient = Patient(client)
    response = patient.start("buikpijn", emergency="chest_pain")
    assert response.status_code == 303 and patient.url.endswith("/uitkomst")
    page = soup(patient.page())
    first_action = page.select_one(".care-card__body a")
    assert first_action["href"] == "tel:112"
    assert page.h1.get_text(" ", strip=True) == "Spoed: Bel nu 112"


def test_a_complete_triage_without_javascript_reaches_self_care(client, db):
    patient = Patient(client)
    patient.start("keelpijn")
    assert patient.answer(**ADULT_WOMAN).status_code == 303
    patient.answer(alarm_signs="none")
    patient.answer(today_signs="none")
    patient.answer(duration="under_1_week")
    patient.answer(**NO_RISK)
    assert patient.url.endswith("/uitkomst")
    page = patient.page()
    assert "U kunt dit zelf goed aanpakken" in text(page)
    assert "Wanneer toch contact opnemen met de praktijk" in text(page)
    run = get_run(db, patient.run_id)
    assert (run.outcome_node, run.route, run.urgency) == ("self_care", "self_care", "U5")
    assert run.finished_at is not None and not run.abandoned


def test_with_htmx_each_answer_returns_the_next_panel_and_pushes_its_url(client):
    patient = Patient(client, htmx=True)
    response = patient.start("hoesten")
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"].endswith("/profile")
    body = response.get_data(as_text=True)
    assert "<html" not in body and "<title>" in body
    assert "Over wie gaat het?" in body
    response = patient.answer(**ADULT_MAN)
    assert response.headers["HX-Push-Url"].endswith("/breath_signs")


def test_a_missing_answer_keeps_the_page_with_an_error_summary(client):
    patient = Patient(client)
    patient.start("keelpijn")
    response = patient.answer(who_for="child", age_band="child_1_4")
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Fout:")
    link = page.select_one(".error-summary a")
    assert link["href"] == "#sex-0" and page.find(id="sex-0") is not None
    # What the patient chose stays chosen.
    assert page.find(id="who_for-1").has_attr("checked")
    assert page.find(id="age_band-2").has_attr("checked")


def test_a_missing_answer_with_htmx_is_swapped_in_as_422(client):
    patient = Patient(client, htmx=True)
    patient.start("keelpijn")
    response = patient.answer(who_for="self")
    assert response.status_code == 422
    assert "Er is een probleem" in response.get_data(as_text=True)


def test_an_earlier_page_shows_the_earlier_answer_and_a_previous_link(client):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="none")
    earlier = patient.history[2]  # the alarm signs page, after the danger signs and the profile
    page = soup(client.get(earlier))
    assert page.find(id="alarm_signs-2").has_attr("checked")  # "none of these"
    assert page.select_one(".back a")["href"].endswith("/profile")


def test_changing_an_earlier_answer_recomputes_the_path(client, db):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="none")
    patient.answer(today_signs="none")
    patient.url = patient.history[2]
    patient.answer(alarm_signs="drooling")
    assert patient.url.endswith("/uitkomst")
    run = get_run(db, patient.run_id)
    assert run.outcome_node == "urgent_now"
    assert "today_signs" not in run.answers


def test_a_page_that_is_not_on_the_path_redirects_to_the_current_step(client):
    patient = Patient(client)
    patient.start("keelpijn")
    base = patient.url.rsplit("/", 1)[0]
    response = client.get(base + "/duration")
    assert response.status_code == 303 and response.headers["Location"].endswith("/profile")


def test_a_forged_answer_is_refused(client, db):
    patient = Patient(client)
    patient.start("keelpijn")
    response = patient.answer(who_for="self", age_band="adult_18_64", sex="robot")
    assert response.status_code == 422
    assert get_run(db, patient.run_id).who_for is None


def test_a_run_is_not_reachable_through_another_practice(client):
    patient = Patient(client)
    patient.start("keelpijn")
    other = patient.url.replace("/de-linde/", "/het-anker/")
    assert client.get(other).status_code == 404


def test_the_risk_page_raises_self_care_for_a_risk_group(client, db):
    patient = Patient(client)
    patient.start("hoesten")
    patient.answer(**ADULT_MAN)
    patient.answer(breath_signs="none")
    patient.answer(today_signs="none")
    patient.answer(duration="under_3_weeks")
    assert patient.url.endswith("/risk")
    patient.answer(risk_group="chronic_disease", second_contact="no")
    run = get_run(db, patient.run_id)
    assert (run.route, run.urgency, run.raised) == ("appointment", "U4", True)


def test_a_proxy_is_reminded_to_answer_for_the_other_person(client):
    patient = Patient(client)
    patient.start("hoesten")
    patient.answer(who_for="child", age_band="child_4_12", sex="female")
    assert "Beantwoord de vragen voor die persoon" in text(patient.page())


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 10, 0, tzinfo=UTC), "Bel de praktijk: 012 345 6701"),  # Monday
        (datetime(2026, 11, 22, 10, 0, tzinfo=UTC), "De praktijk is nu dicht"),  # Sunday
        (datetime(2026, 12, 25, 10, 0, tzinfo=UTC), "De praktijk is nu dicht"),  # Christmas, a Friday
    ],
)
def test_the_urgent_route_names_the_practice_when_open_and_the_post_when_closed(client, monkeypatch, moment, expected):
    monkeypatch.setattr("portal.clock.now", lambda: moment)
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="drooling")
    assert expected in text(patient.page())


def test_the_english_choice_survives_an_htmx_post(client):
    client.get("/de-linde/?lang=en")
    patient = Patient(client, htmx=True)
    response = patient.start("keelpijn")
    body = response.get_data(as_text=True)
    assert "Who is it about?" in body and "Who are you filling this in for?" in body


def test_every_outcome_route_renders(client):
    paths = {
        "social_domain": (
            "zorgen",
            [ADULT_WOMAN, {"dark_thoughts": "no"}, {"unsafe_home": "no"}, {"low_mood": "no"}, {"topic": "money"}],
        ),
        "econsult": (
            "zorgen",
            [ADULT_WOMAN, {"dark_thoughts": "no"}, {"unsafe_home": "no"}, {"low_mood": "no"}, {"topic": "other"}],
        ),
        "appointment": ("zorgen", [ADULT_WOMAN, {"dark_thoughts": "no"}, {"unsafe_home": "no"}, {"low_mood": "yes"}]),
    }
    expected = {
        "social_domain": "Schuldhulp Zuiderdam",
        "econsult": "binnen één werkdag",
        "appointment": "de praktijkondersteuner GGZ",
    }
    for route, (tree, steps) in paths.items():
        patient = Patient(client)
        patient.start(tree)
        for step in steps:
            patient.answer(**step)
        assert expected[route] in text(patient.page()), route


def test_the_outcome_page_lists_the_answers_in_plain_language(client):
    patient = Patient(client)
    patient.start("hoofdpijn")
    patient.answer(**ADULT_MAN)
    patient.answer(alarm_signs="stiff_neck")
    page = text(patient.page())
    assert "Heeft de persoon een of meer van deze dingen" in page and "Een stijve nek" in page


def test_the_routing_record_holds_codes_only(client, db):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="drooling")
    row = next(iter(db.query("SELECT * FROM triage_runs")))
    assert json.loads(row["answers"]) == {
        "emergency_screen": "none",
        "general_danger": ["none"],
        **ADULT_WOMAN,
        "alarm_signs": ["drooling"],
    }
    assert row["tree_id"] == "keelpijn" and row["tree_version"] == 2 and row["locale"] == "nl"
    assert row["started_at"].endswith(row["started_at"][-5:]) and len(row["started_at"]) == 16
    assert (row["route"], row["urgency"]) == ("urgent", "U2")


def test_a_tree_that_changed_under_a_running_triage_starts_it_again(client, rules_dir):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="none")
    path = rules_dir / "keelpijn.yaml"
    renamed = path.read_text("utf-8").replace("alarm_signs", "alarm_signs_renamed")
    path.write_text(renamed, "utf-8")
    response = client.get(patient.url)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/de-linde/triage/keelpijn")
