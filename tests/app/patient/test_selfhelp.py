"""Self-help pages and the social map, as a patient finds them."""

from __future__ import annotations

from portal.storage.feedback import feedback_rows
from tests.factories import self_care_run, soup, text, worries_run


def test_the_self_help_index_searches_and_browses_by_theme(client):
    page = soup(client.get("/de-linde/zelfhulp/?q=oorpijn+kind"))
    assert [a.get_text() for a in page.select(".results a")] == ["Oorpijn"]
    assert "Kinderen" in [h.get_text() for h in page.select("h3")]


def test_a_page_shows_its_safety_net_and_offers_the_matching_triage(client):
    page = soup(client.get("/de-linde/zelfhulp/keelpijn"))
    assert page.h1.get_text() == "Keelpijn"
    box = page.select_one("section.safety-net")
    assert box.h2.get_text() == "Wanneer contact opnemen met de praktijk?"
    assert page.select_one('a.button[href="/de-linde/triage/keelpijn"]') is not None
    assert page.select_one('a[href="../triage/keelpijn"]') is not None  # the link inside the text
    assert "Demo" in page.get_text()


def test_the_english_page_is_shown_in_english(client):
    client.get("/de-linde/?lang=en")
    assert soup(client.get("/de-linde/zelfhulp/keelpijn")).h1.get_text() == "Sore throat"


def test_an_unknown_page_is_404(client):
    assert client.get("/de-linde/zelfhulp/bestaat_niet").status_code == 404


def test_a_self_care_outcome_links_to_its_page_and_feedback_joins_the_routing_record(client, db):
    patient = self_care_run(client)
    link = soup(patient.page()).select_one('a[href*="/zelfhulp/keelpijn"]')
    assert link["href"].endswith(f"?run={patient.run_id}")
    page = soup(client.get(link["href"]))
    assert page.find("input", {"name": "run"})["value"] == patient.run_id
    response = client.post(
        "/de-linde/zelfhulp/keelpijn/feedback",
        data={"helped": "no", "reason": "still_worried", "run": patient.run_id},
    )
    assert response.status_code == 303
    assert "Bedankt voor uw antwoord" in text(client.get(response.headers["Location"]))
    (row,) = feedback_rows(db)
    assert (row["page"], row["run_id"], row["helped"], row["reason"]) == (
        "keelpijn",
        patient.run_id,
        0,
        "still_worried",
    )


def test_feedback_takes_no_free_text(client, db):
    response = client.post("/de-linde/zelfhulp/keelpijn/feedback", data={"helped": "no", "reason": "mijn naam is Anna"})
    assert response.status_code == 400 and feedback_rows(db) == []


def test_a_social_outcome_shows_the_service_of_the_practices_municipality(client):
    for practice, service in (("de-linde", "Schuldhulp Zuiderdam"), ("het-anker", "Schuldhulp Noordhaven")):
        patient = worries_run(client, practice=practice, topic="money")
        assert service in text(patient.page())


def test_the_social_map_lists_every_service_of_the_municipality(client):
    response = client.get("/het-anker/sociale-kaart/")
    assert response.headers["Location"].endswith("/sociale-kaart/noordhaven-demo")
    page = soup(client.get(response.headers["Location"]))
    assert page.h1.get_text() == "Hulp in Noordhaven (demo)"
    assert len(page.select("section.service")) == 8


def test_a_changed_page_is_picked_up_and_a_broken_one_keeps_the_last_good_version(client, content_copy):
    path = content_copy / "pages" / "keelpijn.nl.md"
    original = path.read_text("utf-8")
    path.write_text(original.replace("title: Keelpijn", "title: Pijn in de keel"), "utf-8")
    assert soup(client.get("/de-linde/zelfhulp/keelpijn")).h1.get_text() == "Pijn in de keel"
    path.write_text(original.replace("## Wanneer contact opnemen met de praktijk?", "## Bellen"), "utf-8")
    assert soup(client.get("/de-linde/zelfhulp/keelpijn")).h1.get_text() == "Pijn in de keel"


def test_a_practice_serving_two_municipalities_lets_the_patient_choose(client):
    patient = worries_run(client, practice="het-anker", topic="lonely")
    page = soup(patient.page())
    options = [o["value"] for o in page.select("select#gemeente option")]
    assert options == ["noordhaven-demo", "zuiderdam-demo"]
    assert "Welzijn op Recept Noordhaven" in page.get_text()
    chosen = text(client.get(patient.url + "?gemeente=zuiderdam-demo"))
    assert "Welzijn op Recept Zuiderdam" in chosen and "Welzijn op Recept Noordhaven" not in chosen


def test_without_a_social_map_the_outcome_names_the_municipalitys_general_number(client, content_copy):
    (content_copy / "social_map" / "zuiderdam-demo.yaml").unlink()
    patient = worries_run(client, topic="money")
    page = text(patient.page())
    assert "Bel de gemeente Zuiderdam (demo) en vraag naar Schuldhulpverlening" in page
    assert "012 345 6710" in page
