"""Editors change a tree's cases in forms, in the patient's words, and keep a simulator walk as a new case;
every edit is a draft like any other (lint, cases, classification, review).

Every test runs against a real SQLite file (the ``db_path`` copy of the demo database).
"""

from __future__ import annotations

import difflib
import re

import pytest
import yaml
from werkzeug.datastructures import MultiDict

from portal.storage import content_versions as versions
from tests.factories import gen_staff, login, soup, text

TREE = "oorpijn"
CASES = f"/staff/editor/trees/{TREE}/cases"


@pytest.fixture
def ann(app, db):
    """An editor, in English (the assertions hold before and after the Dutch catalogue has the new strings)."""
    client = app.test_client()
    client.set_cookie("voordeur_lang", "en")
    login(client, gen_staff(db, role="editor", email="ann@example.nl"))
    return client


def _version_id(response) -> int:
    assert response.status_code == 303, response.status_code
    return int(re.search(r"/changes/(\d+)$", response.headers["Location"]).group(1))


def _form_values(page) -> list[tuple[str, str]]:
    """What the browser would send for the case form as shown (checkboxes only when ticked)."""
    form = page.select_one("form.editor-form")
    values = [
        (field["name"], field.get("value", ""))
        for field in form.select("input[name]")
        if field.get("type") != "checkbox" or field.has_attr("checked")
    ]
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        values.append((select["name"], chosen["value"]))
    return values


def _set(values: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in values if k != name] + [(name, value)]


def _changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-"]


def test_the_cases_page_says_every_case_in_the_patients_words(ann):
    page = soup(ann.get(CASES))
    headings = [h.get_text(" ", strip=True) for h in page.select("h3")]
    assert headings[0] == "1. A red swelling behind the ear means calling today"
    assert len(headings) == 8
    first = page.select_one("section.panel")
    words = first.get_text(" ", strip=True)
    assert "Does the person have one or more of these? — The area behind the ear is red, swollen and painful" in words
    assert "Must lead to" in words and "U3" in words
    assert "ear_alarm" not in words and "behind_ear" not in words and "child_1_4" not in words  # no codes
    assert "Passes" in words
    assert "Every outcome is covered by a case." in text(ann.get(CASES))


def test_the_workbench_and_the_texts_page_link_to_the_cases(ann):
    assert soup(ann.get("/staff/editor/")).find("a", href=CASES) is not None
    assert soup(ann.get(f"/staff/editor/trees/{TREE}/texts")).find("a", href=CASES) is not None


