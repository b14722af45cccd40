"""An editor previews a page and walks the simulator; axe on workbench and self-help pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def editor_page(browser, live_server):
    create_staff(live_server, "redactie.e2e@example.nl", "editor")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server.base, "redactie.e2e@example.nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Werkplaats")
    return page


def test_an_editor_previews_a_page_and_walks_the_simulator(editor_page: Page, live_server):
    page = editor_page
    page.goto(f"{live_server.base}/staff/editor/")
    assert_accessible(page)
    page.get_by_role("link", name="Voorbeeld keelpijn.nl.md").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Keelpijn")
    expect(page.locator("section.safety-net h2")).to_have_text("Wanneer contact opnemen met de praktijk?")
    assert_accessible(page)

    page.goto(f"{live_server.base}/staff/editor/trees/keelpijn/simulate")
    page.get_by_label("Voor wie").select_option("self")
    page.get_by_label("Leeftijdsgroep").select_option("adult_18_64")
    page.get_by_label("Geslacht").select_option("female")
    page.get_by_role("button", name="Start").click()
    for _ in range(2):  # the emergency screen, then the general danger signs (a checklist)
        page.get_by_label("Nee, geen van deze").check()
        page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("group", name="Heeft de persoon een of meer van deze dingen?")).to_be_visible()
    page.get_by_label("Ademen gaat moeilijk").check()  # a checkbox in the tree's alarm_signs checklist
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", name="Uitkomst: Bel nu de praktijk")).to_be_visible()  # words, not ids
    expect(page.get_by_text("Gedekt door scenario", exact=False)).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/editor/lint",
        "/staff/editor/trees/buikpijn/diagram",
        "/staff/editor/trees/keelpijn/texts",  # the form editor (issue 14)
        "/staff/editor/pages/keelpijn/nl/form",
        "/staff/editor/pages/new",
    ],
)
def test_axe_finds_no_violations_on_workbench_pages(editor_page: Page, live_server, path):
    editor_page.goto(live_server.base + path)
    assert_accessible(editor_page)


@pytest.mark.parametrize(
    "path",
    [
        "/de-linde/zelfhulp/",
        "/de-linde/zelfhulp/?q=keel",
        "/de-linde/zelfhulp/geldzorgen",
        "/het-anker/sociale-kaart/noordhaven-demo",
    ],
)
def test_axe_finds_no_violations_on_self_help_pages(page: Page, live_server, path):
    page.goto(live_server.base + path)
    assert_accessible(page)


def test_the_page_form_preview_follows_the_typing(editor_page: Page, live_server):
    """With JavaScript, the phone preview of the page form updates while the editor types (issue 14)."""
    page = editor_page
    page.goto(f"{live_server.base}/staff/editor/pages/keelpijn/nl/form")
    page.locator("#title").fill("Keelpijn en slikken")
    expect(page.locator("#page-preview .phone-frame h1")).to_have_text("Keelpijn en slikken")
    assert_accessible(page)
