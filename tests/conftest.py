"""Shared fixtures, in the style of Flask's tutorial: app, client, runner."""

from __future__ import annotations

import copy
import gc
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import argon2
import pytest
from flask import Flask
from werkzeug.routing import Rule

from portal import create_app
from portal.demo import load_demo
from portal.staff import credentials
from portal.storage.db import open_db
from portal.storage.migrations import migrate
from portal.warm import CompiledTemplates
from tests.factories import app_settings

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "triage_rules"
TODAY = date(2026, 11, 22)


#: Jinja's compiled templates, shared by every app the tests build in this process (the portal's
#: own in-memory bytecode cache, ``portal.warm.CompiledTemplates``, a separate one for the tests).
#: Each test builds its own app, and compiling the templates again for each one was the largest
#: part of a test's time. Jinja checks the template source's checksum on every load, so a changed
#: template is compiled anew.
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": CompiledTemplates()}


_WERKZEUG_RULE = {"_parse_rule": Rule._parse_rule, "_compile_builder": Rule._compile_builder}


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


def _url_rules_parsed_once() -> None:
    """Werkzeug's parse of a URL rule's text, shared by every app the tests build in this process.

    Registering the blueprints parses each of ~300 rule texts into its regular-expression
    parts (``Rule._parse_rule``): the larger part of registering them, and a fifth of
    building an app once the content is loaded. The parts depend only on the text and on
    the converters the map names (werkzeug's own; the portal adds none). The first parse
    of a (text, converters) pair runs in full; later ones get its parts, and the rule itself
    gets what the parse gives it (its trace, its arguments, and converters of the same kind
    and arguments, bound to its own map). The parts (``RulePart``) are shared, not copied:
    werkzeug only reads them after the parse (the matcher compares and sorts them; nothing
    in werkzeug or Flask assigns to one), as the shallow copies already shared their weights.
    A map with a converter of its own is parsed in full, as before.
    """
    from werkzeug.routing import Map

    parse_rule = Rule._parse_rule
    werkzeug_converters = frozenset(Map.default_converters.values())
    parsed: dict[tuple, tuple[list, list, dict, frozenset[str]]] = {}

    def shared(self: Rule, rule: str) -> list:
        converters = self.map.converters
        if not werkzeug_converters.issuperset(converters.values()):
            return list(parse_rule(self, rule))
        key = (rule, tuple(sorted(converters.items(), key=lambda item: item[0])))
        found = parsed.get(key)
        if found is None:
            trace_from, before, arguments_before = len(self._trace), dict(self._converters), set(self.arguments)
            parts = list(parse_rule(self, rule))
            added = {name: c for name, c in self._converters.items() if before.get(name) is not c}
            found = parsed[key] = (parts, self._trace[trace_from:], added, frozenset(self.arguments - arguments_before))
            return list(parts)
        parts, trace, added, arguments = found
        self._trace.extend(trace)
        for name, converter in added.items():
            own = copy.copy(converter)
            own.map = self.map
            self._converters[name] = own
        self.arguments.update(arguments)
        return list(parts)

    Rule._parse_rule = shared


_url_rules_parsed_once()


#: Werkzeug's own ``Rule.compile``, ``_parse_rule`` and ``_compile_builder``, before the shares above
#: and below replace them: tests/unit/test_url_rules_shared.py compiles every rule with them and
#: compares.
WERKZEUG_RULE = {"compile": Rule.compile, **_WERKZEUG_RULE}


