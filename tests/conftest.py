"""Shared fixtures, in the style of Flask's tutorial: app, client, runner."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from portal import create_app
from portal.demo import load_demo
from portal.storage.db import open_db
from portal.storage.migrations import migrate

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "triage_rules"
TODAY = date(2026, 11, 22)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "voordeur.db"
    db = open_db(path)
    migrate(db)
    load_demo(db)
    db.close()
    return path


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A private copy of the triage files that a test may change or break."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture
def app_config(db_path: Path, rules_dir: Path, tmp_path: Path) -> dict:
    return {
        "DATABASE": str(db_path),
        "RULES_DIR": str(rules_dir),
        "SECRET_KEY": "test-secret",
        "CONFIG": None,
        "RULES_CHECK_SECONDS": 0,
        "WTF_CSRF_ENABLED": False,
        "TESTING": True,
    }


@pytest.fixture
def app(app_config: dict):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.close()
