"""Issue 14's "Done when", as one scenario in a real browser against a real server of its own.

An editor changes a sentence of a tree in the tree texts form and writes a new self-help page in the
new-page form, and submits both; she cannot approve her own changes; a clinical reviewer approves; a
patient in another browser sees the new sentence and the new page, while a patient who was halfway
through the triage during the publish finishes it (or restarts at the start) without an error page;
the editor rolls the tree change back, reviewed and approved like any change, and patients read the
old sentence again; an assistant and an evaluator get 403 on the editor pages; and after a restart
(a new server process on the same database) with the tree's file broken on disk, patients still get
the published content. axe runs on each editor page the scenario visits.

Parts of this are also checked elsewhere, each on its own and faster:
``tests/app/editor/test_change_control.py`` (the review rules; a restart with a broken file, as a
new app on the same database; a patient mid-triage when a version that renames their question is
published; history and rollback; the access matrix of every role),
``tests/app/editor/test_form_editor.py`` (the tree texts form and the new-page form make the same
drafts as raw mode; a Dutch page goes live before its English twin), and
``tests/browser/test_change_control_browser.py`` (a page change drafted on a phone, reviewed,
published and rolled back, with axe on each change-control page). This test puts them together as
one story, the way an editor, a reviewer and patients meet it.

The server serves copies of ``triage_rules/`` and ``content/`` (so breaking a file touches no one
else's work) and looks for new versions every half second. Staff pages are used in English
(``?lang=en`` is remembered in a cookie), so the test holds before and after the Dutch catalogue
gets new strings; the patient side is Dutch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.browser.test_inbox_browser import create_staff, log_in
from tests.browser.test_patient_browser import answer_profile, assert_accessible, choose, next_page, pass_danger_screens
from tests.conftest import LiveServer, _voordeur, free_port, stop_live_server

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
TREE = "keelpijn"
HINT_FIELD = "nodes/alarm_signs/help|nl"  # the hint under "Heeft de persoon een of meer van deze dingen?"
OLD_HINT, NEW_HINT = "Vink alles aan wat klopt.", "Vink elk vakje aan dat nu bij de persoon past."
ALARM_QUESTION = "Heeft de persoon een of meer van deze dingen?"
SLUG, TITLE = "likdoorn", "Likdoorn op de voet"
NEW_PAGE = {  # demo text, written for this test
    "slug": SLUG,
    "title": TITLE,
    "summary": "Een likdoorn is een harde, pijnlijke plek op de voet. Meestal helpen andere schoenen.",
    "keywords": "likdoorn, eksteroog, pijn aan de voet",
    "sources": "NHG-Standaard Voetklachten",
    "section-0": "Een likdoorn is een harde plek in de huid van de voet, vaak op een teen. Hij ontstaat door druk.",
    "section-1": "- Draag ruime schoenen die niet knellen.\n- Een ring van vilt rond de plek haalt de druk weg.",
    "section-2": "Bel de praktijk als de plek rood, warm of dik wordt, of als u diabetes hebt.",
}
APPROVED = re.compile(r"Approved and published as version \d+")


@pytest.fixture
def own_server(tmp_path: Path, demo_database: Path) -> Iterator[dict]:
    """A server of this test's own on copies of the content, which the test may stop, break and restart.

    Its database is a copy of ``demo_database`` (migrated, the demo practices), as `voordeur demo`
    would make it: `voordeur serve` records the shipped files of this server's own copies as
    published versions itself, and a `voordeur demo` process first loads and checks all content
    (~6 s of CPU) — the command has tests of its own."""
    rules_dir, content_dir, instance = tmp_path / "triage_rules", tmp_path / "content", tmp_path / "instance"
    shutil.copytree(REPO / "triage_rules", rules_dir)
    shutil.copytree(REPO / "content", content_dir)
    instance.mkdir()
    env = {
        **os.environ,
        "VOORDEUR_DATABASE": str(instance / "voordeur.db"),
        "VOORDEUR_SECRET_KEY": "done-when-test-secret",
        "VOORDEUR_CONFIG": "",
        "VOORDEUR_AUDIT_CHECKPOINT_FILE": str(instance / "audit-checkpoints.log"),
        "VOORDEUR_REQUESTS_PER_CLIENT_HOUR": "100000",
        "VOORDEUR_TRIAGES_PER_CLIENT_HOUR": "100000",
        "VOORDEUR_RULES_DIR": str(rules_dir),
        "VOORDEUR_CONTENT_DIR": str(content_dir),
        "VOORDEUR_RULES_CHECK_SECONDS": "0.5",
        "HOME": str(instance),
    }
    shutil.copy2(demo_database, instance / "voordeur.db")
    settings = {"rules_dir": rules_dir, "instance": instance, "env": env, "live": _serve(instance, env)}
    yield settings
    stop_live_server(settings["live"])


def _serve(instance: Path, env: dict) -> LiveServer:
    """`voordeur serve` (which migrates and records the shipped files first) on the instance's database.

    Like ``tests.conftest.serve_live`` (a second call is a plain restart), with the output in
    ``serve.log``; it waits up to two minutes, as a machine shared by many test runs can take over 30 s.
    """
    port = free_port()
    with (instance / "serve.log").open("ab") as output:
        process = subprocess.Popen(
            [_voordeur(), "serve", "--port", str(port), "--workers", "2"], env=env, stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return LiveServer(base, env, instance / "voordeur.db", process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError("the portal did not start: " + (instance / "serve.log").read_text(errors="replace"))


def _staff(browser: Browser, live: LiveServer, email: str, role: str) -> Page:
    """A staff member in a browser of their own, logged in (first login: TOTP set up), pages in English."""
    create_staff(live, email, role)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live.base, email)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Stel uw authenticator-app in")
    page.goto(f"{live.base}/staff/?lang=en")
    return page


def _patient(browser: Browser) -> tuple[Page, list[Response]]:
    """A patient's phone; every response it gets is kept, so the test can say none was a server error."""
    page = browser.new_context(viewport={"width": 375, "height": 812}, locale="nl-NL").new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    return page, responses