def _url_rules_compiled_once() -> None:
    """Werkzeug's compile of a URL rule, shared by every app the tests build in this process.

    Binding a rule to an app's map compiles it: the domain part, the parse of its text
    (``_url_rules_parsed_once``), the two builders (``_url_builders_compiled_once``), each
    through a few lookups; ~300 rules, a quarter of registering the blueprints. What it sets
    (the parts, the trace, the converters, the arguments the text names, the builders)
    depends only on the rule's text, its host or subdomain, whether it merges slashes, the
    map's host matching and converters, and the names of its defaults. The first compile of
    such a key runs in full; a later one gets the same parts, trace and builder functions
    (bound to itself) and converters of the same kind and arguments, bound to its own map.
    Rules that the two shares above compile in full (a default for a part of the rule, a
    converter of the map's own) are compiled in full here too.
    """
    from werkzeug.routing import Map

    compile_rule = Rule.compile
    werkzeug_converters = frozenset(Map.default_converters.values())
    compiled: dict[tuple, tuple[list, list, dict, frozenset[str], Callable, Callable]] = {}

    def shared(self: Rule) -> None:
        rule_map = self.map
        converters = rule_map.converters
        defaults = self.defaults or {}
        if not werkzeug_converters.issuperset(converters.values()):
            return compile_rule(self)
        key = (
            self.rule,
            self.host,
            self.subdomain,
            self.merge_slashes,
            rule_map.host_matching,
            tuple(sorted(converters.items(), key=lambda item: item[0])),
            tuple(defaults),
        )
        found = compiled.get(key)
        if found is None:
            arguments_before = set(self.arguments)
            compile_rule(self)
            if defaults and any(is_dynamic and part in defaults for is_dynamic, part in self._trace):
                return None  # its builders hold a default as text: compiled in full every time
            compiled[key] = (
                list(self._parts),
                list(self._trace),
                dict(self._converters),
                frozenset(self.arguments - arguments_before),
                self._build.__func__,
                self._build_unknown.__func__,
            )
            return None
        parts, trace, own_converters, arguments, build, build_unknown = found
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {}
        for name, converter in own_converters.items():
            own = copy.copy(converter)
            own.map = rule_map
            self._converters[name] = own
        self.arguments.update(arguments)
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)
        return None

    Rule.compile = shared


_url_rules_compiled_once()


def _pages_read_once() -> None:
    """Each self-help page text read and checked once per process, for the portal's live content.

    Every app a test builds loads all ~100 page files, and parsing and checking them
    (front matter, schema, Markdown, sanitising) was over a third of loading the content.
    What ``read_page`` gives is a function of the file's path, its bytes (read as the
    portal reads them: a version published in the browser is read instead of the file)
    and today's date: the first read of such a triple runs in full, a later one gets
    the same (frozen) page and equal lists of its problems and references. A changed
    file, a published draft, another date is a new key, read in full. A file that cannot
    be read is read in full every time. The editor's own reads, and the unit tests of
    ``read_page``, call the function itself.

    Of the path, ``read_page`` reads only the name (slug and language) and the bytes; the
    path itself it only copies into what it gives (``Page.path``, each ``Problem.path``;
    the one message that names the whole path, a file that cannot be read, is never
    shared). So the same name and bytes in another directory (a test's private copy,
    ``rules_dir``/``content_copy``) get what the first read gave with that path put in
    its place: tests/unit/test_pages_read_once.py compares it with a read in full.
    """
    from dataclasses import replace

    from portal.content.files import read_bytes
    from portal.pages import library

    read_page = PAGES_READ["read_page"] = library.read_page
    outcomes: dict[tuple[Path, bytes, date], tuple] = {}
    by_name: dict[tuple[str, bytes, date], tuple[Path, tuple]] = {}

    def shared(path: Path, today: date) -> tuple:
        try:
            text = read_bytes(path)
        except OSError:
            return read_page(path, today)
        key = (path, text, today)
        found = outcomes.get(key)
        if found is None:
            named = by_name.get((path.name, text, today))
            if named is None:
                found = read_page(path, today)
                by_name[(path.name, text, today)] = (path, found)
            else:
                found = _moved(*named, path)
            outcomes[key] = found
        page, problems, references = found
        return page, list(problems), list(references)

    def _moved(first: Path, found: tuple, path: Path) -> tuple:
        page, problems, references = found
        moved = [replace(problem, path=path) if problem.path == first else problem for problem in problems]
        return (None if page is None else replace(page, path=path)), moved, references

    library.read_page = shared


#: ``portal.pages.library.read_page`` itself, before ``_pages_read_once`` shares it.
PAGES_READ: dict[str, Callable] = {}

_pages_read_once()


#: Python's cycle collector, run less often. A test process holds the loaded trees, pages, compiled
#: templates and URL rules of every app it built (hundreds of thousands of long-lived objects), and
#: with the default thresholds (700, 10, 10) the collector walked them over and over: 18 % of the CPU
#: of tests/app/patient (10 of 53 s). Now it runs after 20,000 net allocations instead of 700, and the
#: older generations after 20 runs of the younger one instead of 10. Objects are freed as before
#: (reference counting at once, cycles at the next collection, a little later); ``gc.collect()`` in a
#: test still collects everything; a test process peaked at ~280 MB for tests/app/patient.
gc.set_threshold(20_000, 20, 20)


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

