"""Editors change pages and tree texts in forms, not YAML; the forms make the same drafts as raw mode.

Every test runs against a real SQLite file (the ``db_path`` copy of the demo database).
"""

from __future__ import annotations

import difflib
import re

import pytest

from portal.storage import content_versions as versions
from tests.factories import gen_staff, login, soup, text

TREE = "keelpijn"


@pytest.fixture
def people(app, db):
    """Two editors and an assistant, each with their own browser, in English."""
    found = {}
    for name, role in [("ann", "editor"), ("ben", "editor"), ("eva", "assistant")]:
        client = app.test_client()
        client.set_cookie("voordeur_lang", "en")
        login(client, gen_staff(db, role=role, email=f"{name}@example.nl"))
        found[name] = client
    return found


def _version_id(response) -> int:
    assert response.status_code == 303, response.status_code
    return int(re.search(r"/changes/(\d+)$", response.headers["Location"]).group(1))


def _form_values(page) -> dict[str, str]:
    """What the browser would send for the form as shown."""
    form = page.select_one("form.editor-form")
    values = {field["name"]: field.get("value", "") for field in form.select("input[name]")}
    values |= {area["name"]: area.get_text() for area in form.select("textarea[name]")}
    values |= {
        select["name"]: (select.select_one("option[selected]") or select.select_one("option"))["value"]
        for select in form.select("select[name]")
    }
    return values


def _approve(author, reviewer, version_id: int) -> None:
    author.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": ""})
    reviewer.post(f"/staff/editor/changes/{version_id}/review", data={"decision": "approve", "comment": ""})


# --- pages -------------------------------------------------------------------------------------


def test_a_page_form_saved_unchanged_saves_nothing_and_a_changed_section_makes_the_same_draft_as_raw_mode(
    people, db, content_copy
):
    ann = people["ann"]
    source = (content_copy / "pages" / "keelpijn.nl.md").read_text("utf-8")
    page = soup(ann.get("/staff/editor/pages/keelpijn/nl/form"))
    values = _form_values(page)
    assert values["title"] == "Keelpijn"
    assert page.find("label", string=re.compile("Wat kunt u zelf doen")) is not None

    response = ann.post("/staff/editor/pages/keelpijn/nl/form", data={**values, "action": "save"})
    assert response.status_code == 303 and "/form" in response.headers["Location"]  # nothing to save
    assert versions.open_versions(db) == []

    index = next(i for i in range(4) if "Drink genoeg" in values[f"section-{i}"])
    values[f"section-{index}"] += "\r\n- Slaap genoeg."
    version_id = _version_id(ann.post("/staff/editor/pages/keelpijn/nl/form", data={**values, "action": "save"}))
    draft = versions.get(db, version_id).source
    changed = [line for line in difflib.ndiff(source.splitlines(), draft.splitlines()) if line[:1] in "+-"]
    assert changed == ["+ - Slaap genoeg."]  # only the new line; the rest of the file byte for byte
    assert "Wording only" in text(ann.get(f"/staff/editor/changes/{version_id}"))


def test_the_preview_shows_the_page_as_a_patient_sees_it_without_javascript(people, db):
    ann = people["ann"]
    values = _form_values(soup(ann.get("/staff/editor/pages/keelpijn/nl/form")))
    values["title"] = "Keelpijn en slikken"
    values["section-0"] = "Een **zere** keel."
    page = soup(ann.post("/staff/editor/pages/keelpijn/nl/form", data={**values, "action": "preview"}))
    preview = page.select_one("#page-preview .phone-frame")
    assert preview.h1.get_text() == "Keelpijn en slikken"
    assert preview.select_one("article strong").get_text() == "zere"
    assert page.select_one("#title")["value"] == "Keelpijn en slikken"  # what was typed stays in the form
    assert versions.open_versions(db) == []  # a preview saves nothing


