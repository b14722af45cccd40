"""An evaluator opens the dashboard in Chromium; axe checks it."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def evaluator_page(browser, live_server):
    live_server.add_synthetic_triages(2000)  # what `voordeur demo --sessions 2000` adds
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


def test_at_a_glance_on_a_phone_with_filters_and_axe(evaluator_page: Page, live_server):
    """The headlines come first, the week labels do not overlap, the filters show, and axe passes."""
    page = evaluator_page
    page.set_viewport_size(PHONE)
    try:
        page.goto(f"{live_server.base}/staff/evaluatie/?van=2025-11-23&tot=2026-11-22")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 10_000, height  # every complaint, a year: detail is folded away
        page.goto(f"{live_server.base}/staff/evaluatie/?van=2025-11-23&tot=2026-11-22&per=week&klacht=hoesten")
        headlines = page.locator(".headline")
        expect(headlines).to_have_count(4)
        # Above the fold: the first headline is on the phone's first screen.
        assert headlines.first.bounding_box()["y"] < PHONE["height"] - 100
        expect(page.locator("#filter-summary")).to_contain_text("Hoesten")
        labels = page.locator("#chart-without_visit-title").locator("xpath=..").locator("text.chart__x")
        axis = sorted((box for box in (t.bounding_box() for t in labels.all()) if box), key=lambda b: b["x"])
        assert 2 <= len(axis) <= 6
        assert all(a["x"] + a["width"] <= b["x"] for a, b in itertools.pairwise(axis)), axis  # no overlap
        page.locator("#without-visit-h ~ details > summary").first.click()  # the table behind the chart
        assert_accessible(page)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
