"""Editors change a tree's structure in guided forms: the forms make the same drafts as raw mode, classified as logic.

Every test runs against a real SQLite file (the ``db_path`` copy of the demo database).
"""

from __future__ import annotations

import difflib
import re

import pytest

from portal.storage import content_versions as versions
from tests.factories import gen_staff, login, soup, text

TREE = "keelpijn"
BASE = f"/staff/editor/trees/{TREE}/structure"


@pytest.fixture
def people(app, db):
    """Two editors, a clinical reviewer, an assistant and an evaluator, each with their own browser, in English."""
    found = {}
    roles = [("ann", "editor"), ("ben", "editor"), ("cas", "clinical_reviewer"), ("eva", "assistant")]
    roles.append(("eve", "evaluator"))
    for name, role in roles:
        client = app.test_client()
        client.set_cookie("voordeur_lang", "en")
        login(client, gen_staff(db, role=role, email=f"{name}@example.nl"))
        found[name] = client
    return found


def _draft(db):
    (draft,) = versions.open_versions(db)
    return draft


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def _option(page, select_id: str, words: str) -> str:
    """The value of the option a person would pick by the words they read."""
    option = page.select_one(f"select#{select_id}").find("option", string=re.compile(re.escape(words)))
    assert option is not None, f"no option with {words!r} in #{select_id}"
    return option["value"]


def test_assistants_and_evaluators_cannot_change_structure(people):
    for name in ("eva", "eve", "cas"):
        for url in (BASE, f"{BASE}/question", f"{BASE}/outcome", f"{BASE}/duration/answer", f"{BASE}/econsult/remove"):
            assert people[name].get(url).status_code == 403, (name, url)
        response = people[name].post(f"{BASE}/lead?at=duration/answers/0", data={"target": "econsult"})
        assert response.status_code == 403


def test_the_overview_shows_every_screen_and_where_each_answer_leads_in_the_patients_words(people):
    page = soup(people["ann"].get(BASE))
    headings = [h.get_text(" ", strip=True) for h in page.select("h2")]
    assert "Question: How long has there been a sore throat?" in headings
    assert any(h.startswith("Advice: Ask your question in an e-consult") for h in headings)
    row = next(tr for tr in page.select("tr") if "1 to 2 weeks" in tr.get_text())
    assert "Advice: Ask your question in an e-consult (U5)" in row.get_text()
    assert "econsult" not in page.select_one("main").get_text(" ").replace("e-consult", "")  # no ids shown


def test_changing_where_an_answer_leads_makes_a_logic_draft_with_the_version_raised(people, db, rules_dir):
    ann = people["ann"]
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    form = soup(ann.get(f"{BASE}/lead?at=duration/answers/1"))
    assert "1 to 2 weeks" in form.select_one(".summary-list").get_text()
    target = _option(form, "target", "Make a routine appointment")
    response = ann.post(f"{BASE}/lead?at=duration/answers/1", data={"target": target})
    assert response.status_code == 303 and response.headers["Location"].endswith("/structure")

    draft = _draft(db)
    assert draft.classification == "logic"
    assert _changed(source, draft.source) == [
        "- version: 2",
        "+ version: 3",
        "-         next: econsult",
        "+         next: appointment_routine",
    ]
    change = text(ann.get(f"/staff/editor/changes/{draft.id}"))
    assert "Clinical logic" in change or "clinical logic" in change

    # A second change in the same draft raises the version only once.
    ann.post(f"{BASE}/lead?at=duration/answers/0", data={"target": "econsult"})
    assert "version: 3" in _draft(db).source


def test_adding_a_question_places_it_after_the_answer_that_leads_to_it(people, db, rules_dir):
    ann = people["ann"]
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    page = soup(ann.get(f"{BASE}/question"))
    lead = _option(page, "lead", "Less than 1 week")
    data = {
        "action": "save",
        "rows": "3",
        "text_nl": "Heeft de persoon koorts?",
        "text_en": "Does the person have a fever?",
        "lead": lead,
        "answer-0-label_nl": "Ja",
        "answer-0-label_en": "Yes",
        "answer-0-next": _option(page, "answer-0-next", "Make an appointment, today or tomorrow"),
        "answer-1-label_nl": "Nee",
        "answer-1-label_en": "No",
        "answer-1-next": _option(page, "answer-1-next", "You can take care of this yourself"),
    }
    response = ann.post(f"{BASE}/question", data=data)
    assert response.status_code == 303
    draft = _draft(db)
    assert draft.classification == "logic"
    changed = _changed(source, draft.source)
    assert "+   koorts:" in changed and '+       - value: "yes"' in changed
    assert "-         next: self_care" in changed and "+         next: koorts" in changed
    overview = text(ann.get(BASE))
    assert "Question: Does the person have a fever?" in overview


