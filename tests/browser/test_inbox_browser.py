"""End to end in Chromium: a patient sends an e-consult, an assistant answers it."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_patient_browser import (
    answer_profile,
    assert_accessible,
    choose,
    next_page,
    pass_danger_screens,
)
from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def create_staff(live_server, email: str, role: str) -> None:
    """An account for de-linde with STAFF_PASSWORD, as `voordeur users create --password-stdin` makes it
    (written in this process: ``LiveServer.create_staff``)."""
    live_server.create_staff(email, role)


def log_in(page: Page, base: str, email: str, check_accessibility: bool = False) -> None:
    page.goto(f"{base}/staff/login")
    if check_accessibility:
        assert_accessible(page)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stel uw authenticator-app in")
    if check_accessibility:
        assert_accessible(page)
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code shows no image"
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code van 6 cijfers uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Inloggen").click()


def fill_econsult(page: Page, question: str = "Ik hoest al vier weken, vooral 's nachts.") -> None:
    """Fill in the e-consult form and go on to the "check your answers" page; the caller sends.

    The date of birth is three fields (day, month, year), found by id: their labels are new.
    """
    page.get_by_label("Volledige naam van de patiënt").fill("Anna de Vries")
    page.locator("#birth_day").fill("17")
    page.locator("#birth_month").fill("5")
    page.locator("#birth_year").fill("1980")
    page.get_by_label("Telefoonnummer").fill("06 12345678")
    page.get_by_label("Uw vraag").fill(question)
    page.locator("button[name=action][value=check]").click()
    expect(page.locator("dl.summary-list")).to_contain_text("Anna de Vries")


def test_a_patient_sends_an_econsult_and_reads_the_assistants_reply(browser, live_server):
    base = live_server.base
    patient = browser.new_context(viewport={"width": 375, "height": 812}).new_page()
    patient.goto(f"{base}/de-linde/triage/hoesten")
    pass_danger_screens(patient)
    answer_profile(patient)
    for _ in range(2):  # breath_signs, today_signs: checklists
        choose(patient, "Nee, geen van deze")
        next_page(patient)
    choose(patient, "3 weken of langer")
    next_page(patient)
    choose(patient, "Nee, geen van deze")
    choose(patient, "Nee")
    next_page(patient)
    patient.get_by_role("link", name="Stel uw vraag op schrift").click()
    assert_accessible(patient)
    fill_econsult(patient)
    patient.get_by_role("button", name="Versturen").click()
    expect(patient.get_by_role("heading", level=1)).to_have_text("Uw vraag is verstuurd")
    assert_accessible(patient)
    status_url = patient.url
    reference = patient.locator(".confirmation strong").inner_text()

    create_staff(live_server, "assistent.e2e@example.nl", "assistant")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(staff, base, "assistent.e2e@example.nl", check_accessibility=True)
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Inbox")
    assert_accessible(staff)
    # The new list links the complaint title; the reference stands next to it in the same row.
    staff.locator("#inbox-list tbody tr", has_text=reference).get_by_role("link", name="Hoesten").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    assert_accessible(staff)
    staff.get_by_label("Antwoord aan de patiënt").fill("Kom morgen om 9 uur langs, dan luistert de huisarts.")
    staff.get_by_role("button", name="Antwoord versturen").click()
    expect(staff.get_by_text("Kom morgen om 9 uur langs", exact=False).first).to_be_visible()

    patient.goto(status_url.split("?")[0])
    expect(patient.get_by_text("Kom morgen om 9 uur langs, dan luistert de huisarts.")).to_be_visible()
    expect(patient.get_by_text("Beantwoord")).to_be_visible()


def test_axe_finds_no_violations_on_the_audit_log(browser, live_server):
    create_staff(live_server, "admin.e2e@example.nl", "admin")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server.base, "admin.e2e@example.nl")
    page.goto(f"{live_server.base}/staff/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Auditlog")
    expect(page.get_by_text("De auditketen is intact.")).to_be_visible()
    assert_accessible(page)
