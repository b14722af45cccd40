"""Trees, pages and social maps live together: loaded at start-up, checked against each other.

Before: the portal never checked a tree's ``self_care_page`` (only ``voordeur lint`` did), so a
tree pointing to a missing page went live silently; and pages were loaded at the first patient,
so a refused page was not logged at start-up.
"""

from __future__ import annotations

import logging
from pathlib import Path

from portal import create_app
from portal.rulebook import rules
from tests.factories import self_care_run, soup

SELF_HELP_LINK = 'a[href*="/zelfhulp/keelpijn"]'


def _point_keelpijn_at_a_missing_page(rules_dir: Path) -> Path:
    path = rules_dir / "keelpijn.yaml"
    path.write_text(path.read_text("utf-8").replace("self_care_page: keelpijn", "self_care_page: keel"), "utf-8")
    return path


def test_a_tree_pointing_to_a_missing_page_is_refused_and_keeps_its_last_good_version(app, client, rules_dir):
    path = _point_keelpijn_at_a_missing_page(rules_dir)
    assert client.get("/healthz").json["refused"] == 1
    patient = self_care_run(client)
    assert soup(patient.page()).select_one(SELF_HELP_LINK) is not None  # the last good version, with its page
    with app.test_request_context():
        problems = rules().refused()[path]
    assert [str(p) for p in problems] == [
        f"{path}:{problems[0].line}: error: 'self_care' names self-care page 'keel', but keel.{language}.md "
        "is missing or refused"
        for language in ("nl", "en")
    ]


def test_the_portal_refuses_with_the_message_the_linter_prints(app, client, runner, rules_dir):
    path = _point_keelpijn_at_a_missing_page(rules_dir)
    client.get("/healthz")
    with app.test_request_context():
        refused = [str(p) for p in rules().refused()[path]]
    printed = runner.invoke(args=["lint", str(rules_dir)]).output.splitlines()
    assert refused and set(refused) <= set(printed)


def test_a_deleted_self_help_page_keeps_the_tree_serving(client, content_copy):
    for language in ("nl", "en"):
        (content_copy / "pages" / f"keelpijn.{language}.md").unlink()
    assert client.get("/healthz").json["refused"] == 1
    assert client.get("/de-linde/zelfhulp/keelpijn").status_code == 404
    patient = self_care_run(client)
    outcome = soup(patient.page())
    assert outcome.select_one(".safety-net") is not None and outcome.select_one(SELF_HELP_LINK) is None


def test_at_start_up_a_tree_pointing_to_a_missing_page_is_served_without_the_link(app_config, rules_dir, caplog):
    path = _point_keelpijn_at_a_missing_page(rules_dir)
    with caplog.at_level(logging.WARNING):
        client = create_app(app_config).test_client()
    assert f"refused {path}" in caplog.text
    assert client.get("/healthz").json["refused"] == 1
    outcome = soup(self_care_run(client).page())
    assert outcome.select_one(".safety-net") is not None and outcome.select_one(SELF_HELP_LINK) is None


def test_start_up_loads_and_logs_trees_and_pages_alike(app_config, rules_dir, content_copy, caplog):
    tree, page = rules_dir / "kortademig.yaml", content_copy / "pages" / "geldzorgen.nl.md"
    tree.write_text(tree.read_text("utf-8").replace("kind: tree", "kind: boom"), "utf-8")
    page.write_text(page.read_text("utf-8").replace("theme: money_and_home", "theme: geld"), "utf-8")
    with caplog.at_level(logging.WARNING):
        app = create_app(app_config)
    assert f"refused {tree}" in caplog.text and f"refused {page}" in caplog.text
    content = app.extensions["voordeur_content"]
    assert "hoesten" in content.book.trees and ("hoesten", "nl") in content.library.pages  # loaded before any request
    assert "kortademig" not in content.book.trees and ("geldzorgen", "nl") not in content.library.pages