def test_a_new_dutch_page_goes_through_review_and_english_readers_see_it_with_a_notice(app, people, db):
    ann, ben = people["ann"], people["ben"]
    form = _form_values(soup(ann.get("/staff/editor/pages/new")))
    form |= {
        "slug": "wratten",
        "language": "nl",
        "title": "Wratten",
        "summary": "Wratten zijn onschuldig en gaan meestal vanzelf over.",
        "keywords": "wrat, wratten, knobbeltje",
        "theme": "skin",
        "sources": "NHG-Standaard Wratten",
        "section-0": "Een wrat is een klein, ruw bultje op de huid. Het komt door een virus.",
        "section-1": "- Laat de wrat met rust.\n- Krab er niet aan.",
        "section-2": "Bel de praktijk als de wrat bloedt of snel groter wordt.",
    }
    preview = soup(ann.post("/staff/editor/pages/new", data={**form, "action": "preview"}))
    assert preview.select_one("#page-preview .phone-frame h1").get_text() == "Wratten"

    version_id = _version_id(ann.post("/staff/editor/pages/new", data={**form, "action": "save"}))
    assert "a new page" in text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert ann.get("/staff/editor/pages/wratten/nl/form").status_code == 200  # the draft can be edited further
    assert app.test_client().get("/de-linde/zelfhulp/wratten").status_code == 404  # not live yet

    _approve(ann, ben, version_id)
    assert versions.get(db, version_id).status == "published"
    dutch = app.test_client()
    assert soup(dutch.get("/de-linde/zelfhulp/wratten")).h1.get_text() == "Wratten"
    english = app.test_client()
    english.set_cookie("voordeur_lang", "en")
    page = soup(english.get("/de-linde/zelfhulp/wratten"))
    assert page.h1.get_text() == "Wratten" and page.h1["lang"] == "nl"
    assert "not available in English yet" in page.select_one(".notice").get_text()
    assert "not available in English" not in text(dutch.get("/de-linde/zelfhulp/wratten"))

    # The form of the Dutch page offers to write the English one, with the name and language filled in.
    link = soup(ann.get("/staff/editor/pages/wratten/nl/form")).find("a", string="Write the English version")
    english_form = soup(ann.get(link["href"]))
    assert english_form.select_one("#slug")["value"] == "wratten"
    assert english_form.select_one("#language option[selected]")["value"] == "en"
    assert english_form.find("label", string=re.compile("When to contact the practice")) is not None


def test_a_new_page_that_is_incomplete_or_exists_is_not_saved(people, db):
    ann = people["ann"]
    response = ann.post("/staff/editor/pages/new", data={"slug": "keelpijn", "language": "nl", "action": "save"})
    assert response.status_code == 422
    summary = soup(response).select_one(".error-summary").get_text(" ")
    assert "already exists" in summary and "title" in summary and "guideline" in summary
    assert versions.open_versions(db) == []


def test_assistants_cannot_edit_in_forms(people):
    eva = people["eva"]
    for url in ("/staff/editor/pages/new", "/staff/editor/pages/keelpijn/nl/form", f"/staff/editor/trees/{TREE}/texts"):
        assert eva.get(url).status_code in (302, 403)


# --- trees -------------------------------------------------------------------------------------


def test_tree_texts_are_shown_in_both_languages_per_screen_by_the_patients_words(people):
    page = soup(people["ann"].get(f"/staff/editor/trees/{TREE}/texts"))
    legends = [legend.get_text(" ", strip=True) for legend in page.select("legend")]
    assert "Screen: Heeft de persoon een of meer van deze dingen?" in legends
    assert not any("alarm_signs" in legend for legend in legends)  # no internal ids
    nl = page.select_one('textarea[name="nodes/alarm_signs/help|nl"]')
    en = page.select_one('textarea[name="nodes/alarm_signs/help|en"]')
    assert (nl.get_text(), en.get_text()) == ("Vink alles aan wat klopt.", "Tick everything that is true.")
    assert page.select_one(f'label[for="{en["id"]}"]').get_text(" ", strip=True) == "English – Hint"


def test_a_text_edit_in_the_tree_form_is_wording_touches_only_its_line_and_goes_live_after_review(
    app, people, db, rules_dir
):
    ann, ben = people["ann"], people["ben"]
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    values = _form_values(soup(ann.get(f"/staff/editor/trees/{TREE}/texts")))
    values["nodes/alarm_signs/help|en"] = "Tick every box that is true."
    version_id = _version_id(ann.post(f"/staff/editor/trees/{TREE}/texts", data=values))

    draft = versions.get(db, version_id)
    assert draft.classification == "wording"
    changed = [line for line in difflib.ndiff(source.splitlines(), draft.source.splitlines()) if line[:1] in "+-"]
    assert changed == ["-       en: Tick everything that is true.", "+       en: Tick every box that is true."]

    _approve(ann, ben, version_id)
    with app.test_request_context():
        from portal.rulebook import live_trees

        assert live_trees()[TREE].nodes["alarm_signs"].help.get("en") == "Tick every box that is true."


def test_the_tree_form_cannot_change_where_an_answer_leads(people, db):
    ann = people["ann"]
    values = _form_values(soup(ann.get(f"/staff/editor/trees/{TREE}/texts")))
    values["nodes/alarm_signs/none/next|nl"] = "urgent_now"  # not a text: ignored
    response = ann.post(f"/staff/editor/trees/{TREE}/texts", data=values)
    assert response.status_code == 303 and response.headers["Location"].endswith("/texts")
    assert versions.open_versions(db) == []