def test_a_question_with_mistakes_is_not_saved_and_keeps_what_was_typed(people, db):
    ann = people["ann"]
    data = {
        "action": "save",
        "rows": "3",
        "node_id": "duration",
        "text_nl": "Heeft de persoon koorts?",
        "text_en": "",
        "answer-0-label_nl": "Ja",
        "answer-0-label_en": "Yes",
    }
    response = ann.post(f"{BASE}/question", data=data)
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".error-summary").get_text(" ")
    assert "already used" in summary and "in English" in summary and "at least two answers" in summary
    assert "which answer" in summary.lower() or "Choose the answer" in summary
    assert page.select_one("#text_nl")["value"] == "Heeft de persoon koorts?"
    assert page.select_one("#answer-0-label_en")["value"] == "Yes"
    assert page.title.get_text().startswith("Error:")
    assert versions.open_versions(db) == []


def test_a_name_is_suggested_from_the_dutch_question(people):
    page = soup(people["ann"].post(f"{BASE}/question", data={"action": "suggest", "text_nl": "Heeft u hoge koorts?"}))
    assert page.select_one("#node_id")["value"] == "hoge_koorts"
    assert page.select_one("#text_nl")["value"] == "Heeft u hoge koorts?"


def test_adding_an_answer_changes_only_its_own_lines_and_the_version(people, db, rules_dir):
    ann = people["ann"]
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    page = soup(ann.get(f"{BASE}/duration/answer"))
    data = {
        "label_nl": "Langer dan een maand",
        "label_en": "More than a month",
        "next": _option(page, "next", "Make a routine appointment"),
    }
    assert ann.post(f"{BASE}/duration/answer", data=data).status_code == 303
    changed = _changed(source, _draft(db).source)
    assert changed[:2] == ["- version: 2", "+ version: 3"]
    added = changed[2:]
    assert all(line.startswith("+") for line in added) and len(added) == 5  # nothing else in the file changed
    assert "+       - value: more_than_a_month" in added and "+           nl: Langer dan een maand" in added


def test_removing_an_outcome_that_answers_lead_to_is_refused_and_names_them(people, db):
    ann = people["ann"]
    response = ann.post(f"{BASE}/econsult/remove", data={})
    assert response.status_code == 422
    page = soup(response)
    assert "Something still leads here" in page.select_one(".error-summary").get_text()
    assert "The answer “1 to 2 weeks” to “How long has there been a sore throat?”." in [
        li.get_text() for li in page.select("ul.references li")
    ]
    assert versions.open_versions(db) == []

    target = _option(page, "redirect_to", "Make a routine appointment")
    response = ann.post(f"{BASE}/econsult/remove", data={"redirect_to": target, "drop_cases": "1"})
    assert response.status_code == 303
    draft = _draft(db)
    assert "econsult:" not in draft.source and "outcome: econsult" not in draft.source
    assert "next: econsult" not in draft.source


def test_removing_an_answer_and_refusing_the_last_two(people, db):
    ann = people["ann"]
    assert ann.post(f"{BASE}/answer/remove?at=duration/answers/2", data={}).status_code == 303
    assert "over_2_weeks" not in _draft(db).source.split("cases:")[0]
    response = ann.post(f"{BASE}/answer/remove?at=duration/answers/1", data={})
    assert response.status_code == 422
    assert "at least two answers" in soup(response).select_one(".error-summary").get_text()


def test_adding_an_outcome_says_it_needs_a_case_and_links_to_where_to_add_one(people, db):
    ann = people["ann"]
    page = soup(ann.get(f"{BASE}/outcome"))
    data = {
        "action": "save",
        "route": "appointment",
        "urgency": "U4",
        "timeframe": "within_3_days",
        "professional": "huisarts",
        "minutes": "10",
        "title_nl": "Maak een afspraak deze week",
        "title_en": "Make an appointment this week",
        "advice_nl": "De huisarts kijkt deze week naar de keel.",
        "advice_en": "The GP will look at the throat this week.",
        "safety_net_nl": "Gaat slikken moeilijk? Bel direct de praktijk.",
        "safety_net_en": "Does swallowing get difficult? Call the practice straight away.",
        "lead": _option(page, "lead", "1 to 2 weeks"),
    }
    response = ann.post(f"{BASE}/outcome", data=data)
    assert response.status_code == 303
    draft = _draft(db)
    assert "maak_afspraak_week:" in draft.source and "next: maak_afspraak_week" in draft.source
    overview = soup(ann.get(BASE))
    notices = overview.select_one(".notices").get_text(" ")
    assert "needs a case" in notices and "Maak een afspraak deze week" in notices
    link = overview.find("a", string="Add a case")
    assert link is not None and link["href"].startswith("/staff/editor/trees/keelpijn/")
    assert ann.get(link["href"]).status_code == 200
    change = text(ann.get(f"/staff/editor/changes/{draft.id}"))
    assert "cannot be submitted yet" in change  # the linter wants a case for the new outcome


