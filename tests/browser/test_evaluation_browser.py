"""An evaluator opens the dashboard in Chromium; axe checks it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def evaluator_page(browser, live_server):
    result = live_server.voordeur("demo", "--sessions", "2000")
    assert result.returncode == 0, result.stderr
    create_staff(live_server, "evaluatie.e2e@example.nl", "evaluator")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server.base, "evaluatie.e2e@example.nl")
    return page


def test_the_dashboard_shows_the_flow_and_passes_axe(evaluator_page: Page, live_server):
    page = evaluator_page
    page.goto(f"{live_server.base}/staff/evaluatie/?van=2025-11-23&tot=2026-11-22")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluatie")
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.get_by_role("heading", name="Triage tegenover het besluit van de assistent")).to_be_visible()
    # Complaints show by their title ("Hoesten"), not by the tree id ("hoesten").
    complaints = page.locator("section[aria-labelledby=complaints-h] tbody th").all_inner_texts()
    assert complaints, "the dashboard lists no complaints"
    assert all(name[:1].isupper() for name in complaints), complaints
    page.get_by_text("De getallen in de grafiek").click()
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/staff/evaluatie/jaarverslag", "/staff/evaluatie/nulmeting"])
def test_axe_finds_no_violations_on_the_report_and_baseline(evaluator_page: Page, live_server, path):
    evaluator_page.goto(live_server.base + path)
    assert_accessible(evaluator_page)
