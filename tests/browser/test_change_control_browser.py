"""Change control in a real browser against a real server (two gunicorn workers, the demo database):
an editor on a phone changes a page, a second editor approves, patients see it, a rollback brings the
old text back; axe on every change-control page.

The staff pages are used in English (``?lang=en`` is remembered in a cookie), so the test holds
before and after the Dutch catalogue gets the new strings.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser

OLD_TITLE, NEW_TITLE = "Moe zijn", "Moe zijn en weinig energie"


def _person(browser, live_server, email: str, role: str, viewport: dict) -> Page:
    create_staff(live_server, email, role)
    page = browser.new_context(viewport=viewport).new_page()
    log_in(page, live_server.base, email)
    page.goto(f"{live_server.base}/staff/editor/?lang=en")
    return page


def _patient_sees(page: Page, url: str, title: str) -> None:
    """Each worker looks for new versions every RULES_CHECK_SECONDS (half a second on the shared
    server, ``live_server``): try for a while, looking five times a second."""
    deadline = time.monotonic() + 15
    while True:
        page.goto(url)
        if page.locator("h1").inner_text() == title or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(page.locator("h1")).to_have_text(title)


def test_a_page_change_is_drafted_on_a_phone_reviewed_published_and_rolled_back(browser, live_server):
    base = live_server.base
    ann = _person(browser, live_server, "ann.cc@example.nl", "editor", {"width": 390, "height": 844})
    ben = _person(browser, live_server, "ben.cc@example.nl", "editor", {"width": 1280, "height": 900})
    patient = browser.new_context().new_page()

    ann.goto(f"{base}/staff/editor/pages/moe/nl/edit")
    assert_accessible(ann)
    box = ann.get_by_label("Text of moe.nl")
    box.fill(box.input_value().replace(f"title: {OLD_TITLE}", f"title: {NEW_TITLE}", 1))
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_role("heading", level=1)).to_contain_text("moe.nl")
    expect(ann.get_by_text("Every check passes")).to_be_visible()
    assert_accessible(ann)
    ann.get_by_role("link", name="Preview as a patient sees it").click()
    expect(ann.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
    ann.go_back()
    ann.get_by_role("button", name="Submit for review").click()
    expect(ann.get_by_text("Submitted for review.")).to_be_visible()
    _patient_sees(patient, f"{base}/de-linde/zelfhulp/moe", OLD_TITLE)  # not live before review

    ben.goto(f"{base}/staff/editor/changes")
    assert_accessible(ben)
    ben.get_by_role("link", name="moe.nl").first.click()
    ben.get_by_role("button", name="Approve and publish").click()
    expect(ben.get_by_text(re.compile(r"Approved and published as version \d+"))).to_be_visible()
    assert_accessible(ben)
    _patient_sees(patient, f"{base}/de-linde/zelfhulp/moe", NEW_TITLE)

    ben.goto(f"{base}/staff/editor/pages/moe/nl/history")
    assert_accessible(ben)
    rows = ben.locator("tbody tr")
    expect(rows.first).to_contain_text("live")
    rows.first.get_by_role("link").click()  # the new version: its differences with the one before
    expect(ben.locator("table.diff")).to_contain_text(f"removed title: {OLD_TITLE}")
    assert_accessible(ben)
    ben.go_back()
    ben.locator("tbody tr").nth(1).get_by_role("link").click()  # the version before
    ben.get_by_label("Why roll back? (the reviewer reads this)").fill("Back to the shorter title.")
    ben.get_by_role("button", name="Ask for a rollback (reviewed like any change)").click()
    expect(ben.get_by_text("The rollback is submitted for review.")).to_be_visible()
    rollback_url = ben.url

    ann.goto(rollback_url)
    ann.get_by_role("button", name="Approve and publish").click()
    expect(ann.get_by_text(re.compile(r"Approved and published as version \d+"))).to_be_visible()
    _patient_sees(patient, f"{base}/de-linde/zelfhulp/moe", OLD_TITLE)