def test_an_outcome_whose_urgency_does_not_fit_its_route_is_refused_with_what_was_typed(people, db):
    ann = people["ann"]
    data = {"action": "save", "route": "self_care", "urgency": "U2", "title_nl": "Zelf doen", "lead": ""}
    response = ann.post(f"{BASE}/outcome", data=data)
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".error-summary").get_text(" ")
    assert "does not fit" in summary and "U5" in summary and "safety-net" in summary
    assert page.select_one("#route option[selected]")["value"] == "self_care"
    assert page.select_one("#title_nl")["value"] == "Zelf doen"
    assert versions.open_versions(db) == []


def test_the_workbench_and_the_texts_form_link_to_the_structure_forms(people):
    ann = people["ann"]
    assert soup(ann.get("/staff/editor/")).find("a", href=BASE) is not None
    assert soup(ann.get(f"/staff/editor/trees/{TREE}/texts")).find("a", href=BASE) is not None


def test_another_answer_adds_a_row_and_saves_nothing(people, db):
    data = {"action": "more", "rows": "3", "text_nl": "Heeft de persoon koorts?", "answer-0-label_nl": "Ja"}
    page = soup(people["ann"].post(f"{BASE}/question", data=data))
    assert page.select_one("#answer-3-label_nl") is not None and page.select_one("#answer-4-label_nl") is None
    assert page.select_one("#answer-0-label_nl")["value"] == "Ja"
    assert page.select_one("#node_id")["value"] == "koorts"  # suggested once the Dutch question is there
    assert versions.open_versions(db) == []


# --- change an advice's route and urgency -------------------------------------------------------------------


def test_only_editors_change_an_advices_route_and_urgency(people):
    for name in ("eva", "eve", "cas"):
        assert people[name].get(f"{BASE}/econsult/route").status_code == 403, name
        assert people[name].post(f"{BASE}/econsult/route", data={"pair": "econsult:U4"}).status_code == 403, name


def test_changing_an_advices_urgency_in_words_makes_a_logic_draft_and_updates_its_cases(people, db, rules_dir):
    ann = people["ann"]
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    overview = soup(ann.get(BASE))
    link = overview.select_one("a[href$='/econsult/route']")
    assert link is not None
    assert link.get_text().startswith("Change route and urgency – Ask your question in an e-consult")
    form = soup(ann.get(link["href"]))
    chosen = form.select_one("#pair option[selected]").get_text()
    assert chosen == "E-consult – U5: advice, no chance of harm"  # the current one, in words
    assert "Self-care – U5: advice, no chance of harm" in form.select_one("#pair").get_text()
    assert form.select_one("#update_cases").has_attr("checked")

    pair = _option(form, "pair", "E-consult – U4: not urgent, within 24 hours")
    response = ann.post(link["href"], data={"pair": pair, "update_cases": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/structure")
    draft = _draft(db)
    assert draft.classification == "logic"
    assert _changed(source, draft.source) == [
        "- version: 2",
        "+ version: 3",
        "-     urgency: U5",
        "+     urgency: U4",
        "-     expect: {outcome: econsult, route: econsult, urgency: U5}",
        "+     expect: {outcome: econsult, route: econsult, urgency: U4}",
    ]
    overview = text(ann.get(BASE))
    assert "now expect the new route and urgency" in overview


def test_an_advice_a_red_flag_leads_to_cannot_become_non_urgent(people, db):
    ann = people["ann"]
    form = soup(ann.get(f"{BASE}/urgent_today/route"))
    assert "The mouth hardly opens any more" in form.select_one(".summary-list").get_text()
    response = ann.post(f"{BASE}/urgent_today/route", data={"pair": "econsult:U4", "update_cases": "1"})
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".error-summary").get_text(" ")
    assert "A red flag leads to this advice" in summary and "The mouth hardly opens any more" in summary
    assert page.select_one("#pair option[selected]")["value"] == "econsult:U4"  # what was chosen stays
    assert versions.open_versions(db) == []


def test_an_appointment_needs_its_details_and_a_question_has_no_route(people, db):
    ann = people["ann"]
    response = ann.post(f"{BASE}/econsult/route", data={"pair": "appointment:U4"})
    assert response.status_code == 422
    summary = soup(response).select_one(".error-summary").get_text(" ")
    assert "Choose when the appointment should be." in summary
    assert versions.open_versions(db) == []
    response = ann.get(f"{BASE}/duration/route")
    assert response.status_code == 303 and response.headers["Location"].endswith("/structure")