#: Browser modules that start servers of their own (production settings over TLS; a server the
#: test breaks and restarts) and never use the shared one: a work unit of their own (see
#: ``work_unit_of``), first in line, so one process runs them with a Chromium of its own while
#: the other starts on the shared-server unit. Apart they add one Chromium start (~0.5 s of CPU)
#: and no server start; inside the shared unit their ~60 s ran after it, on the same process.
OWN_SERVERS = ("tests/browser/test_production_tls.py", "tests/browser/test_editor_done_when_browser.py")

#: Unit modules that each read every shipped tree with ruamel (~9 s of CPU the first time in a
#: process, ~0.25 s once ``tree_texts.load_round_trip`` keeps the readings): one work unit, so
#: one process reads them once. Apart, in two processes, the three took 48.5 s of CPU; together
#: 26.2 s.
ROUND_TRIPS = ("tests/unit/test_tree_cases.py", "tests/unit/test_content_forms.py", "tests/unit/test_tree_structure.py")

#: The shared-server modules (``live_server``/``server``) that form a second shared-server work
#: unit, "live server 2"; the others are "live server". Each unit runs in one process, on a
#: `voordeur serve` and a Chromium of that process (one server start more: ~5 s of CPU). As one
#: unit they were the longest chain of the run (~175 s of one process on a quiet machine, most
#: of it waiting for Chromium, the server or a page to change), longer than the whole suite's
#: target. Balanced by measured duration (``--durations``, 2026-12-01, whole suite at load 7-9,
#: set-up included): this unit ~230 s, "live server" ~280 s with its Chromium start, "own
#: servers" ~240 s.
SECOND_SHARED_SERVER = (
    "tests/browser/test_workbench_browser.py",
    "tests/browser/test_evaluation_browser.py",
    "tests/browser/test_structure_browser.py",
    "tests/browser/test_change_control_browser.py",
    "tests/browser/test_inbox_axe_browser.py",
    "tests/server/test_durability.py",
    "tests/server/test_sessions.py",
)

