"""A tree's cases in a real browser against a real server: the list, the form (also with an error), the
refused removal and the simulator keeping a walk as a case — each page checked with axe, without JavaScript
needed (plain forms and links).

The staff pages are used in English (``?lang=en`` is remembered in a cookie), so the test holds before and
after the Dutch catalogue gets the new strings.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser

TREE = "oorpijn"
WALK = (
    "who_for=self&age_band=adult_18_64&sex=male&a_emergency_screen=none&a_general_danger=none"
    "&a_ear_alarm=none&a_duration=3_days_or_more"
)


def test_an_editor_changes_and_records_cases_on_accessible_pages(browser, live_server):
    base = live_server.base
    create_staff(live_server, "cora.cases@example.nl", "editor")
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, base, "cora.cases@example.nl")
    page.goto(f"{base}/staff/editor/?lang=en")
    page.get_by_role("link", name=f"Edit cases {TREE}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cases of the tree")
    assert_accessible(page)

    page.get_by_role("link", name="Change case 5").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change case 5")
    assert_accessible(page)
    page.get_by_label("Name of the case").fill("A typed name")
    page.get_by_label("The outcome these answers must lead to").select_option("urgent_today")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".error-summary")).to_contain_text("do not lead to the outcome you chose")
    expect(page.get_by_label("Name of the case")).to_have_value("A typed name")
    assert_accessible(page)

    page.goto(f"{base}/staff/editor/trees/{TREE}/cases/1/remove")
    expect(page.locator(".error-summary")).to_contain_text("This case cannot be removed")
    assert_accessible(page)

    page.goto(f"{base}/staff/editor/trees/{TREE}/simulate?{WALK}")
    assert_accessible(page)
    page.get_by_label("Name of the new case").fill("A man with earache for 3 days gets an appointment")
    page.get_by_role("button", name="Save this route as a test case").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_text("Every check passes")).to_be_visible()
    assert_accessible(page)
