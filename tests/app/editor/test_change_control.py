"""Editors change trees and pages in the browser: draft → submit → review → publish → history → rollback.

Every test runs against a real SQLite file (the ``db_path`` copy of the demo database).
"""

from __future__ import annotations

import re

import pytest

from portal import create_app
from portal.storage import audit
from portal.storage import content_versions as versions
from tests.factories import ADULT_WOMAN, Patient, gen_staff, login, soup, text

TREE = "keelpijn"
OLD_HINT = "Tick everything that is true."
NEW_HINT = "Tick every box that is true."


@pytest.fixture
def people(app, db):
    """Two editors, a clinical reviewer and an admin, each with their own browser."""
    found = {}
    for name, role in [("ann", "editor"), ("ben", "editor"), ("cas", "clinical_reviewer"), ("dora", "admin")]:
        client = _english(app.test_client())
        login(client, gen_staff(db, role=role, email=f"{name}@example.nl"))
        found[name] = client
    return found


def _english(client):
    """Staff pages in English, so the assertions hold before and after the Dutch catalogue has the new strings."""
    client.set_cookie("voordeur_lang", "en")
    return client


def _live_source(rules_dir) -> str:
    return (rules_dir / f"{TREE}.yaml").read_text("utf-8")


def _save(client, source: str, tree: str = TREE):
    response = client.post(f"/staff/editor/trees/{tree}/edit", data={"source": source})
    assert response.status_code == 303
    return int(re.search(r"/changes/(\d+)$", response.headers["Location"]).group(1))


def _review(client, version_id: int, decision: str, comment: str = ""):
    return client.post(f"/staff/editor/changes/{version_id}/review", data={"decision": decision, "comment": comment})


def _english_hint(app) -> str:
    with app.test_request_context():
        from portal.rulebook import live_trees

        return live_trees()[TREE].nodes["alarm_signs"].help.get("en")


def test_a_wording_change_goes_from_draft_to_patients_after_a_second_editor_approves(app, people, db, rules_dir):
    ann, ben = people["ann"], people["ben"]
    version_id = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    page = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Wording only" in page and "nodes.alarm_signs.help.en" in page
    assert "added" in page and "removed" in page  # the diff says it in words
    assert _english_hint(app) == OLD_HINT  # a draft is not live

    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": ""})
    assert versions.get(db, version_id).status == "submitted"
    assert "1 change waits for review" in text(ben.get("/staff/editor/"))

    # The author can never approve their own change.
    _review(ann, version_id, "approve")
    assert versions.get(db, version_id).status == "submitted"
    assert "You cannot review your own change" in text(ann.get(f"/staff/editor/changes/{version_id}"))

    response = _review(ben, version_id, "approve", "Clearer.")
    assert response.status_code == 303
    published = versions.get(db, version_id)
    assert (published.status, published.number, published.review_comment) == ("published", 1, "Clearer.")
    assert _english_hint(app) == NEW_HINT  # live at once, without a restart

    actions = [entry.action for entry in audit.entries(db) if entry.action.startswith("content:")]
    assert actions[:3] == ["content:published", "content:submitted", "content:draft-saved"]


def test_a_draft_with_an_error_names_the_line_and_cannot_be_submitted(people, db, rules_dir):
    ann = people["ann"]
    broken = _live_source(rules_dir).replace("next: today_signs", "next: nowhere", 1)
    version_id = _save(ann, broken)
    page = soup(ann.get(f"/staff/editor/changes/{version_id}"))
    summary = page.select_one(".error-summary").get_text(" ")
    lines = broken.splitlines()
    line = next(n for n, row in enumerate(lines, 1) if "next: nowhere" in row) - 1  # where the answer 'none' starts
    assert lines[line - 2].strip() == "none:"
    said = " ".join(summary.split())
    # In the editor's words first (issue 14), naming the answer as patients read it, with the checker's text beside it.
    assert (
        f"Line {line}: The answer “No, none of these” leads nowhere: there is no question or outcome called “nowhere”."
        in said
    )
    assert "(answer 'none' leads to unknown node 'nowhere')" in said
    assert page.find("button", string=re.compile("Submit")) is None
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": "x"})
    assert versions.get(db, version_id).status == "draft"


def test_a_logic_change_needs_a_raised_version_a_release_note_and_a_clinical_reviewer(app, people, db, rules_dir):
    ann, ben, cas = people["ann"], people["ben"], people["cas"]
    logic = _live_source(rules_dir).replace("raise_to: appointment_24h", "raise_to: appointment_today", 1)
    version_id = _save(ann, logic)
    page = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Clinical logic" in page and "raise_to" in page and "raise the number after “version:”" in page
    version_id = _save(ann, logic.replace("version: 2", "version: 3", 1))  # the same draft, saved again
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": ""})
    assert versions.get(db, version_id).status == "draft"  # no release note
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": "Raise sooner."})
    assert versions.get(db, version_id).status == "submitted"

    _review(ben, version_id, "approve")  # an editor may not approve logic
    assert versions.get(db, version_id).status == "submitted"
    assert "must be reviewed by a clinical reviewer" in text(ben.get(f"/staff/editor/changes/{version_id}"))
    assert "Validation replay" in text(cas.get(f"/staff/editor/changes/{version_id}"))
    _review(cas, version_id, "approve")
    assert versions.get(db, version_id).status == "published"
    with app.test_request_context():
        from portal.rulebook import live_trees

        assert live_trees()[TREE].version == 3


