"""The social map, the prelude and the search words in a real browser (issue 14): a practice manager on a
phone changes an address and a patient sees it; an editor drafts a new search word and a prelude change;
axe on every one of these pages.

The server is shared with the other browser tests: the change made to the social map is one no other test
reads (an address), and the drafts are thrown away at the end.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser

NEW_ADDRESS = "Marktplein 77, Zuiderdam (demo)"


def _person(browser, live_server, email: str, role: str, viewport: dict) -> Page:
    create_staff(live_server, email, role)
    page = browser.new_context(viewport=viewport).new_page()
    log_in(page, live_server.base, email)
    return page


def _patient_sees(page: Page, url: str, words: str) -> None:
    """Each worker looks for new versions every RULES_CHECK_SECONDS (half a second on the shared
    server, ``live_server``): try for a while, looking five times a second."""
    deadline = time.monotonic() + 15
    while True:
        page.goto(url)
        if words in page.locator("main").inner_text() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(page.locator("main")).to_contain_text(words)


def test_a_practice_manager_changes_the_social_map_on_a_phone(browser, live_server):
    base = live_server.base
    mia = _person(browser, live_server, "mia.sm@example.nl", "practice_manager", {"width": 390, "height": 844})
    mia.goto(f"{base}/staff/editor/social-map/?lang=en")
    assert_accessible(mia)
    mia.get_by_role("link", name="Zuiderdam (demo)").click()
    expect(mia.get_by_role("heading", level=1)).to_have_text("Social map: Zuiderdam (demo)")
    assert_accessible(mia)
    mia.get_by_role("link", name="Change Digitaal").click()
    assert_accessible(mia)

    mia.get_by_label("Phone number", exact=True).fill("bel ons")
    mia.get_by_label("Visiting address", exact=True).fill(NEW_ADDRESS)
    mia.get_by_role("button", name="Save and publish").click()
    expect(mia.locator(".error-summary")).to_contain_text("A phone number has only digits")
    expect(mia.get_by_label("Visiting address", exact=True)).to_have_value(NEW_ADDRESS)  # what was typed stays
    assert_accessible(mia)

    mia.get_by_label("Phone number", exact=True).fill("012 345 67 17")
    mia.get_by_role("button", name="Save and publish").click()
    expect(mia.get_by_text("Patients see it at once")).to_be_visible()
    _patient_sees(browser.new_context().new_page(), f"{base}/de-linde/sociale-kaart/zuiderdam-demo", NEW_ADDRESS)

    mia.get_by_role("link", name="History").click()
    assert_accessible(mia)
    mia.locator("tbody a").first.click()
    expect(mia.locator("table.diff")).to_contain_text(NEW_ADDRESS)
    assert_accessible(mia)
    mia.goto(f"{base}/staff/editor/social-map/zuiderdam-demo/services/taalhulp/remove")
    assert_accessible(mia)
    mia.goto(f"{base}/staff/editor/social-map/zuiderdam-demo/services/new")
    assert_accessible(mia)


def test_an_editor_drafts_search_words_and_a_prelude_change(browser, live_server):
    base = live_server.base
    ann = _person(browser, live_server, "ann.sf@example.nl", "editor", {"width": 1280, "height": 900})
    ann.goto(f"{base}/staff/editor/?lang=en")
    ann.get_by_role("link", name="Search words per complaint").click()
    assert_accessible(ann)
    ann.get_by_role("link", name="Sore throat").first.click()
    assert_accessible(ann)
    ann.get_by_label("New words (one per line)").first.fill("maagzuur")  # already leads to buikpijn
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("already leads to")
    assert_accessible(ann)
    ann.get_by_label("New words (one per line)").first.fill("schuurpapierkeel")
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_text("Wording only")).to_be_visible()
    assert_accessible(ann)
    ann.get_by_role("button", name="Throw this draft away").click()

    ann.goto(f"{base}/staff/editor/shared/prelude/edit")
    assert_accessible(ann)
    box = ann.get_by_label("Text of _prelude.yaml")
    box.fill(box.input_value().replace("Eerst even checken", "Eerst een korte check", 1))
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_text("Every tree was loaded on this prelude")).to_be_visible(timeout=30_000)
    expect(ann.get_by_text("Clinical logic").first).to_be_visible()
    assert_accessible(ann)
    ann.get_by_role("button", name="Throw this draft away").click()
    ann.goto(f"{base}/staff/editor/shared/prelude/history")
    assert_accessible(ann)