#: Work units (``work_unit_of``) and modules that take long whatever their number of tests, in
#: the order they are handed out: the three browser units (servers, Chromium, gunicorn started
#: and killed), test_code_style runs mypy, test_foundations builds the wheel, the round trips.
#: xdist hands units out in collection order (``--no-loadscope-reorder`` in pyproject.toml), so
#: these go first and the many short modules fill up whichever process is free at the end;
#: last in line, one slow module would keep one process busy while the others sat idle.
SLOW_FIRST = (
    "live server",
    "live server 2",
    "own servers",
    "tests/test_code_style.py",
    "tests/app/test_foundations.py",
    "round trips",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow modules first, then the others by their number of tests (most first); a module's
    own tests keep their order. Every process collects the same order, as xdist requires."""
    sizes: dict[str, int] = {}
    for item in items:
        sizes[_module_of(item)] = sizes.get(_module_of(item), 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int, str]:
        module = _module_of(item)
        unit = work_unit_of(module)
        slow = SLOW_FIRST.index(unit) if unit in SLOW_FIRST else len(SLOW_FIRST)
        return slow, -sizes[module], module

    items.sort(key=rank)  # stable: within a module the order is unchanged
    shared = [item.nodeid for item in items if _module_of(item) in OWN_SERVERS and "live_server" in item.fixturenames]
    if shared:  # it would start a second shared server in the process that runs OWN_SERVERS
        raise pytest.UsageError(f"{shared[0]} uses live_server: take its module out of OWN_SERVERS (tests/conftest.py)")


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


#: Modules that use the shared live server (``live_server``/``server``): they run in two work
#: units (``SECOND_SHARED_SERVER``), each in one process, one module after the other, so one
#: `voordeur serve` and one Chromium serve a unit's modules.
LIVE_SERVER_SCOPE = ("tests/browser/", "tests/server/")


def work_unit_of(nodeid: str) -> str:
    """What xdist hands to one process at a time: the browser modules with servers of their own
    together, the other live-server modules in two units (``SECOND_SHARED_SERVER``), the
    whole-tree round trips together, else a module."""
    module = nodeid.split("::", 1)[0]
    if module in OWN_SERVERS:
        return "own servers"
    if module in ROUND_TRIPS:
        return "round trips"
    if module in SECOND_SHARED_SERVER:
        return "live server 2"
    return "live server" if module.startswith(LIVE_SERVER_SCOPE) else module


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` (pyproject.toml) with the work units of ``work_unit_of``.

    Plain loadscope hands out modules, so each process that gets a browser module starts a
    server and Chromium of its own. Any other ``--dist`` is left to xdist.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LiveServerTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit_of(nodeid)

    return LiveServerTogether(config, log)


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
    """A private copy of the triage files that a test may change or break (the app uses it)."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may change or break (the app uses it)."""
    target = tmp_path / "content"
    shutil.copytree(REPO / "content", target)
    return target


@pytest.fixture(scope="session")
def shared_content(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """One copy of triage_rules/ and content/ per process, read by the apps of every test that
    changes neither (most tests).

    Copying the 160 files for every test, and deleting them again with the old temporary
    folders, was a large part of a test's set-up on this machine. A test that changes a file
    asks for ``rules_dir`` or ``content_copy`` (or overrides one of them) and its app gets that
    private copy instead (``app_config``). After the last test this copy is compared with what
    it was at the start: a test that wrote into it anyway fails the run, with this message.
    """
    folder = tmp_path_factory.mktemp("shared")
    rules, content = folder / "rules", folder / "content"
    shutil.copytree(RULES, rules)
    shutil.copytree(REPO / "content", content)
    before = _fingerprint(folder)
    yield rules, content
    assert _fingerprint(folder) == before, (
        "a test changed the shared copy of triage_rules/ or content/: let it ask for rules_dir or content_copy"
    )


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        for path in sorted(folder.rglob("*"))
    }


def _asks_for(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether this test uses fixture ``name``: asks for it (itself or through another fixture),
    or its module, class or a conftest nearer to it overrides it (as a test that adds a tree does)."""
    if name in request.fixturenames:
        return True
    definitions = getattr(request, "_fixturemanager", None)
    if definitions is None:  # pytest's internals changed: copy, as before
        return True
    return len(definitions.getfixturedefs(name, request.node) or ()) > 1


@pytest.fixture
def app_config(request: pytest.FixtureRequest, db_path: Path, tmp_path: Path) -> dict:
    """The settings of a test's app: its own database; the triage files and content/ of
    ``rules_dir``/``content_copy`` when the test uses those, else the shared read-only copy."""
    if _asks_for(request, "rules_dir") or _asks_for(request, "content_copy"):
        rules_dir, content_dir = request.getfixturevalue("rules_dir"), request.getfixturevalue("content_copy")
    else:
        rules_dir, content_dir = request.getfixturevalue("shared_content")
    return app_settings(db_path, rules_dir, content_dir, tmp_path, WTF_CSRF_ENABLED=False)


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


# --- a real server: `voordeur serve` (gunicorn, 2 sync workers) on a prepared database -------


@dataclass
class LiveServer:
    base: str
    env: dict
    database: Path
    process: subprocess.Popen

    def voordeur(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run a `voordeur` command against this server's database, as an operator would."""
        return subprocess.run([_voordeur(), *args], env=self.env, input=stdin, capture_output=True, text=True)

    def create_staff(self, email: str, role: str, practices: tuple[str, ...] = ("de-linde",)) -> None:
        """An account as `voordeur users create --password-stdin` makes it (name: the role; password:
        ``tests.factories.STAFF_PASSWORD``; the second factor is set up at the first login).

        Written from this process, through the same storage function the command calls: a
        `voordeur` process loads and checks all content first (~6 s of CPU), and the browser
        tests make a dozen accounts. The command itself is tested in tests/app/inbox/test_users_cli.py.
        """
        from portal.storage.practices import get_practice
        from portal.storage.staff import create_staff, find_staff
        from tests.factories import staff_password_hash

        db = open_db(self.database)
        try:
            assert all(get_practice(db, slug) for slug in practices), practices
            assert find_staff(db, email) is None, f"{email} already has an account"
            create_staff(
                db,
                email=email,
                name=role.title(),
                role=role,
                practices=list(practices),
                password_hash=staff_password_hash(),
            )
        finally:
            db.close()

    def add_synthetic_triages(self, sessions: int, seed: int = 7) -> None:
        """What `voordeur demo --sessions N --seed S` adds to the demo (the same rows: the same
        generator, trees, practices, seed and end date), written from this process."""
        add_synthetic_triages(self.database, sessions, seed)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def kill_a_worker(self) -> int:
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid


def add_synthetic_triages(database: Path, sessions: int, seed: int = 7) -> None:
    """The synthetic routing data of `voordeur demo --sessions` (``portal.cli._synthetic``), added to
    ``database`` from this process; the trees are the shipped ones, built once per process."""
    from portal.demo import DEMO_PRACTICES
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.storage import stats

    db = open_db(database)
    try:
        rows = generate(_shipped_trees(), [p.slug for p in DEMO_PRACTICES], sessions, end=date.today(), seed=seed)
        stats.bulk_load(db, ROW_COLUMNS, rows)
    finally:
        db.close()


def _shipped_trees() -> dict:
    from portal.triage.rules import RuleBook

    book = RuleBook(RULES)
    book.refresh(date.today())
    return book.trees


def _voordeur() -> str:
    return shutil.which("voordeur", path=str(Path(sys.executable).parent)) or "voordeur"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_server_env(instance: Path, extra_env: dict | None = None) -> dict:
    """The environment of a test server whose files live in ``instance``."""
    return {
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


def start_live_server(
    instance: Path,
    *,
    extra_env: dict | None = None,
    tls: tuple[str, str, object] | None = None,
    database: Path | None = None,
) -> LiveServer:
    """`voordeur serve` on a free port, on a copy of ``database`` (normally the ``demo_database``
    fixture: migrated, with the demo practices) or, without one, on what `voordeur demo` makes.

    `voordeur serve` migrates and records the shipped content itself, so a copy of the prepared
    database serves the same portal as `voordeur demo` would, without a second `voordeur` process
    (each one loads and checks all content: ~6 s of CPU). With ``tls`` = (certfile, keyfile, ssl
    context that trusts them) it serves HTTPS, and ``extra_env`` may set production mode.
    """
    env = live_server_env(instance, extra_env)
    if database is None:
        subprocess.run([_voordeur(), "demo"], env=env, check=True, capture_output=True)
    else:
        shutil.copy2(database, instance / "voordeur.db")
    return serve_live(instance, env, tls=tls)


def serve_live(instance: Path, env: dict, *, tls: tuple[str, str, object] | None = None) -> LiveServer:
    """`voordeur serve` (two workers) on the database and settings in ``env``; returns once /healthz
    answers. Called again on the same instance it is a restart. The server's output goes to
    ``instance/serve.log``: a pipe that nobody reads fills up (64 KB of warnings) and then blocks
    gunicorn mid-request. It waits up to two minutes: on a machine shared by many test runs a
    start can take over 30 s."""
    port = free_port()
    scheme = "https" if tls else "http"
    serve = [_voordeur(), "serve", "--port", str(port), "--workers", "2"]
    if tls:
        serve += ["--certfile", tls[0], "--keyfile", tls[1]]
    log = instance / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen(serve, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2, context=tls[2] if tls else None) as response:
                if response.status == 200:
                    return LiveServer(base, env, Path(env["VOORDEUR_DATABASE"]), process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError("the portal did not start: " + log.read_text(errors="replace"))


def stop_live_server(live: LiveServer) -> None:
    live.process.terminate()
    live.process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, demo_database):
    """One server per test process, shared by every module that uses it (those of tests/browser/ and
    tests/server/ run in two work units, each in one process: see ``work_unit_of``).
    A module adds what it needs (its own staff accounts, requests, data) and must not rely on
    being alone: other modules' accounts and requests are there too.

    Its workers look for newly published versions every half second (``RULES_CHECK_SECONDS``,
    2 s by default), as the "Done when" test's server does: a test that publishes and then
    reloads a patient's page until the new text shows waits for that look."""
    live = start_live_server(
        tmp_path_factory.mktemp("instance"), extra_env={"VOORDEUR_RULES_CHECK_SECONDS": "0.5"}, database=demo_database
    )
    yield live
    stop_live_server(live)


@pytest.fixture(scope="session")
def server(live_server) -> str:
    return live_server.base