def test_renaming_a_case_is_a_wording_draft_that_touches_one_line(ann, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    values = _form_values(soup(ann.get(f"{CASES}/2")))
    assert ("a_ear_alarm", "sudden_deaf") in values  # the case's answers are shown ticked
    values = _set(values, "name", "Sudden deafness in one ear means an appointment within a day")
    version_id = _version_id(ann.post(f"{CASES}/2", data=MultiDict(values)))
    draft = versions.get(db, version_id)
    assert draft.classification == "wording"
    assert _changed(source, draft.source) == [
        "-   - name: Suddenly hearing much worse in one ear means an appointment within a day",
        "+   - name: Sudden deafness in one ear means an appointment within a day",
    ]


def test_a_form_saved_unchanged_saves_nothing(ann, db):
    values = _form_values(soup(ann.get(f"{CASES}/5")))
    response = ann.post(f"{CASES}/5", data=MultiDict(values))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{CASES}/5")
    assert versions.open_versions(db) == []


def test_changing_what_a_case_expects_is_logic_raises_the_version_and_passes_every_check(ann, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    values = _form_values(soup(ann.get(f"{CASES}/8")))  # short earache with a weak immune system
    values = _set(values, "a_risk_group", "none")
    values = _set(values, "outcome", "self_care")
    version_id = _version_id(ann.post(f"{CASES}/8", data=MultiDict(values)))
    draft = versions.get(db, version_id)
    assert draft.classification == "logic"
    changed = _changed(source, draft.source)
    assert "- version: 2" in changed and "+ version: 3" in changed
    assert "+     expect: {outcome: self_care, route: self_care, urgency: U5}" in changed
    change = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Every check passes" in change and "cannot be submitted" not in change


def test_a_form_error_keeps_what_was_typed_and_says_in_words_where_the_answers_lead(ann, db):
    values = _form_values(soup(ann.get(f"{CASES}/5")))  # earache for less than 3 days: self-care
    values = _set(values, "name", "My typed name")
    values = _set(values, "outcome", "urgent_today")
    response = ann.post(f"{CASES}/5", data=MultiDict(values))
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    summary = page.select_one(".error-summary").get_text(" ", strip=True)
    assert "do not lead to the outcome you chose" in summary
    assert "These answers lead to “" in summary and "self_care" not in summary
    assert page.select_one("#name")["value"] == "My typed name"
    assert page.select_one("#outcome option[selected]")["value"] == "urgent_today"
    assert versions.open_versions(db) == []

    values = _set(values, "name", "x")
    page = soup(ann.post(f"{CASES}/5", data=MultiDict(values)))
    assert page.select_one('.error-summary a[href="#name"]') is not None


def test_a_new_case_is_added_at_the_end_and_the_draft_runs_it(ann, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    values = _form_values(soup(ann.get(f"{CASES}/new")))
    values = _set(values, "name", "Earache for 3 days in a teenager means an appointment within 3 days")
    values = _set(values, "age_band", "teen_12_18")
    values += [("a_ear_alarm", "none")]
    values = _set(values, "a_duration", "3_days_or_more")
    values = _set(values, "outcome", "appointment_3d")
    version_id = _version_id(ann.post(f"{CASES}/new", data=MultiDict(values)))
    draft = versions.get(db, version_id)
    assert draft.classification == "logic"
    added = yaml.safe_load(draft.source)["cases"][-1]
    assert added == {
        "name": "Earache for 3 days in a teenager means an appointment within 3 days",
        "profile": {"who_for": "self", "age_band": "teen_12_18", "sex": "female"},
        "answers": {"emergency_screen": "none", "ear_alarm": "none", "duration": "3_days_or_more"},
        "expect": {"outcome": "appointment_3d", "route": "appointment", "urgency": "U4"},
    }
    assert len(_changed(source, draft.source)) == 6  # the version line (old and new) and the case's four lines
    assert "Every check passes" in text(ann.get(f"/staff/editor/changes/{version_id}"))


def test_removing_the_only_case_of_an_outcome_is_refused_in_words(ann, db):
    page = soup(ann.get(f"{CASES}/1/remove"))
    refusal = page.select_one(".error-summary").get_text(" ", strip=True)
    assert "cannot be removed" in refusal and "Outcome:" in refusal and "Alarm answer:" in refusal
    assert page.find("button", string="Remove this case") is None
    response = ann.post(f"{CASES}/1/remove", data={"name": "A red swelling behind the ear means calling today"})
    assert response.status_code == 422
    assert versions.open_versions(db) == []


def test_removing_a_case_others_cover_makes_a_logic_draft_without_its_lines(ann, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    page = soup(ann.get(f"{CASES}/8/remove"))
    name = page.select_one('input[name="name"]')["value"]
    version_id = _version_id(ann.post(f"{CASES}/8/remove", data={"name": name}))
    draft = versions.get(db, version_id)
    assert draft.classification == "logic"
    assert len(yaml.safe_load(draft.source)["cases"]) == 7
    assert [line for line in _changed(source, draft.source) if line.startswith("+")] == ["+ version: 3"]


def test_the_simulator_keeps_a_walk_as_a_case_in_a_draft(ann, db):
    walk = (
        "who_for=self&age_band=adult_18_64&sex=male&a_emergency_screen=none&a_general_danger=none"
        "&a_ear_alarm=none&a_duration=3_days_or_more"
    )
    page = soup(ann.get(f"/staff/editor/trees/{TREE}/simulate?{walk}"))
    form = page.find("button", string="Save this route as a test case").find_parent("form")
    values = [(field["name"], field.get("value", "")) for field in form.select("input[name]")]
    assert ("a_duration", "3_days_or_more") in values
    values = _set(values, "name", "A man with earache for 3 days gets an appointment within 3 days")
    version_id = _version_id(ann.post(form["action"], data=MultiDict(values)))
    draft = versions.get(db, version_id)
    added = yaml.safe_load(draft.source)["cases"][-1]
    assert added["answers"] == {"emergency_screen": "none", "ear_alarm": "none", "duration": "3_days_or_more"}
    assert added["expect"] == {"outcome": "appointment_3d", "route": "appointment", "urgency": "U4"}
    assert "Every check passes" in text(ann.get(f"/staff/editor/changes/{version_id}"))

    # Without a name, the form for a new case comes back with the walk filled in and the error named.
    response = ann.post(form["action"], data=MultiDict(_set(values, "name", "")))
    assert response.status_code == 422
    again = soup(response)
    assert again.select_one('.error-summary a[href="#name"]') is not None
    assert again.select_one("#a_duration option[selected]")["value"] == "3_days_or_more"


@pytest.mark.parametrize("role", ["assistant", "evaluator", "clinical_reviewer"])
def test_only_editors_change_cases(client, db, role):
    login(client, gen_staff(db, role=role))
    for url in (CASES, f"{CASES}/1", f"{CASES}/new", f"{CASES}/8/remove"):
        assert client.get(url).status_code == 403
    assert client.post(f"{CASES}/record", data={"name": "x"}).status_code == 403
    assert client.post(f"{CASES}/8/remove", data={"name": "x"}).status_code == 403
    if role == "clinical_reviewer":  # reads the simulator, without the button to keep a walk
        page = text(client.get(f"/staff/editor/trees/{TREE}/simulate?who_for=self&age_band=adult_18_64&sex=male"))
        assert "Save this route as a test case" not in page
