"""A `voordeur` command loads the trees, pages and social maps only when it reads them.

Loading and checking all ~160 content files was most of every command's ~5 s of CPU, also for
commands that never read them (outbox, users, audit, purge, sweep, migrate, ``--help``). The apps
``portal.cli`` makes now load the content on first use; serve, lint, demo and validate score load it
before they start, as every command did (``portal.contentlib.init_app``). These tests drive the real
command group (``portal.cli.cli``, whose factory the installed ``voordeur`` script uses) in process.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, current_app
from gunicorn.app.base import BaseApplication

from portal import contentlib, warm
from portal.cli import cli
from portal.staff import credentials


@pytest.fixture
def command_env(app_config: dict) -> dict[str, str]:
    """The environment an operator's `voordeur` would run with: the test app's database, files and secret."""
    names = ("DATABASE", "RULES_DIR", "CONTENT_DIR", "SECRET_KEY", "AUDIT_CHECKPOINT_FILE")
    return {"VOORDEUR_CONFIG": "", **{f"VOORDEUR_{name}": str(app_config[name]) for name in names}}


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Flask]:
    """The apps whose content was loaded (``contentlib.load`` finding it not loaded yet), in order."""
    loaded: list[Flask] = []
    real = contentlib.load

    def counting(app: Flask):
        if contentlib.EXTENSION not in app.extensions:
            loaded.append(app)
        return real(app)

    monkeypatch.setattr(contentlib, "load", counting)
    return loaded


def _voordeur(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _break_a_tree(rules_dir: Path) -> Path:
    path = rules_dir / "kortademig.yaml"
    path.write_text(path.read_text("utf-8").replace("kind: tree", "kind: boom"), "utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("users", "list"),
        ("practices", "list"),
        ("outbox", "--status"),
        ("outbox",),
        ("audit", "verify"),
        ("audit", "checkpoint"),
        ("purge",),
        ("sweep",),
        ("migrate",),
        ("validate", "rounds"),
    ],
)
def test_a_command_that_does_not_read_the_content_does_not_load_it(command_env, loads, args):
    result = _voordeur(command_env, *args)
    assert result.exit_code == 0, result.output
    assert loads == []


def test_lint_loads_the_content_and_logs_refused_files_before_it_starts(command_env, loads, rules_dir, caplog):
    broken = _break_a_tree(rules_dir)
    with caplog.at_level(logging.WARNING):
        result = _voordeur(command_env, "lint", str(rules_dir))
    assert result.exit_code == 1  # the broken tree is an error
    assert str(broken) in result.output
    assert len(loads) == 1
    assert f"refused {broken}" in caplog.text


def test_demo_loads_the_content_before_it_starts(command_env, loads):
    result = _voordeur(command_env, "demo")
    assert result.exit_code == 0, result.output
    assert len(loads) == 1


def test_a_command_that_reads_the_content_unannounced_loads_it_on_first_use(command_env, loads, runner, tmp_path):
    """``content export`` has no mark: it reads ``live_content()``, which loads it then (once), and
    exports exactly what the same command exports from an app that loaded its content when made."""
    lazily, eagerly = tmp_path / "lazily", tmp_path / "eagerly"
    before = len(loads)  # the ``runner`` fixture's app loaded its content when it was made
    result = _voordeur(command_env, "content", "export", str(lazily))
    assert result.exit_code == 0, result.output
    assert len(loads) == before + 1
    expected = runner.invoke(args=["content", "export", str(eagerly)])
    assert expected.exit_code == 0, expected.output
    assert result.output.replace(str(lazily), "DIR") == expected.output.replace(str(eagerly), "DIR")
    files = sorted(p.relative_to(lazily) for p in lazily.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(eagerly) for p in eagerly.rglob("*") if p.is_file())
    assert all((lazily / name).read_bytes() == (eagerly / name).read_bytes() for name in files)


def test_serve_loads_the_content_and_prepares_logins_before_the_workers_fork(
    command_env, loads, rules_dir, monkeypatch, caplog
):
    broken = _break_a_tree(rules_dir)
    at_fork: list[tuple[bool, int, bool, bool]] = []

    def run_instead_of_gunicorn(self) -> None:  # the moment gunicorn would fork its workers
        at_fork.append(
            (
                contentlib.EXTENSION in current_app.extensions,
                credentials._dummy_hash.cache_info().currsize,
                "zxcvbn" in sys.modules,
                f"refused {broken}" in caplog.text,
            )
        )

    credentials._dummy_hash.cache_clear()
    monkeypatch.setattr(BaseApplication, "run", run_instead_of_gunicorn)
    monkeypatch.setattr(warm, "compile_templates", lambda app: None)  # its own test: test_dashboard_speed.py
    with caplog.at_level(logging.WARNING):
        result = _voordeur(command_env, "serve", "--port", "0")
    assert result.exit_code == 0, result.output
    assert at_fork == [(True, 1, True, True)]
    assert len(loads) == 1


def test_an_unknown_address_is_checked_against_a_real_hash_made_once():
    """The hash a login with an unknown e-mail address is verified against (so it takes as long as a
    wrong password) is made on first use instead of at import; it is a real argon2id hash, made once."""
    from argon2 import PasswordHasher

    assert credentials.check_nothing("not-a-real-password-for-timing") is False
    assert credentials._dummy_hash() is credentials._dummy_hash()
    assert PasswordHasher().verify(credentials._dummy_hash(), "not-a-real-password-for-timing")
    assert credentials._dummy_hash().startswith("$argon2id$")


def test_importing_the_credentials_hashes_nothing_and_skips_the_word_lists():
    probe = (
        "import sys; from portal.staff import credentials as c; "
        "print(c._dummy_hash.cache_info().currsize, 'zxcvbn' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False"]
