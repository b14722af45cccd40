"""With JavaScript on, a failed triage step says so in the panel (with the 112 advice).

Before: htmx 2 does not swap 4xx/5xx answers, so pressing Volgende while the database
refused writes looked like a button that did nothing.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

EMERGENCY_QUESTION = "Is er nu een van deze dingen aan de hand?"
DANGER_QUESTION = "Heeft de persoon nu een of meer van deze dingen?"  # the screen after it


@contextmanager
def write_lock(database):
    """Hold SQLite's write lock, as a long write in another process would: the app's writers
    wait their busy timeout (5 s) and give up."""
    connection = sqlite3.connect(database, isolation_level=None, timeout=10)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def _start_triage(page: Page, server: str) -> None:
    page.goto(f"{server}/de-linde/triage/hoesten")
    expect(page.get_by_role("heading", level=1)).to_have_text(EMERGENCY_QUESTION)
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Nee, geen van deze", exact=True).check()


def _first_heading(html: str) -> str:
    """The first h1 or error-summary title the server sent, as plain text."""
    found = re.search(r"<(h1|h2 class=\"error-summary__title\")[^>]*>(.*?)</h[12]>", html, re.S)
    assert found, html
    return " ".join(re.sub(r"<[^>]+>", " ", found[2]).split())


def test_a_server_error_during_a_step_is_shown_in_the_panel(page: Page, live_server):
    _start_triage(page, live_server.base)
    panel = page.locator("#panel")
    before = panel.inner_text()
    with write_lock(live_server.database):
        with page.expect_response(lambda r: r.request.method == "POST", timeout=20_000) as info:
            page.get_by_role("button", name="Volgende").click()
        response = info.value
        assert response.status >= 500
        heading = _first_heading(response.text())
    expect(panel).to_contain_text(heading)
    expect(panel).to_contain_text("112")
    assert panel.inner_text() != before
    # focus moves to the new content, as after any other swap
    expect(page.locator("#panel :focus")).to_have_count(1)


def test_no_connection_during_a_step_is_shown_in_the_panel_and_the_form_stays(page: Page, server: str):
    _start_triage(page, server)
    page.route(re.compile(r".*/triage/hoesten$"), lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Volgende").click()
    message = page.locator("#panel [role=alert]")
    expect(message).to_contain_text("Dit is niet verstuurd")
    expect(message).to_contain_text("112")
    expect(message).to_be_focused()
    expect(page.get_by_label("Nee, geen van deze", exact=True)).to_be_checked()  # the answer is still there
    # Once the connection is back, the next press moves on.
    page.unroute(re.compile(r".*/triage/hoesten$"))
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DANGER_QUESTION)
    expect(message).to_have_count(0)


def test_an_empty_error_answer_is_shown_as_not_sent(page: Page, server: str):
    _start_triage(page, server)
    page.route(re.compile(r".*/triage/hoesten$"), lambda route: route.fulfill(status=502, body=""))
    page.get_by_role("button", name="Volgende").click()
    expect(page.locator("#panel [role=alert]")).to_contain_text("112")
    expect(page.get_by_role("heading", level=1)).to_have_text(EMERGENCY_QUESTION)


def test_form_errors_still_show_in_place(page: Page, server: str):
    page.goto(f"{server}/de-linde/triage/hoesten")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_role("button", name="Volgende").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text(EMERGENCY_QUESTION)