def _no_server_errors(responses: list[Response]) -> None:
    failed = [f"{r.status} {r.url}" for r in responses if r.status >= 500]
    assert not failed, failed


def _to_alarm_question(page: Page, base: str) -> None:
    page.goto(f"{base}/de-linde/triage/{TREE}")
    pass_danger_screens(page)
    answer_profile(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ALARM_QUESTION)


def _patient_reads(page: Page, base: str, hint: str) -> None:
    """Each worker looks for new versions every half second: a new patient walks in until it shows."""
    deadline = time.monotonic() + 20
    while True:
        _to_alarm_question(page, base)
        if page.get_by_text(hint, exact=True).count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(page.get_by_text(hint, exact=True)).to_be_visible()


def _page_is_live(page: Page, base: str) -> None:
    deadline = time.monotonic() + 20
    while page.goto(f"{base}/de-linde/zelfhulp/{SLUG}").status == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def _submit(page: Page) -> str:
    """On a just-saved draft: every check passes, submit it; the change's address, for the reviewer."""
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_text("Every check passes")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    return page.url


def _approve(page: Page, change_url: str) -> None:
    page.goto(change_url)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text(APPROVED)).to_be_visible()


def _finish_sore_throat(page: Page) -> None:
    """From the alarm question to the self-care advice: no alarm signs, a week or less, no risks."""
    choose(page, "Nee, geen van deze")
    next_page(page)
    choose(page, "Nee, geen van deze")
    next_page(page)
    choose(page, "Korter dan 1 week")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("U kunt dit zelf goed aanpakken")


