"""The request form in Chromium: the date in three boxes, a refused photo, check your answers, change,
remove a photo, send. axe on the form with errors and on the check page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import photo_files
from tests.browser.test_patient_browser import answer_profile, assert_accessible, choose, next_page, pass_danger_screens

pytestmark = pytest.mark.browser


def walk_to_the_econsult_form(page: Page, base: str) -> None:
    page.goto(f"{base}/de-linde/triage/hoesten")
    pass_danger_screens(page)
    answer_profile(page)
    for _ in range(2):
        choose(page, "Nee, geen van deze")
        next_page(page)
    choose(page, "3 weken of langer")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)
    page.get_by_role("link", name="Stel uw vraag op schrift").click()


def test_errors_check_change_remove_and_send(browser, live_server):
    """Every step also works without JavaScript: the Flask-client tests (tests/app/patient/) post the same forms."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="nl-NL")
    page = context.new_page()
    walk_to_the_econsult_form(page, live_server.base)
    page.locator("#name").fill("Anna de Vries")
    page.locator("#birth_day").fill("31")
    page.locator("#birth_month").fill("2")
    page.locator("#birth_year").fill("1980")
    page.locator("#phone").fill("06 12345678")
    page.locator("#message").fill("Een rode plek op mijn arm.")
    page.locator("#photos").set_input_files(
        [
            {"name": "arm.jpg", "mimeType": "image/jpeg", "buffer": photo_files.phone_jpeg()},
            {"name": "notitie.jpg", "mimeType": "image/jpeg", "buffer": photo_files.text_named_jpg()},
            {"name": "been.png", "mimeType": "image/png", "buffer": photo_files.png()},
        ]
    )
    page.locator("button[name=action][value=check]").click()

    # Two problems, each said once; what was typed is still there; the good photos are kept.
    expect(page.locator(".error-summary a")).to_have_count(2)
    expect(page.locator("#birth_day")).to_have_value("31")
    expect(page.locator("#message")).to_have_value("Een rode plek op mijn arm.")
    expect(page.locator("#photos-error")).to_contain_text("notitie.jpg")
    expect(page.locator("label[for^=remove_photo-]")).to_have_count(2)
    assert_accessible(page)

    page.locator("#birth_day").fill("28")
    page.locator("button[name=action][value=check]").click()
    summary = page.locator("dl.summary-list")
    expect(summary).to_contain_text("28 februari 1980")
    expect(summary).to_contain_text("arm.jpg")
    expect(summary).to_contain_text("been.png")
    assert_accessible(page)

    # Remove a photo, then change the question, then send.
    page.locator("button[name=remove_photo]").last.click()
    expect(page.locator("dl.summary-list")).not_to_contain_text("been.png")
    page.locator("button[value='change:message']").click()
    expect(page.locator("#message")).to_be_focused()
    page.locator("#message").fill("Een rode plek op mijn arm, sinds een week.")
    page.locator("button[name=action][value=check]").click()
    expect(page.locator("dl.summary-list")).to_contain_text("sinds een week")
    page.locator("button[name=action][value=send]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw vraag is verstuurd")
    context.close()
