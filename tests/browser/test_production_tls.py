"""The portal in production mode over real TLS, in Chromium: every form must work.

Regression: Flask-WTF's strict HTTPS check wants a same-site Referer, and the
portal sent ``Referrer-Policy: no-referrer``, so the browser sent none and every
POST (the first triage screen, the e-consult, the staff login) answered 400.
"""

from __future__ import annotations

import ssl

import pytest
import trustme
from playwright.sync_api import expect

from tests.browser.test_inbox_browser import create_staff, fill_econsult, log_in
from tests.browser.test_patient_browser import answer_profile, choose, next_page, pass_danger_screens
from tests.conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, demo_database):
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certificate.cert_chain_pems[0].write_to_path(str(certfile))
    for blob in certificate.cert_chain_pems[1:]:
        blob.write_to_path(str(certfile), append=True)
    certificate.private_key_pem.write_to_path(str(keyfile))
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    live = start_live_server(
        folder,
        extra_env={
            "VOORDEUR_ENV": "production",
            "VOORDEUR_SECRET_KEY": "production-tls-test-secret-" + "x" * 32,
            "VOORDEUR_PUBLIC_URL": "https://voordeur.example.nl",
        },
        tls=(str(certfile), str(keyfile), trusted),
        database=demo_database,
    )
    yield live
    stop_live_server(live)


@pytest.fixture
def tls_page(browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 375, "height": 812}, locale="nl-NL")
    yield context.new_page()
    context.close()


def test_a_patient_triages_and_sends_an_econsult_over_https_in_production(tls_page, tls_server):
    page = tls_page
    responses: list[int] = []
    page.on(
        "response", lambda response: responses.append(response.status) if response.request.method == "POST" else None
    )
    page.goto(f"{tls_server.base}/de-linde/triage/hoesten")
    pass_danger_screens(page)
    answer_profile(page)
    for _ in range(2):  # the breathing signs and the signs for today: none
        choose(page, "Nee, geen van deze")
        next_page(page)
    choose(page, "3 weken of langer")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)
    page.get_by_role("link", name="Stel uw vraag op schrift").click()
    fill_econsult(page)
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw vraag is verstuurd")
    assert responses and all(status < 400 for status in responses), responses
    cookies = page.context.cookies()
    assert all(cookie["secure"] for cookie in cookies if cookie["name"] == "voordeur_session")


def test_staff_log_in_over_https_in_production(tls_page, tls_server):
    create_staff(tls_server, "tls@example.nl", "assistant")
    log_in(tls_page, tls_server.base, "tls@example.nl")
    expect(tls_page.get_by_role("heading", level=1)).to_contain_text("Inbox")
