"""A patient finds their complaint by typing a whole Dutch sentence, with and without JavaScript (issue 11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import PHONE

SENTENCES = [
    ("Ik heb sinds gisteren erge pijn in mijn buik", "Buikpijn"),
    ("mijn dochter heeft koorts en is erg hangerig", "Koorts bij een kind"),
]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_a_whole_sentence_finds_the_complaint_first(browser: Browser, server: str, javascript: bool):
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    page = context.new_page()
    for sentence, title in SENTENCES:
        page.goto(f"{server}/de-linde/")
        page.locator("#q").fill(sentence)
        if javascript:
            # htmx searches as the patient types; the results replace themselves in place.
            expect(page.locator("#results .tile").first).to_have_text(title)
        else:
            page.get_by_role("button", name="Zoeken").click()
            expect(page.locator("#results .tile").first).to_have_text(title)
            assert "q=" in page.url
    context.close()


def test_a_crisis_word_shows_113_and_112_on_the_results_page(browser: Browser, server: str):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{server}/de-linde/?q=ik+wil+dood")
    crisis = page.locator("#crisis-h")
    expect(crisis).to_be_visible()
    expect(page.locator('a[href="tel:113"]')).to_be_visible()
    expect(page.locator('a[href="tel:112"]').first).to_be_visible()
    context.close()