def test_who_may_change_logic_is_a_setting(app_config, db, rules_dir):
    app = create_app({**app_config, "LOGIC_AUTHORS": "admin"})
    ann = _english(app.test_client())
    login(ann, gen_staff(db, role="editor", email="ann@example.nl"))
    source = _live_source(rules_dir).replace("raise_to: appointment_24h", "raise_to: appointment_today", 1)
    version_id = _save(ann, source.replace("version: 2", "version: 3", 1))
    assert "Your role may change wording only" in text(ann.get(f"/staff/editor/changes/{version_id}"))
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": "Raise sooner."})
    assert versions.get(db, version_id).status == "draft"


def test_a_rejection_needs_a_comment_and_the_author_sees_it(people, db, rules_dir):
    ann, ben = people["ann"], people["ben"]
    version_id = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    ann.post(f"/staff/editor/changes/{version_id}/submit")
    _review(ben, version_id, "reject")
    assert versions.get(db, version_id).status == "submitted"
    _review(ben, version_id, "reject", "Keep the old sentence.")
    assert versions.get(db, version_id).status == "rejected"
    assert "Keep the old sentence." in text(ann.get(f"/staff/editor/changes/{version_id}"))


def test_a_page_is_edited_previewed_and_published(app, people, db, content_copy):
    ann, ben = people["ann"], people["ben"]
    source = (content_copy / "pages" / "hoesten.nl.md").read_text("utf-8")
    response = ann.post(
        "/staff/editor/pages/hoesten/nl/edit",
        data={"source": source.replace("title: Hoesten", "title: Hoesten en kuchen", 1)},
    )
    version_id = int(response.headers["Location"].rsplit("/", 1)[1])
    preview = soup(ann.get(f"/staff/editor/changes/{version_id}/preview"))
    assert preview.h1.get_text() == "Hoesten en kuchen"
    assert app.test_client().get("/de-linde/zelfhulp/hoesten").status_code == 200
    assert "Hoesten en kuchen" not in text(app.test_client().get("/de-linde/zelfhulp/hoesten"))
    ann.post(f"/staff/editor/changes/{version_id}/submit")
    _review(ben, version_id, "approve")
    assert "Hoesten en kuchen" in text(app.test_client().get("/de-linde/zelfhulp/hoesten"))
    assert soup(ann.get("/staff/editor/pages/hoesten/nl")).h1.get_text() == "Hoesten en kuchen"  # the live preview


def test_published_content_survives_a_restart_with_a_broken_file_on_disk(app, app_config, people, db, rules_dir):
    ann, ben = people["ann"], people["ben"]
    version_id = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    ann.post(f"/staff/editor/changes/{version_id}/submit")
    _review(ben, version_id, "approve")
    (rules_dir / f"{TREE}.yaml").write_text("kind: tree\nid: [broken", "utf-8")

    restarted = create_app(app_config)  # a new worker on the same database
    patient = restarted.test_client()
    assert patient.get(f"/de-linde/triage/{TREE}").status_code == 200
    assert patient.get("/healthz").json["refused"] == 0  # the file on disk is not what patients get
    assert _english_hint(restarted) == NEW_HINT


def test_a_patient_mid_triage_during_a_publish_never_gets_an_error(app, app_config, db, rules_dir):
    patient = Patient(app.test_client())
    patient.start(TREE)
    patient.answer(**ADULT_WOMAN)
    patient.answer(alarm_signs="none")
    url = patient.url
    assert url.endswith("/today_signs") and patient.page().status_code == 200
    # A published version that renames the question the patient is on: their answers no longer fit.
    renamed = _live_source(rules_dir).replace("alarm_signs", "alarm_signs_v2").replace("version: 2", "version: 3", 1)
    versions.publish_now(
        db, kind="tree", key=TREE, language="", source=renamed, origin="emergency", author_id=None,
        comment="test", now=__import__("datetime").datetime(2026, 11, 22, 12, 0),
    )  # fmt: skip
    response = patient.client.get(url)  # this worker notices the new version on its next look
    assert response.status_code in (200, 303)
    if response.status_code == 303:
        assert response.headers["Location"].endswith(f"/triage/{TREE}")  # a clean restart at the start
        assert patient.client.get(response.headers["Location"]).status_code == 200


