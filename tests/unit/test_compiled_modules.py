"""The test run keeps the bytecode it compiles (``tests/__init__.py``), even where the machine says not to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHOW = "import tests, os, sys; print(os.environ.get('PYTHONDONTWRITEBYTECODE'), sys.dont_write_bytecode)"


def _run(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_where_writing_bytecode_is_off_the_run_and_the_processes_it_starts_write_it() -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    assert _run(env) == "None False"  # a server or command the run starts inherits this environment


def test_where_writing_bytecode_is_on_nothing_changes() -> None:
    assert _run({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}) == "None False"


def test_this_run_writes_bytecode() -> None:
    assert not sys.dont_write_bytecode and not os.environ.get("PYTHONDONTWRITEBYTECODE")
