"""End to end in Chromium, as issue 13 describes the assistant's morning:

1. a patient sends an e-consult with a photo (form → check your answers → status page);
2. an assistant opens it from the inbox, sees the photo, replies with a template and closes it;
3. the patient reads the reply on the status page and answers back, with another photo;
4. the request is back in the inbox, open again, with a fresh deadline, the thread showing both sides.

axe runs on every page on the way. Fields are found by id where the label is a new interface
string (its Dutch translation is merged later), by Dutch label elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from portal.storage import reply_templates as templates_store
from portal.storage import requests as store
from portal.storage.db import open_db
from portal.storage.staff import find_staff
from tests.browser.test_inbox_axe_browser import png, server_db
from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import (
    answer_profile,
    assert_accessible,
    choose,
    next_page,
    pass_danger_screens,
)

pytestmark = pytest.mark.browser

ASSISTANT = "assistent.e2e-morning@example.nl"
MANAGER = "manager.e2e-morning@example.nl"
TEMPLATE = "Hoest: kom langs bij de huisarts"
QUESTION = "Ik hoest al vier weken, vooral 's nachts. Op mijn arm zit ook een rode plek, zie de foto."
ANSWER_BACK = "Dank u. Ik bel morgen. De plek op mijn arm is wel groter geworden."


def walk_to_an_econsult(page: Page, base: str) -> None:
    """Hoesten, answered as a patient whose cough needs an e-consult."""
    page.goto(f"{base}/de-linde/triage/hoesten")
    pass_danger_screens(page)
    answer_profile(page)
    for _ in range(2):  # breath_signs, today_signs: checklists
        choose(page, "Nee, geen van deze")
        next_page(page)
    choose(page, "3 weken of langer")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)


def assert_image_shows(page: Page, image: Locator) -> None:
    """The image really loads (natural width > 0), not only has a ``src``; lazy images load once in view."""
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def add_template(live_server) -> int:
    """The practice manager's template (the templates page itself is tested elsewhere)."""
    create_staff(live_server, MANAGER, "practice_manager")
    with server_db(live_server) as db:
        manager = find_staff(db, MANAGER)
        assert manager is not None
        text = templates_store.TemplateText(
            title=TEMPLATE,
            body_nl="Beste {voornaam}, de huisarts wil u graag zien. Bel ons op {praktijk_telefoon}.",
            page="hoesten",
        )
        return templates_store.create(db, "de-linde", text, staff_id=manager.id, now=datetime.now(UTC)).id


def stored(live_server, reference: str) -> store.PracticeRequest:
    db = open_db(live_server.database)
    try:
        found = [row for row in db.query("SELECT id FROM requests WHERE reference = ?", [reference])]
        item = store.for_practice(db, "de-linde", found[0]["id"])
        assert item is not None
        return item
    finally:
        db.close()


