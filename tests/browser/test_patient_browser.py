"""A patient on a phone-sized Chromium, with and without JavaScript; axe on every page type."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: The rules of WCAG 2.0 A/AA, 2.1 AA and 2.2 AA. ``resultTypes``: the violations come back in
#: full, as before; of the rules that pass or do not apply axe describes one element each instead of
#: every one (building a selector for each checked element and sending them all back cost about a
#: quarter of a check). The same rules run on the same page: what is checked is unchanged.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
axe = Axe()
_AXE_VERSION = re.search(r"axe v([0-9.]+)", axe.axe_script[:200]).group(1)


def assert_accessible(page: Page) -> None:
    """axe on the page as it is now. axe-core (~570 KB) is injected once per document: a page that
    was not reloaded since its last check (an htmx swap, a second check) still has it."""
    if page.evaluate("() => typeof axe === 'object' && axe.version") != _AXE_VERSION:
        page.evaluate(axe.axe_script)
    results = AxeResults(page.evaluate("options => axe.run(document, options)", AXE_OPTIONS))
    assert results.violations_count == 0, results.generate_report()


def choose(page: Page, label: str) -> None:
    page.get_by_label(label, exact=True).check()


def next_page(page: Page, *, moves_on: bool = True) -> None:
    """Press Volgende; wait until the new page (htmx swap or full load) is there."""
    before = page.locator("h1").inner_text()
    page.get_by_role("button", name="Volgende").click()
    if moves_on:
        expect(page.locator("h1")).not_to_have_text(before)
    else:
        expect(page.locator(".error-summary")).to_be_visible()


DANGER_QUESTION = "Heeft de persoon nu een of meer van deze dingen?"


def pass_danger_screens(page: Page) -> None:
    """Answer "none" on the emergency screen and on the general danger signs after it."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Is er nu een van deze dingen aan de hand?")
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(DANGER_QUESTION)
    choose(page, "Nee, geen van deze")
    next_page(page)


def answer_profile(
    page: Page, who: str = "Voor mezelf", age: str = "18 t/m 64 jaar", sex: str = "Vrouw of meisje"
) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Over wie gaat het?")
    choose(page, who)
    choose(page, age)
    choose(page, sex)
    next_page(page)


def test_a_red_flag_ends_at_call_112_within_two_screens(page: Page, server: str):
    page.goto(f"{server}/de-linde/")
    page.get_by_role("link", name="Buikpijn").first.click()
    # Screen 1: the emergency screen.
    expect(page.get_by_role("heading", level=1)).to_have_text("Is er nu een van deze dingen aan de hand?")
    choose(page, "Veel pijn of een zwaar, drukkend gevoel op de borst")
    next_page(page)
    # Screen 2: call 112, as a tel: link at the top.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bel nu 112")
    call = page.locator(".care-card__body a").first
    expect(call).to_have_attribute("href", "tel:112")
    expect(page).to_have_url(f"{server}/de-linde/triage/buikpijn/" + page.url.split("/")[-2] + "/uitkomst")


