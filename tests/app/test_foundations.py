"""Security basics, configuration, the routing log, the CLI, translations, packaging."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal import create_app
from portal.config import ConfigError, settings_markdown_table
from portal.storage.routing import get_run, sweep_abandoned
from tests.conftest import REPO
from tests.factories import ADULT_WOMAN, Patient, soup

# --- security --------------------------------------------------------------------


def test_every_page_sends_a_strict_content_security_policy(client):
    response = client.get("/de-linde/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_style_or_external_urls():
    for path in (REPO / "portal" / "templates").rglob("*.html"):
        source = path.read_text("utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), f"inline script in {path}"
        assert " style=" not in source and "<style" not in source, f"inline style in {path}"
        assert not re.search(r"(src|href)=\"https?://", source), f"external URL in {path}"


def test_htmx_is_vendored_with_its_version_in_the_file_name(client):
    response = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200 and b"htmx" in response.data[:200]


def test_a_post_without_csrf_token_is_refused(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post("/de-linde/triage/keelpijn", data={"emergency_screen": "none"})
    assert response.status_code == 400


def test_a_post_with_the_csrf_token_from_the_form_is_accepted(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token = soup(client.get("/de-linde/triage/keelpijn")).find("input", {"name": "csrf_token"})["value"]
    response = client.post("/de-linde/triage/keelpijn", data={"emergency_screen": "none", "csrf_token": token})
    assert response.status_code == 303


def test_the_session_cookie_is_httponly_lax_and_secure_when_configured(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True, "SECURE_COOKIES": True})
    response = app.test_client().get("/de-linde/triage/keelpijn", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_an_oversized_request_is_refused(client):
    response = client.post("/de-linde/triage/keelpijn", data={"emergency_screen": "x" * 300_000})
    assert response.status_code == 413


def test_healthz_reports_database_and_trees(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    trees = [p for p in (REPO / "triage_rules").glob("*.yaml") if not p.name.startswith("_")]
    assert response.get_json() == {"status": "ok", "trees": len(trees), "refused": 0, "outbox_waiting": 0}


# --- configuration -----------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(app_config):
    config = {k: v for k, v in app_config.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="VOORDEUR_SECRET_KEY"):
        create_app({**config, "ENV": "production"})


def test_the_cli_explains_a_missing_secret_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "VOORDEUR_ENV": "production", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "migrate"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "will not start in production without a secret key" in result.stderr


def test_settings_come_from_the_environment_and_a_toml_file(tmp_path):
    from portal.config import load_settings

    (tmp_path / "voordeur.toml").write_text('ABANDON_AFTER_MINUTES = 30\nTIMEZONE = "UTC"\n')
    values = load_settings(tmp_path, environ={"VOORDEUR_TIMEZONE": "Europe/Amsterdam"})
    assert values["ABANDON_AFTER_MINUTES"] == 30
    assert values["TIMEZONE"] == "Europe/Amsterdam"


def test_docs_list_every_setting():
    docs = (REPO / "docs" / "configuration.md").read_text("utf-8")
    assert settings_markdown_table() in docs


# --- live trees -----------------------------------------------------------------------


def test_a_changed_tree_is_picked_up_without_a_restart(client, rules_dir):
    path = rules_dir / "keelpijn.yaml"
    path.write_text(path.read_text("utf-8").replace("  nl: Keelpijn\n", "  nl: Pijn in de keel\n"), "utf-8")
    assert "Pijn in de keel" in client.get("/de-linde/").get_data(as_text=True)


def test_a_broken_change_keeps_serving_the_last_good_tree(client, rules_dir):
    path = rules_dir / "keelpijn.yaml"
    path.write_text(path.read_text("utf-8").replace("next: urgent_now", "next: self_care"), "utf-8")
    assert client.get("/de-linde/triage/keelpijn").status_code == 200
    assert client.get("/healthz").get_json()["refused"] == 1


def test_a_tree_that_never_passed_is_not_served(client, rules_dir):
    (rules_dir / "kapot.yaml").write_text("kind: tree\nid: kapot\n", "utf-8")
    assert client.get("/de-linde/triage/kapot").status_code == 404
    assert client.get("/de-linde/triage/hoesten").status_code == 200


# --- routing log ------------------------------------------------------------------------


def test_the_routing_log_has_no_column_for_personal_data(db):
    columns = {c.name for c in db.table("triage_runs").columns}
    forbidden = {"name", "ip", "ip_address", "user_agent", "cookie", "session_id", "email", "phone", "text"}
    assert not columns & forbidden
    assert {"practice", "tree_id", "tree_version", "answers", "route", "urgency", "abandoned"} <= columns


def test_an_unfinished_triage_is_swept_as_abandoned_with_its_last_node(client, db):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    later = datetime.now(UTC) + timedelta(hours=3)
    assert sweep_abandoned(db, later, timedelta(minutes=120)) == 1
    run = get_run(db, patient.run_id)
    assert run.abandoned and run.last_node == "alarm_signs" and run.finished_at is None
    assert sweep_abandoned(db, later, timedelta(minutes=120)) == 0


# --- CLI -----------------------------------------------------------------------------------


def test_voordeur_lint_prints_file_line_and_fails_on_errors(runner, rules_dir):
    path = rules_dir / "hoesten.yaml"
    path.write_text(path.read_text("utf-8").replace("next: today_signs\n", "next: nowhere\n", 1), "utf-8")
    result = runner.invoke(args=["lint", str(rules_dir)])
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(path))}:\d+: error: .*unknown node 'nowhere'", result.output)


def test_voordeur_lint_passes_on_the_demo_trees(runner, rules_dir):
    result = runner.invoke(args=["lint", str(rules_dir), "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output


def test_voordeur_demo_is_idempotent(runner, db):
    before = list(db.query("SELECT * FROM practices ORDER BY slug"))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert list(db.query("SELECT * FROM practices ORDER BY slug")) == before
    assert [p["slug"] for p in before] == ["de-linde", "het-anker"]


def test_voordeur_migrate_reports_up_to_date(runner):
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_voordeur_sweep_runs(runner):
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0 and "abandoned" in result.output


# --- translations and packaging ---------------------------------------------------------------


def test_the_dutch_catalogue_is_complete_and_compiled():
    po_path = REPO / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    untranslated = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []
    assert not [m.id for m in catalogue if m.id and m.fuzzy]
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert _messages(catalogue) == _messages(compiled), "run pybabel compile (docs/translating.md)"


def _messages(catalogue) -> dict:
    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(m.id): plain(m.string) for m in catalogue if m.id}


def test_every_template_string_is_in_the_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(REPO / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with (REPO / "translations" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert wanted - have == set(), "run the translation update described in docs/translating.md"


def test_the_wheel_contains_templates_static_files_translations_and_trees(tmp_path):
    # The build backend (setuptools, wheel) is in the test dependencies, so the wheel is built
    # with them in this environment: a fresh isolated one installed setuptools from the index
    # for every run (~40 s). `build` still checks that they meet pyproject's build requirements.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(Path(tmp_path).glob("voordeur-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "portal/templates/base.html",
        "portal/templates/patient/page.html",
        "portal/static/voordeur.css",
        "portal/static/vendor/htmx-2.0.11.min.js",
        "portal/translations/nl/LC_MESSAGES/messages.mo",
        "portal/triage/schema/tree.schema.json",
        "portal/triage_rules/_prelude.yaml",
        "portal/triage_rules/keelpijn.yaml",
        "portal/pages/schema/page.schema.json",
        "portal/content_data/pages/keelpijn.nl.md",
        "portal/content_data/social_map/zuiderdam-demo.yaml",
        "portal/content/live.py",  # code, not data: once shadowed by the content folder's mapping
    ]:
        assert expected in names, expected
    # Installed on its own (no checkout beside it), every module imports and every data folder is found.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import importlib, pkgutil, portal, portal.config as c\n"
        "for m in pkgutil.walk_packages(portal.__path__, 'portal.'): importlib.import_module(m.name)\n"
        "for name, probe in [('triage_rules', 'keelpijn.yaml'), ('content', 'pages/keelpijn.nl.md'),\n"
        "                    ('translations', 'nl/LC_MESSAGES/messages.mo')]:\n"
        "    assert (c.data_dir(name) / probe).is_file(), name\n"
        "print(portal.__file__)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert found.stdout.strip().startswith(str(site))  # the installed copy, not the checkout
