"""The assistant's morning in Chromium: the list refreshes itself, a template fills the reply,
and one submit replies and closes. axe checks every new page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.storage.db import open_db
from tests.app.inbox.requests_factory import gen_request
from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser


def add_request(live_server, **fields):
    """A request as the patient flow stores it, straight into the server's database."""
    db = open_db(live_server.database)
    try:
        return gen_request(db, **fields)
    finally:
        db.close()


def new_count(page: Page) -> int:
    found = re.match(r"\((\d+)\)", page.title())
    return int(found.group(1)) if found else 0


def test_the_morning_list_refreshes_and_a_template_replies_and_closes_in_one_go(browser, live_server):
    base = live_server.base
    create_staff(live_server, "manager.e2e@example.nl", "practice_manager")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, base, "manager.e2e@example.nl")

    page.goto(f"{base}/staff/de-linde/templates")
    assert_accessible(page)
    page.locator("#title").fill("Hoest: bel voor een afspraak")
    page.locator("#body_nl").fill("Beste {voornaam}, bel ons op {praktijk_telefoon} voor een afspraak.")
    page.locator("#page").select_option("hoesten")
    page.locator("form[method=post] .button--primary").click()
    expect(page.get_by_role("link", name="Hoest: bel voor een afspraak")).to_be_visible()

    first = add_request(live_server, name="Willemijn Ochtend", birth_date="1961-03-04")
    page.clock.install()  # the page's timers run as usual, and the test can move them on (below)
    page.goto(f"{base}/staff/de-linde/inbox")
    assert_accessible(page)
    before = new_count(page)
    assert before >= 1
    expect(page.locator("#inbox-list")).to_contain_text("Willemijn Ochtend")

    # A request that arrives while the list is open appears without reloading, and the title counts it.
    add_request(live_server, name="Karel Later", tree="keelpijn", message="Keelpijn sinds gisteren")
    page.clock.fast_forward("00:31")  # the list's own poll (every 30 s) comes due now, not in 30 s
    expect(page.locator("#inbox-list")).to_contain_text("Karel Later", timeout=45_000)
    expect(page).to_have_title(re.compile(rf"^\({before + 1}\) "))

    page.locator("#q").fill("04-03-1961")
    page.locator("form.filters button").click()
    expect(page.locator("#inbox-list tbody tr")).to_have_count(1)
    page.locator("#inbox-list tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first.reference)
    assert_accessible(page)

    page.locator("#template").select_option(label="Hoest: bel voor een afspraak")  # htmx fills the reply
    expect(page.locator("#body")).to_have_value("Beste Willemijn, bel ons op 012 345 6701 voor een afspraak.")
    page.locator("#reply-close").check()
    page.locator("#reply-form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inbox")
    expect(page.locator("#inbox-list")).not_to_contain_text(first.reference)

    patient = browser.new_context().new_page()
    patient.goto(f"{base}/status/{first.status_token}")
    expect(patient.get_by_text("Beste Willemijn, bel ons op 012 345 6701")).to_be_visible()
    patient.locator(".message a[href$='/zelfhulp/hoesten']").click()
    expect(patient.get_by_role("heading", level=1)).to_be_visible()
