"""One unreadable content file is refused with ``file:line: reason``; everything else keeps serving.

Before: a control character in one tree, page or social map raised ``ReaderError`` on every
refresh (500 on every tree), stopped ``create_app`` (so ``voordeur serve``), and made
``voordeur lint`` print a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

from portal import create_app

BELL = "\x07"


def _inject_bell(path: Path, line: int) -> None:
    lines = path.read_text("utf-8").split("\n")
    lines[line - 1] += BELL
    path.write_text("\n".join(lines), "utf-8")


def test_other_trees_keep_answering_and_healthz_reports_the_refused_tree(client, rules_dir):
    assert client.get("/de-linde/triage/hoesten").status_code == 200
    _inject_bell(rules_dir / "keelpijn.yaml", 10)
    assert client.get("/de-linde/triage/hoesten").status_code == 200
    assert client.get("/de-linde/").status_code == 200
    # the last good version of the broken tree keeps serving
    assert client.get("/de-linde/triage/keelpijn").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["refused"] == 1


def test_the_portal_starts_with_an_unreadable_tree(app_config, rules_dir):
    _inject_bell(rules_dir / "keelpijn.yaml", 10)
    client = create_app(app_config).test_client()
    assert client.get("/healthz").json["refused"] == 1
    assert client.get("/de-linde/triage/hoesten").status_code == 200
    assert client.get("/de-linde/triage/keelpijn").status_code == 404


def test_lint_prints_file_and_line_of_the_control_character(runner, rules_dir):
    path = rules_dir / "keelpijn.yaml"
    _inject_bell(path, 10)
    result = runner.invoke(args=["lint", str(rules_dir)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert "Traceback" not in result.output
    assert re.search(rf"^{re.escape(str(path))}:10: error: control character U\+0007", result.output, re.M)


def test_an_unreadable_self_help_page_is_refused_and_the_others_keep_serving(client, runner, content_copy):
    assert client.get("/de-linde/zelfhulp/brandwond").status_code == 200
    path = content_copy / "pages" / "brandwond.nl.md"
    _inject_bell(path, 3)
    assert client.get("/de-linde/zelfhulp/").status_code == 200
    assert client.get("/de-linde/zelfhulp/keelpijn").status_code == 200
    assert client.get("/de-linde/zelfhulp/brandwond").status_code == 200  # the last good version
    result = runner.invoke(args=["lint", str(content_copy)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert re.search(rf"^{re.escape(str(path))}:3: error: control character U\+0007", result.output, re.M)


def test_an_unreadable_social_map_is_refused_with_its_line(client, runner, content_copy):
    path = content_copy / "social_map" / "noordhaven-demo.yaml"
    _inject_bell(path, 4)
    assert client.get("/de-linde/zelfhulp/keelpijn").status_code == 200
    result = runner.invoke(args=["lint", str(content_copy)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert re.search(rf"^{re.escape(str(path))}:4: error: control character U\+0007", result.output, re.M)
