"""Shared fixtures, in the style of Flask's tutorial: app, client, runner."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import argon2
import pytest
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule

from portal import create_app
from portal.demo import load_demo
from portal.staff import credentials
from portal.storage.db import open_db
from portal.storage.migrations import migrate

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "triage_rules"
TODAY = date(2026, 11, 22)


class _TemplatesCompiledOnce(BytecodeCache):
    """Jinja's compiled templates, shared by every app the tests build in this process.

    Each test builds its own app, and compiling the templates again for each one was
    the largest part of a test's time. Jinja checks the template source's checksum on
    every load, so a changed template is compiled anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _TemplatesCompiledOnce()}


def _url_builders_compiled_once() -> None:
    """Werkzeug's URL builders, shared by every app the tests build in this process.

    Werkzeug turns each URL rule into a small Python function (an AST, compiled) when an
    app registers it: 300 rules, a quarter of what building an app costs once the content
    is loaded. That function depends only on the rule's text, its parsed parts and the
    names of its defaults (it reaches the rule's converters through the rule it is bound
    to), so a rule with the same key gets the same function, bound to itself. A default
    for a part of the rule is turned into text when the function is made: those rules
    are compiled as before.
    """
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Callable:
        defaults = self.defaults or {}
        if any(is_dynamic and part in defaults for is_dynamic, part in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = shared


_url_builders_compiled_once()


class _PasswordsVerifiedOnce:
    """The portal's argon2id hasher, remembering what each (hash, password) pair gave.

    A verification costs about 0.3 s of CPU (64 MiB, three passes: slow on purpose), and
    the tests log in hundreds of times with the one shared password
    (``tests.factories.staff_password_hash``). Verifying is a pure function of the hash
    and the password, so the first check of a pair runs argon2 in full and every later one
    gives the same answer (True, or the same refusal) without running it again. Hashing,
    and everything else the hasher does, is the real thing.
    """

    def __init__(self, hasher: object) -> None:
        self._hasher = hasher
        self._outcomes: dict[tuple[object, object], bool | tuple[type[Exception], tuple]] = {}

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        key = (hash, password)
        if key not in self._outcomes:
            try:
                self._outcomes[key] = self._hasher.verify(hash, password)
            except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError) as refused:
                self._outcomes[key] = (type(refused), refused.args)
        outcome = self._outcomes[key]
        if isinstance(outcome, tuple):
            raise outcome[0](*outcome[1])
        return outcome

    def __getattr__(self, name: str) -> object:
        return getattr(self._hasher, name)


credentials._hasher = _PasswordsVerifiedOnce(credentials._hasher)


# --- the order modules are handed to the two processes ------------------------------------

#: Modules that take long whatever their number of tests: each browser module starts a
#: server and Chromium, the server tests start and kill gunicorn, test_code_style runs mypy,
#: test_foundations builds the wheel. xdist hands modules out in collection order
#: (``--no-loadscope-reorder`` in pyproject.toml), so these go first and the many short
#: modules fill up whichever process is free at the end; last in line, one slow module
#: would keep one process busy while the other sat idle.
SLOW_FIRST = ("tests/browser/", "tests/server/", "tests/test_code_style.py", "tests/app/test_foundations.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow modules first, then the others by their number of tests (most first); a module's
    own tests keep their order. Every process collects the same order, as xdist requires."""
    sizes: dict[str, int] = {}
    for item in items:
        sizes[_module_of(item)] = sizes.get(_module_of(item), 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int, str]:
        module = _module_of(item)
        slow = next((i for i, prefix in enumerate(SLOW_FIRST) if module.startswith(prefix)), len(SLOW_FIRST))
        return slow, -sizes[module], module

    items.sort(key=rank)  # stable: within a module the order is unchanged


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """A migrated database with the demo practices, made once; tests get a copy."""
    path = tmp_path_factory.mktemp("template") / "voordeur.db"
    db = open_db(path)
    migrate(db)
    load_demo(db)
    db.close()
    assert not Path(f"{path}-wal").exists(), "the last close folds the write-ahead log into the file"
    return path


@pytest.fixture
def db_path(tmp_path: Path, demo_database: Path) -> Path:
    """A private copy of the migrated demo database (mode 0600 kept)."""
    path = tmp_path / "voordeur.db"
    shutil.copy2(demo_database, path)
    return path


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A private copy of the triage files that a test may change or break."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may change or break."""
    target = tmp_path / "content"
    shutil.copytree(REPO / "content", target)
    return target


@pytest.fixture
def app_config(db_path: Path, rules_dir: Path, content_copy: Path, tmp_path: Path) -> dict:
    return {
        "DATABASE": str(db_path),
        "RULES_DIR": str(rules_dir),
        "CONTENT_DIR": str(content_copy),
        "SECRET_KEY": "test-secret",
        "CONFIG": None,
        "RULES_CHECK_SECONDS": 0,
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.log"),
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


# --- a real server: `voordeur demo`, then `voordeur serve` (gunicorn, 2 sync workers) ---------


@dataclass
class LiveServer:
    base: str
    env: dict
    database: Path
    process: subprocess.Popen

    def voordeur(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run a `voordeur` command against this server's database, as an operator would."""
        return subprocess.run([_voordeur(), *args], env=self.env, input=stdin, capture_output=True, text=True)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def kill_a_worker(self) -> int:
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid


def _voordeur() -> str:
    return shutil.which("voordeur", path=str(Path(sys.executable).parent)) or "voordeur"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_live_server(
    instance: Path, *, extra_env: dict | None = None, tls: tuple[str, str, object] | None = None
) -> LiveServer:
    """`voordeur demo`, then `voordeur serve` on a free port; with ``tls`` = (certfile, keyfile,
    ssl context that trusts them) it serves HTTPS, and ``extra_env`` may set production mode."""
    port = free_port()
    scheme = "https" if tls else "http"
    env = {
        **os.environ,
        "VOORDEUR_DATABASE": str(instance / "voordeur.db"),
        "VOORDEUR_SECRET_KEY": "live-server-test-secret",
        "VOORDEUR_CONFIG": "",
        "VOORDEUR_AUDIT_CHECKPOINT_FILE": str(instance / "audit-checkpoints.log"),
        # Every test client shares 127.0.0.1: the per-address limits get their own tests.
        "VOORDEUR_REQUESTS_PER_CLIENT_HOUR": "100000",
        "VOORDEUR_TRIAGES_PER_CLIENT_HOUR": "100000",
        "HOME": str(instance),
        **(extra_env or {}),
    }
    subprocess.run([_voordeur(), "demo"], env=env, check=True, capture_output=True)
    serve = [_voordeur(), "serve", "--port", str(port), "--workers", "2"]
    if tls:
        serve += ["--certfile", tls[0], "--keyfile", tls[1]]
    # The server's output goes to a file: a pipe that nobody reads fills up (64 KB of
    # warnings) and then blocks gunicorn mid-request.
    log = instance / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(serve, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1, context=tls[2] if tls else None) as response:
                if response.status == 200:
                    return LiveServer(base, env, instance / "voordeur.db", process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError("the portal did not start: " + log.read_text(errors="replace"))


def stop_live_server(live: LiveServer) -> None:
    live.process.terminate()
    live.process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    live = start_live_server(tmp_path_factory.mktemp("instance"))
    yield live
    stop_live_server(live)


@pytest.fixture(scope="session")
def server(live_server) -> str:
    return live_server.base