def test_an_editor_changes_a_tree_and_adds_a_page_reviewed_published_rolled_back_and_kept_over_a_restart(
    browser: Browser, own_server: dict
):
    live: LiveServer = own_server["live"]
    base = live.base
    editor = _staff(browser, live, "ella.dw@example.nl", "editor")
    reviewer = _staff(browser, live, "rob.dw@example.nl", "clinical_reviewer")
    patient, responses = _patient(browser)

    # A patient starts the sore-throat triage before anything is published, and stops at the alarm question.
    early, early_responses = _patient(browser)
    _to_alarm_question(early, base)
    expect(early.get_by_text(OLD_HINT, exact=True)).to_be_visible()

    # The editor changes one Dutch sentence of the tree in the texts form (no YAML) and submits it.
    editor.goto(f"{base}/staff/editor/trees/{TREE}/texts")
    assert_accessible(editor)
    hint = editor.locator(f'textarea[name="{HINT_FIELD}"]')
    expect(hint).to_have_value(OLD_HINT)
    hint.fill(NEW_HINT)
    editor.get_by_role("button", name="Save draft").click()
    expect(editor.get_by_text("Wording only")).to_be_visible()
    assert_accessible(editor)
    tree_change = _submit(editor)

    # … and writes a new self-help page in the new-page form, previews it as a phone shows it, and submits it.
    editor.goto(f"{base}/staff/editor/pages/new")
    assert_accessible(editor)
    for field, value in NEW_PAGE.items():
        editor.locator(f"#{field}").fill(value)
    editor.locator("#language").select_option("nl")
    editor.locator("#theme").select_option("skin")
    editor.get_by_role("button", name="Show as patients see it").click()
    expect(editor.locator("#page-preview .phone-frame h1")).to_have_text(TITLE)
    editor.get_by_role("button", name="Save draft").click()
    page_change = _submit(editor)

    # Four eyes: the author is told she cannot approve her own change, and gets no button to do it.
    for change in (tree_change, page_change):
        editor.goto(change)
        expect(editor.get_by_text("You cannot review your own change: another person must check it.")).to_be_visible()
        expect(editor.get_by_role("button", name="Approve and publish")).to_have_count(0)
    patient.goto(f"{base}/de-linde/zelfhulp/{SLUG}")
    expect(patient.get_by_role("heading", level=1)).not_to_have_text(TITLE)  # nothing live before review

    # The clinical reviewer finds both in the list of changes waiting and approves them.
    reviewer.goto(f"{base}/staff/editor/changes")
    assert_accessible(reviewer)
    expect(reviewer.get_by_role("link", name=TREE, exact=True).first).to_be_visible()
    expect(reviewer.get_by_role("link", name=f"{SLUG}.nl").first).to_be_visible()
    _approve(reviewer, tree_change)
    assert_accessible(reviewer)
    _approve(reviewer, page_change)

    # The check report checks what patients get now: the published versions, the new page among them.
    editor.goto(f"{base}/staff/editor/lint")
    expect(editor.get_by_role("heading", name="What patients get")).to_be_visible()
    expect(editor.get_by_text(f"{SLUG}.nl.md:1 warning (published version)")).to_be_visible()  # no English yet
    assert_accessible(editor)

    # A patient (another browser) reads the new sentence and the new page.
    _patient_reads(patient, base, NEW_HINT)
    _page_is_live(patient, base)
    expect(patient.get_by_role("heading", name="Wanneer contact opnemen met de praktijk")).to_be_visible()

    # The patient who started before the publish goes on: they reach the advice, or a clean new start.
    _finish_or_restart(early, base)
    _no_server_errors(early_responses)

    # The editor rolls the tree change back: a change like any other, approved by the reviewer.
    editor.goto(f"{base}/staff/editor/trees/{TREE}/history")
    assert_accessible(editor)
    rows = editor.locator("tbody tr")
    expect(rows.first).to_contain_text("live")
    rows.nth(1).get_by_role("link").click()  # the version before the change
    editor.get_by_label("Why roll back? (the reviewer reads this)").fill("The old hint was clearer.")
    editor.get_by_role("button", name="Ask for a rollback (reviewed like any change)").click()
    expect(editor.get_by_text("The rollback is submitted for review.")).to_be_visible()
    expect(editor.get_by_role("button", name="Approve and publish")).to_have_count(0)  # not her own either
    _approve(reviewer, editor.url)
    _patient_reads(patient, base, OLD_HINT)
    _page_is_live(patient, base)  # the page stays: only the tree was rolled back

    # Assistants and evaluators cannot open the editor pages.
    for email, role in (("anna.dw@example.nl", "assistant"), ("eva.dw@example.nl", "evaluator")):
        other = _staff(browser, live, email, role)
        for path in ("/staff/editor/", f"/staff/editor/trees/{TREE}/texts", "/staff/editor/pages/new", tree_change):
            response = other.goto(path if path.startswith("http") else base + path)
            assert response is not None and response.status == 403, (role, path)
        other.context.close()

    # A restart (a new server process, the same database) with the tree's file broken on disk:
    # patients get the published versions, which live in the database.
    stop_live_server(live)
    (own_server["rules_dir"] / f"{TREE}.yaml").write_text("kind: tree\nid: [broken", "utf-8")
    restarted = _serve(own_server["instance"], own_server["env"])
    own_server["live"] = restarted
    _patient_reads(patient, restarted.base, OLD_HINT)
    _finish_sore_throat(patient)
    _page_is_live(patient, restarted.base)
    _no_server_errors(responses)


def _finish_or_restart(page: Page, base: str) -> None:
    """A triage begun on the old version ends at its advice, or starts again at the first screen — no error."""
    choose(page, "Nee, geen van deze")
    page.get_by_role("button", name="Volgende").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text(ALARM_QUESTION)
    if heading.inner_text() == "Is er nu een van deze dingen aan de hand?":  # a clean restart
        return
    expect(heading).to_have_text("Geldt een of meer van deze dingen?")
    choose(page, "Nee, geen van deze")
    next_page(page)
    choose(page, "Korter dan 1 week")
    next_page(page)
    choose(page, "Nee, geen van deze")
    choose(page, "Nee")
    next_page(page)
    expect(heading).to_contain_text("U kunt dit zelf goed aanpakken")
