"""The guided structure forms in a real browser against a real server: an editor on a phone adds an answer,
is told what still leads to an advice they try to remove, and adds an advice; axe on every structure page,
its error states included.

The staff pages are used in English (``?lang=en`` is remembered in a cookie), so the test holds before and
after the Dutch catalogue gets the new strings.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_change_control_browser import _person
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser

TREE = "keelpijn"


def test_an_editor_changes_a_trees_structure_in_forms_and_every_page_passes_axe(browser, live_server):
    base = live_server.base
    ann = _person(browser, live_server, "ann.structure@example.nl", "editor", {"width": 390, "height": 844})

    ann.get_by_role("link", name=f"Edit questions and answers {TREE}").click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("Questions and answers: Sore throat")
    assert_accessible(ann)

    # Change where an answer leads: the select shows the patients' words, not ids.
    ann.get_by_role("link", name="Change where it leads – 1 to 2 weeks").click()
    assert_accessible(ann)
    ann.get_by_label("Should lead to").select_option(label="Advice: Make a routine appointment (U5)")
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_text("Draft saved.")).to_be_visible()
    expect(ann.get_by_role("link", name="Check and submit the draft")).to_be_visible()
    assert_accessible(ann)

    # Add an answer; a missing English label is refused and what was typed stays.
    ann.get_by_role("link", name="Add an answer – How long has there been a sore throat?").click()
    ann.get_by_label("Answer – Dutch").fill("Langer dan een maand")
    ann.get_by_label("Leads to").select_option(label="Advice: Make a routine appointment (U5)")
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("Write this text in English.")
    expect(ann.get_by_label("Answer – Dutch")).to_have_value("Langer dan een maand")
    assert_accessible(ann)
    ann.get_by_label("Answer – English").fill("More than a month")
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.get_by_role("cell", name="More than a month", exact=True)).to_be_visible()

    # Removing an advice something leads to: refused, with what leads there in the patients' words.
    ann.goto(f"{base}/staff/editor/trees/{TREE}/structure/appointment_24h/remove")
    assert_accessible(ann)
    ann.get_by_role("button", name="Remove and save a draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("Something still leads here")
    expect(ann.locator("ul.references")).to_contain_text("Risk groups, instead of the advice")
    assert_accessible(ann)

    # The add-a-question and add-an-advice forms, empty and refused.
    ann.goto(f"{base}/staff/editor/trees/{TREE}/structure/question")
    assert_accessible(ann)
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("A question needs at least two answers.")
    assert_accessible(ann)
    ann.goto(f"{base}/staff/editor/trees/{TREE}/structure/outcome")
    assert_accessible(ann)
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("Choose what the patient should do.")
    assert_accessible(ann)
    ann.goto(f"{base}/staff/editor/trees/{TREE}/structure/answer/remove?at=duration/answers/0")
    assert_accessible(ann)

    # Change an advice's route and urgency: an advice a red flag leads to cannot become an e-consult.
    ann.goto(f"{base}/staff/editor/trees/{TREE}/structure/urgent_today/route")
    assert_accessible(ann)
    ann.get_by_label("What the patient should do, and how urgent it is").select_option(
        label="E-consult – U4: not urgent, within 24 hours"
    )
    ann.get_by_role("button", name="Save draft").click()
    expect(ann.locator(".error-summary")).to_contain_text("A red flag leads to this advice")
    assert_accessible(ann)
