"""The editors' workbench: who may use it, and what editors see there."""

from __future__ import annotations

import pytest

from tests.factories import gen_staff, login, soup, text

PAGES = [
    "/staff/editor/",
    "/staff/editor/lint",
    "/staff/editor/pages/keelpijn/nl",
    "/staff/editor/trees/buikpijn/diagram",
    "/staff/editor/trees/hoesten/simulate",
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 303), ("assistant", 403), ("evaluator", 403), ("editor", 200), ("admin", 200)],
)
def test_only_editors_and_admins_use_the_workbench(client, db, role, expected):
    if role:
        login(client, gen_staff(db, role=role))
    for url in PAGES:
        assert client.get(url).status_code == expected, url


@pytest.fixture
def editor(client, db):
    login(client, gen_staff(db, role="editor"))
    return client


def test_the_overview_shows_what_is_live_and_why_a_file_was_refused(editor, rules_dir, content_copy):
    tree = rules_dir / "hoesten.yaml"
    tree.write_text(tree.read_text("utf-8").replace("next: urgent_now", "next: self_care", 1), "utf-8")
    page = content_copy / "pages" / "oorpijn.nl.md"
    page.write_text(page.read_text("utf-8").replace("theme: child", "theme: kind"), "utf-8")
    overview = text(editor.get("/staff/editor/"))
    assert "hoesten.yaml" in overview and "geweigerd: 1 fout" in overview
    assert "patiënten krijgen de laatste goede versie" in overview
    assert "red flag 'breath_signs=sudden_breathless' can end in 'self_care'" in overview
    assert "oorpijn.nl.md" in overview and "'kind' is not allowed here" in overview
    report = text(editor.get("/staff/editor/lint"))
    assert "hoesten.yaml:" in report and "oorpijn.nl.md:" in report


def test_the_preview_shows_the_saved_file_as_patients_will_see_it(editor, content_copy):
    page = content_copy / "pages" / "hoesten.nl.md"
    page.write_text(page.read_text("utf-8").replace("title: Hoesten", "title: Hoesten (nieuw)"), "utf-8")
    preview = soup(editor.get("/staff/editor/pages/hoesten/nl"))
    assert preview.h1.get_text() == "Hoesten (nieuw)"
    assert preview.select_one("section.safety-net") is not None
    assert editor.get("/staff/editor/pages/hoesten/de").status_code == 404


def test_the_diagram_is_an_inline_svg_with_every_node(editor):
    page = soup(editor.get("/staff/editor/trees/buikpijn/diagram"))
    drawing = page.find("svg")
    assert drawing["role"] == "img"
    assert len(drawing.select("g.node")) == 9  # 3 questions (2 of them checklists) and 6 outcomes
    assert drawing.find("line", attrs={"stroke": "#b00020"}) is not None  # a red flag


def test_the_diagram_draws_a_trees_own_112_signs_from_the_emergency_screen(editor):
    drawing = soup(editor.get("/staff/editor/trees/hoofdpijn/diagram")).find("svg")
    assert drawing.select_one("g#node-emergency_screen") is not None
    assert drawing.select_one("g#node-call_112") is not None  # before: left out, unconnected
    words = [t.get_text() for t in drawing.find_all("text")]
    assert "Hoofdpijn die ineens kw…" in words  # the answer as the patient reads it (issue 14) …
    assert "thunderclap" not in words and "call_112" not in words  # … not its code


def test_the_simulator_walks_a_persona_and_names_the_covering_case(editor):
    base = "/staff/editor/trees/hoesten/simulate?who_for=child&age_band=child_1_4&sex=female"
    page = text(editor.get(base + "&a_emergency_screen=none&a_general_danger=none"))
    assert "Het kind ademt snel of zwaar" in page  # the children's item of the checklist
    page = text(editor.get(base + "&a_emergency_screen=none&a_general_danger=none&a_breath_signs=child_breathing"))
    assert "Uitkomst: Bel nu de praktijk" in page and "urgent_now" not in page  # the patient's words, not the id
    assert "Gedekt door scenario: “A child breathing fast with ribs pulling in means calling now”" in page
    # A child coughing up blood: no case gives these answers.
    answers = "&a_emergency_screen=none&a_general_danger=none&a_breath_signs=none&a_today_signs=coughing_blood"
    page = text(editor.get(base + answers))
    assert "Uitkomst: Bel vandaag de praktijk" in page
    assert "Geen scenario dekt dit pad" in page
    assert "Elke uitkomst heeft een scenario." in page


def test_the_simulator_shows_the_persona_in_words_and_goes_back_one_step(editor):
    base = "/staff/editor/trees/hoesten/simulate?who_for=child&age_band=child_1_4&sex=female"
    page = soup(editor.get(base + "&a_emergency_screen=none&a_general_danger=none"))
    chosen = page.select_one("#age_band option[selected]")
    assert chosen["value"] == "child_1_4" and "child_1_4" not in chosen.get_text()
    back = page.find("a", string="Eén stap terug") or page.find("a", string="One step back")
    assert back is not None
    assert "a_general_danger" not in back["href"] and "a_emergency_screen=none" in back["href"]
    previous = soup(editor.get(back["href"]))  # the general danger signs are asked again
    assert previous.select_one('input[name="a_general_danger"]') is not None