def test_a_patient_reaches_self_care_and_focus_follows_each_new_question(page: Page, server: str):
    page.goto(f"{server}/de-linde/triage/keelpijn")
    pass_danger_screens(page)
    answer_profile(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Heeft de persoon een of meer van deze dingen?")
    expect(heading).to_be_focused()
    expect(page.get_by_text("Stap 4 van ongeveer", exact=False)).to_be_visible()
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(heading).to_have_text("Geldt een of meer van deze dingen?")
    expect(heading).to_be_focused()
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(heading).to_be_focused()
    choose(page, "Korter dan 1 week")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("U kunt dit zelf goed aanpakken")
    expect(page.get_by_role("heading", name="Wanneer toch contact opnemen met de praktijk")).to_be_visible()


def test_the_back_button_and_previous_link_return_to_the_earlier_answer(page: Page, server: str):
    page.goto(f"{server}/de-linde/triage/hoesten")
    pass_danger_screens(page)
    answer_profile(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Heeft de persoon een of meer van deze dingen?")
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Geldt een of meer van deze dingen?")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heeft de persoon een of meer van deze dingen?")
    expect(page.get_by_label("Nee, geen van deze", exact=True)).to_be_checked()
    page.get_by_role("link", name="Vorige vraag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Over wie gaat het?")


def test_without_javascript_a_triage_still_completes(browser, server: str):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{server}/het-anker/triage/zorgen")
    pass_danger_screens(page)
    next_page(page, moves_on=False)  # nothing chosen: the error summary appears
    expect(page).to_have_title("Fout: Over wie gaat het? – Zorgen over geld, alleen zijn of zorgen voor iemand")
    choose(page, "Voor mezelf")
    choose(page, "65 jaar of ouder")
    choose(page, "Man of jongen")
    next_page(page)
    for _ in range(3):
        choose(page, "Nee")
        next_page(page)
    choose(page, "Ik voel me alleen")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meer contact met anderen")
    expect(page.get_by_role("heading", name="Welzijn op Recept Noordhaven")).to_be_visible()
    page.get_by_label("Uw gemeente").select_option("zuiderdam-demo")  # a plain GET form: no JavaScript needed
    page.get_by_role("button", name="Toon").click()
    expect(page.get_by_role("heading", name="Welzijn op Recept Zuiderdam")).to_be_visible()
    context.close()


def test_the_language_switch_survives_htmx_steps(page: Page, server: str):
    page.goto(f"{server}/de-linde/")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Sore throat").first.click()
    choose(page, "No, none of these")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Does the person have one or more of these now?")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    choose(page, "No, none of these")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is it about?")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_question_page_fits_a_320_pixel_screen(browser, server: str):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{server}/de-linde/triage/buikpijn")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    context.close()


OUTCOME_PATHS = {
    "emergency": ("keelpijn", [["Ademt niet, of ademt niet normaal"]]),
    "urgent": ("keelpijn", ["danger", "profile", ["Ademen gaat moeilijk"]]),
    "appointment": ("zorgen", ["danger", "profile", ["Nee"], ["Nee"], ["Ja"]]),
    "econsult": ("zorgen", ["danger", "profile", ["Nee"], ["Nee"], ["Nee"], ["Iets anders"]]),
    "social_domain": (
        "zorgen",
        ["danger", "profile", ["Nee"], ["Nee"], ["Nee"], ["Geld, rekeningen of schulden"]],
    ),
    "self_care": (
        "hoofdpijn",
        [
            "danger",
            "profile",
            ["Nee, geen van deze"],
            ["Nee, geen van deze"],
            ["Ik ken deze hoofdpijn. Hij is zoals altijd."],
            ["Nee, geen van deze", "Nee"],
        ],
    ),
}


def test_a_complaints_own_112_sign_is_on_the_first_screen(page: Page, server: str):
    page.goto(f"{server}/de-linde/triage/hoofdpijn")
    choose(page, "Hoofdpijn die ineens kwam, binnen een minuut, en de ergste hoofdpijn ooit is")
    next_page(page)
    expect(page.locator(".care-card--emergency")).to_be_visible()
    expect(page.locator('a[href="tel:112"]').first).to_be_visible()


def test_axe_finds_no_violations_on_the_start_pages(page: Page, server: str):
    page.goto(f"{server}/")
    assert_accessible(page)
    page.goto(f"{server}/de-linde/?q=keel")
    assert_accessible(page)
    page.goto(f"{server}/de-linde/bestaat-niet")
    assert_accessible(page)


def test_axe_finds_no_violations_on_question_pages_and_errors(page: Page, server: str):
    page.goto(f"{server}/de-linde/triage/keelpijn")
    assert_accessible(page)  # the emergency screen
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(DANGER_QUESTION)
    assert_accessible(page)  # the general danger signs: a checklist
    choose(page, "Nee, geen van deze")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Over wie gaat het?")
    assert_accessible(page)  # the profile page
    next_page(page, moves_on=False)
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)  # the error state
    answer_profile(page)
    assert_accessible(page)  # a tree question


@pytest.mark.parametrize("route", list(OUTCOME_PATHS))
def test_axe_finds_no_violations_on_each_outcome(page: Page, server: str, route: str):
    tree, steps = OUTCOME_PATHS[route]
    page.goto(f"{server}/de-linde/triage/{tree}")
    for step in steps:
        if step == "danger":
            pass_danger_screens(page)
            continue
        if step == "profile":
            answer_profile(page)
            continue
        for label in step:
            choose(page, label)
        next_page(page)
    expect(page.locator(f".care-card--{route}")).to_be_visible()
    assert_accessible(page)