def test_econsult_with_a_photo_template_reply_and_close_answer_back_and_reopen(browser, live_server):
    base = live_server.base
    add_template(live_server)

    # 1. The patient: the form, a photo, check your answers, send.
    patient = browser.new_context(viewport={"width": 375, "height": 812}, locale="nl-NL").new_page()
    walk_to_an_econsult(patient, base)
    patient.get_by_role("link", name="Stel uw vraag op schrift").click()
    expect(patient.locator("#message")).to_be_visible()
    assert_accessible(patient)
    patient.locator("#name").fill("Anna de Vries")
    patient.locator("#birth_day").fill("17")
    patient.locator("#birth_month").fill("5")
    patient.locator("#birth_year").fill("1980")
    patient.locator("#phone").fill("06 12345678")
    patient.locator("#message").fill(QUESTION)
    patient.locator("#photos").set_input_files([{"name": "arm.png", "mimeType": "image/png", "buffer": png()}])
    patient.locator("button[name=action][value=check]").click()

    expect(patient.locator("dl.summary-list")).to_contain_text("Anna de Vries")
    expect(patient.locator("dl.summary-list")).to_contain_text("arm.png")
    assert_accessible(patient)
    patient.locator("button[name=action][value=send]").click()

    expect(patient.get_by_role("heading", level=1)).to_have_text("Uw vraag is verstuurd")
    assert_accessible(patient)
    status_url = patient.url.split("?")[0]
    reference = patient.locator(".confirmation strong").inner_text()
    sent = stored(live_server, reference)
    assert sent.status == "new"

    # 2. The assistant: the list, the request with its photo, a template, reply and close.
    create_staff(live_server, ASSISTANT, "assistant")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
    log_in(staff, base, ASSISTANT)
    staff.goto(f"{base}/staff/de-linde/inbox?kind=econsult&q={reference}")
    row = staff.locator("#inbox-list tbody tr", has_text=reference)
    expect(row).to_contain_text("Hoesten")
    expect(row).to_contain_text("Ik hoest al vier weken")
    row.get_by_role("link").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(staff.locator(".photos img")).to_have_count(1)
    assert_image_shows(staff, staff.locator(".photos img"))
    staff.locator("#template").select_option(label=TEMPLATE)  # htmx fills the reply, no page load
    reply = "Beste Anna, de huisarts wil u graag zien. Bel ons op 012 345 6701."
    expect(staff.locator("#body")).to_have_value(reply)
    assert_accessible(staff)
    staff.locator("#reply-close").check()
    staff.locator("#reply-form button[type=submit]").click()
    # Nothing else matches this search: after the close the assistant is back on that list.
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Inbox")
    expect(staff.locator("#inbox-list")).not_to_contain_text(reference)
    closed = stored(live_server, reference)
    assert closed.status == "closed"

    # 3. The patient reads the reply and answers back.
    patient.goto(status_url)
    expect(patient.get_by_text(reply)).to_be_visible()
    expect(patient.get_by_text(QUESTION)).to_be_visible()  # their own question stays in view
    assert_accessible(patient)
    patient.locator("#body").fill(ANSWER_BACK)
    answer_form = patient.locator("form[action$='/reactie']")
    answer_form.locator("#photos").set_input_files(
        [{"name": "arm-later.png", "mimeType": "image/png", "buffer": png(160, 120)}]
    )
    answered_back = datetime.now(UTC).replace(microsecond=0)
    answer_form.locator("button[type=submit]").click()
    expect(patient.locator(".ok-message[role=status]")).to_be_visible()
    expect(patient.get_by_text(ANSWER_BACK)).to_be_visible()
    assert_accessible(patient)

    # 4. The request is open again in the inbox, with a fresh deadline, and the thread shows both sides.
    reopened = stored(live_server, reference)
    assert reopened.status != "closed" and reopened.closed_at is None
    assert reopened.reopened_at is not None and datetime.fromisoformat(reopened.reopened_at) >= answered_back
    assert datetime.fromisoformat(reopened.due_at) > answered_back  # a deadline counted from the answer back
    staff.goto(f"{base}/staff/de-linde/inbox?q={reference}")
    row = staff.locator("#inbox-list tbody tr", has_text=reference)
    expect(row.locator(".badge--due")).to_be_visible()  # the clock runs again; not "answered", not late
    row.get_by_role("link").click()
    expect(staff.locator(".badge--patient")).to_be_visible()  # "reply from patient"
    thread = staff.locator(".thread")
    expect(thread).to_contain_text(reply)
    expect(thread).to_contain_text(ANSWER_BACK)
    texts = thread.locator(".message .patient-text").all_inner_texts()
    assert texts.index(reply) < texts.index(ANSWER_BACK), texts
    later_photo = thread.locator(".message", has_text=ANSWER_BACK).locator(".photos img")
    expect(later_photo).to_have_count(1)
    assert_image_shows(staff, later_photo)
    assert_accessible(staff)