def test_history_shows_every_version_with_a_diff_and_a_reviewed_rollback(app, people, db, rules_dir):
    ann, ben, dora = people["ann"], people["ben"], people["dora"]
    first = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    ann.post(f"/staff/editor/changes/{first}/submit")
    _review(ben, first, "approve")
    second = _save(ann, _live_source(rules_dir).replace(OLD_HINT, "Tick what is true.", 1))
    ann.post(f"/staff/editor/changes/{second}/submit")
    _review(ben, second, "approve")
    assert _english_hint(app) == "Tick what is true."

    history = soup(ann.get(f"/staff/editor/trees/{TREE}/history"))
    assert [a.get_text() for a in history.select("tbody a")] == ["version 2", "version 1"]
    diff = soup(ann.get(f"/staff/editor/changes/{second}")).select_one("table.diff")
    assert "removed" in diff.get_text() and "Tick every box" in diff.get_text()

    ann.post(f"/staff/editor/changes/{first}/rollback", data={"note": "Back to the first wording."})
    rollback = versions.open_versions(db, "submitted")[0]
    assert (rollback.origin, rollback.source) == ("rollback", versions.get(db, first).source)
    _review(ann, rollback.id, "approve")  # the one who asked cannot approve
    assert _english_hint(app) == "Tick what is true."
    _review(ben, rollback.id, "approve")
    assert _english_hint(app) == NEW_HINT
    assert versions.current(db, "tree", TREE).number == 3

    # An admin's emergency rollback: at once, with a reason, in the audit log.
    dora.post(f"/staff/editor/changes/{second}/emergency-rollback", data={"reason": ""})
    assert versions.current(db, "tree", TREE).number == 3
    dora.post(f"/staff/editor/changes/{second}/emergency-rollback", data={"reason": "Wrong advice went live."})
    assert versions.current(db, "tree", TREE).number == 4 and _english_hint(app) == "Tick what is true."
    assert "content:emergency-rollback" in [entry.action for entry in audit.entries(db)]
    ben.post(f"/staff/editor/changes/{second}/emergency-rollback", data={"reason": "me too"})
    assert versions.current(db, "tree", TREE).number == 4


def test_approving_a_change_made_before_another_was_published_is_refused(app, people, db, rules_dir):
    ann, ben, cas = people["ann"], people["ben"], people["cas"]
    first = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    second = _save(ben, _live_source(rules_dir).replace(OLD_HINT, "Tick what is true.", 1))
    for client, version_id in ((ann, first), (ben, second)):
        client.post(f"/staff/editor/changes/{version_id}/submit")
    _review(cas, first, "approve")
    response = _review(cas, second, "approve")
    assert "Another version was published since this change was made" in text(cas.get(response.headers["Location"]))
    assert versions.get(db, second).status == "submitted" and _english_hint(app) == NEW_HINT  # nothing undone


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (None, 303, 303),
        ("assistant", 403, 403),
        ("evaluator", 403, 403),
        ("practice_manager", 403, 403),
        ("clinical_reviewer", 200, 403),
        ("editor", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_only_editors_write_and_only_editors_and_reviewers_read(client, db, role, read, write):
    if role:
        login(client, gen_staff(db, role=role))
    assert client.get("/staff/editor/changes").status_code == read
    assert client.get(f"/staff/editor/trees/{TREE}/history").status_code == read
    assert client.get(f"/staff/editor/trees/{TREE}/edit").status_code == write
    assert client.post(f"/staff/editor/trees/{TREE}/edit", data={"source": "x"}).status_code in (
        (write,) if write != 200 else (303,)
    )
    assert client.get("/staff/editor/pages/hoesten/nl/edit").status_code == write


def test_export_and_import_move_content_between_instances(app, runner, people, db, rules_dir, tmp_path):
    ann, ben = people["ann"], people["ben"]
    version_id = _save(ann, _live_source(rules_dir).replace(OLD_HINT, NEW_HINT, 1))
    ann.post(f"/staff/editor/changes/{version_id}/submit")
    _review(ben, version_id, "approve")
    out = tmp_path / "export"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0, result.output
    exported = out / "triage_rules" / f"{TREE}.yaml"
    assert NEW_HINT in exported.read_text("utf-8") and (out / "content" / "pages" / "hoesten.nl.md").exists()

    exported.write_text(exported.read_text("utf-8").replace(NEW_HINT, "Imported hint.", 1), "utf-8")
    result = runner.invoke(args=["content", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "published 1" in result.output
    imported = versions.current(db, "tree", TREE)
    assert (imported.origin, imported.number) == ("file", 2)
    assert _english_hint(app) == "Imported hint."

    # The social maps, the prelude and the lexicon travel the same way.
    social_map = out / "content" / "social_map" / "zuiderdam-demo.yaml"
    social_map.write_text(social_map.read_text("utf-8").replace("012 345 67 11", "012 999 99 11", 1), "utf-8")
    result = runner.invoke(args=["content", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "012 999 99 11" in versions.current(db, "social_map", "zuiderdam-demo").source


def test_migrate_records_the_shipped_files_once(runner, db):
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    first = len(versions.published(db))
    assert first > 50  # every tree and page that passes its checks
    result = runner.invoke(args=["migrate"])
    assert "published" not in result.output and len(versions.published(db)) == first
