"""axe (WCAG 2.0 A/AA, 2.1 AA, 2.2 AA) on every inbox page in the state an assistant sees it in the
morning: a list with rows and filters on, a request with photos, a conversation and a template
chosen, the reply templates, the audit log, and the patient's status page with the conversation.

The data is stored through the portal's own storage functions in the live server's database;
the pages are the real server's, in Debian's Chromium. The patient's form and check page are
checked in ``test_inbox_e2e_browser.py``, where a patient fills them in.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal import photos
from portal.config import load_settings
from portal.storage import audit, conversation
from portal.storage import photos as photo_store
from portal.storage import reply_templates as templates_store
from portal.storage import requests as store
from portal.storage.db import open_db
from portal.storage.staff import find_staff
from tests.app.inbox.requests_factory import gen_request
from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import assert_accessible

pytestmark = pytest.mark.browser

ADMIN = "admin.axe@example.nl"


def png(width: int = 120, height: int = 90) -> bytes:
    """A small real picture (Pillow), as a phone camera would send a much larger one."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 120, 90))
    for x in range(0, width, 10):
        for y in range(height):
            image.putpixel((x, y), (40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@contextmanager
def server_db(live_server):
    """The live server's database, with this process's audit log keyed as the server's is:
    rows written here must verify as the server's own (the audit log page checks the chain)."""
    settings = load_settings(live_server.database.parent, environ=live_server.env)
    audit.configure(settings["AUDIT_KEY"], settings["AUDIT_CHECKPOINT_FILE"])
    db = open_db(live_server.database)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def morning(live_server):
    """An admin (inbox, templates and audit log in one account), a template, and a request with a
    photo, a staff reply and the patient's answer back: the fullest request page there is."""
    create_staff(live_server, ADMIN, "admin")
    with server_db(live_server) as db:
        admin = find_staff(db, ADMIN)
        assert admin is not None
        now = datetime.now(UTC)
        template = templates_store.create(
            db,
            "de-linde",
            templates_store.TemplateText(
                title="Huid: bel voor een afspraak",
                body_nl="Beste {voornaam}, bel ons op {praktijk_telefoon} voor een afspraak.",
                page="huiduitslag",
            ),
            staff_id=admin.id,
            now=now,
        )
        item = gen_request(db, tree="huiduitslag", name="Sanne Axe", message="Rode plekken op mijn arm.\nHet jeukt.")
        gen_request(db, tree="huiduitslag", urgency="U4", name="Tweede Axe", message="Een plek op mijn been.")
        photo_store.add_photos(db, item.id, [photos.clean(png(), "arm.png")], now=now)
        store.reply(db, item, admin.id, "Beste Sanne, kunt u nog een foto van dichtbij sturen?", now)
        answer = conversation.add_patient_message(
            db, item.id, "Hier is de foto van dichtbij. Het jeukt nu minder.", now=now, due=now + timedelta(days=1)
        )
        photo_store.add_photos(db, item.id, [photos.clean(png(), "dichtbij.png")], answer.message_id, now=now)
    return item, template


@pytest.fixture(scope="module")
def admin_page(browser, live_server, morning) -> Page:
    """Logged in once: a second login would need the next TOTP code (each code is accepted once)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
    log_in(page, live_server.base, ADMIN)
    expect(page.locator("h1")).to_contain_text("Inbox")
    return page


def test_axe_on_the_list_with_rows_and_filters_on(admin_page, live_server, morning):
    admin_page.goto(f"{live_server.base}/staff/de-linde/inbox?kind=econsult&complaint=huiduitslag&view=all")
    expect(admin_page.locator("#inbox-list tbody tr")).to_have_count(2)
    expect(admin_page.locator("#complaint option[selected]")).to_have_attribute("value", "huiduitslag")
    assert_accessible(admin_page)


def test_axe_on_a_request_with_a_photo_a_conversation_and_a_template_chosen(admin_page, live_server, morning):
    item, template = morning
    admin_page.goto(f"{live_server.base}/staff/de-linde/inbox?complaint=huiduitslag")
    admin_page.locator("#inbox-list tbody tr", has_text=item.reference).get_by_role("link").click()
    expect(admin_page.locator("h1")).to_contain_text(item.reference)
    photo = admin_page.locator(".photos img").first
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo shows no image"
    expect(admin_page.locator(".thread .message")).to_have_count(2)  # the reply and the answer back
    expect(admin_page.locator(".photos img")).to_have_count(2)  # with the question, and with the answer back
    admin_page.locator("#template").select_option(str(template.id))  # htmx fills the reply
    expect(admin_page.locator("#body")).to_have_value("Beste Sanne, bel ons op 012 345 6701 voor een afspraak.")
    assert_accessible(admin_page)


def test_axe_on_the_reply_templates_page(admin_page, live_server, morning):
    admin_page.goto(f"{live_server.base}/staff/de-linde/templates")
    expect(admin_page.get_by_role("link", name="Huid: bel voor een afspraak")).to_be_visible()
    assert_accessible(admin_page)


def test_axe_on_the_audit_log(admin_page, live_server, morning):
    admin_page.goto(f"{live_server.base}/staff/audit")
    expect(admin_page.locator("h1")).to_have_text("Auditlog")
    assert_accessible(admin_page)


def test_axe_on_the_patients_status_page_with_the_conversation(browser, live_server, morning):
    item, _template = morning
    page = browser.new_context(locale="nl-NL").new_page()
    page.goto(f"{live_server.base}/status/{item.status_token}")
    expect(page.get_by_text("Beste Sanne, kunt u nog een foto van dichtbij sturen?")).to_be_visible()
    expect(page.get_by_text("Hier is de foto van dichtbij.", exact=False)).to_be_visible()
    assert_accessible(page)
