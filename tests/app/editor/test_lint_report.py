"""The check report (``/staff/editor/lint``) checks what patients get: the published versions in the
database (ADR 0006), not the files on disk; open drafts are listed apart, each with its problems."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.storage import content_versions as versions
from tests.factories import gen_staff, login, soup

TREE = "keelpijn"
NOW = datetime(2026, 12, 1, 12, 0)


@pytest.fixture
def editor(app, db):
    client = app.test_client()
    client.set_cookie("voordeur_lang", "en")
    login(client, gen_staff(db, role="editor", email="ed@example.nl"))
    return client


def _publish(db, source: str) -> None:
    versions.publish_now(
        db, kind="tree", key=TREE, language="", source=source, origin="editor", author_id=None, comment="test", now=NOW
    )


def _sections(client) -> tuple[str, str]:
    """The report's two parts as text: what patients get, and the open drafts."""
    page = soup(client.get("/staff/editor/lint"))
    live, drafts = (page.select_one(f"section[aria-labelledby='{name}']") for name in ("live-h", "drafts-h"))
    return live.get_text(" ", strip=True), drafts.get_text(" ", strip=True)


def test_a_broken_file_on_disk_is_not_a_problem_patients_have(editor, db, rules_dir):
    _publish(db, (rules_dir / f"{TREE}.yaml").read_text("utf-8"))
    (rules_dir / f"{TREE}.yaml").write_text("kind: tree\nid: [broken", "utf-8")
    live, _drafts = _sections(editor)
    assert f"{TREE}.yaml" not in live
    assert "published version" in soup(editor.get("/staff/editor/lint")).select_one("h1 ~ p").get_text()


def test_a_problem_of_the_published_version_is_shown_even_when_the_file_is_fine(editor, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    _publish(db, source.replace("review_due: 2027-11-01", "review_due: 2020-01-01", 1))
    live, _drafts = _sections(editor)
    assert f"{TREE}.yaml:19 warning (published version)" in live  # the line of `start`
    assert "The review was due on 2020-01-01: check the text and set the next date." in live


def test_open_drafts_are_listed_apart_with_their_problems(editor, db, rules_dir):
    source = (rules_dir / f"{TREE}.yaml").read_text("utf-8")
    broken = source.replace("next: urgent_now", "next: nergens_heen", 1)
    response = editor.post(f"/staff/editor/trees/{TREE}/edit", data={"source": broken})
    assert response.status_code == 303
    live, drafts = _sections(editor)
    assert "nergens_heen" not in live  # not what patients get
    assert TREE in drafts and "leads nowhere: there is no question or outcome called “nergens_heen”" in drafts
