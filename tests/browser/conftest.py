"""Browser tests: Debian's Chromium via Playwright, against the real server of ``tests/conftest.py``.

``playwright install`` cannot download browsers on our machines, so Chromium
comes from Debian (``apt-get install chromium``, and ``chromium-headless-shell`` when it is
installed: much cheaper, see ``tests/chromium.py``) and is passed as ``executable_path``.

How to write a new browser module so the suite stays fast (issue 16):

- Use the shared server: the ``live_server`` fixture (``server`` is its URL). The modules in
  ``tests/browser/`` and ``tests/server/`` that use it form two work units, "live server" and
  "live server 2" (``SECOND_SHARED_SERVER`` in ``tests/conftest.py``, balanced by measured
  duration); each unit runs in one test process, one module after the other, so one
  `voordeur serve` and one Chromium serve a unit. A new module joins "live server"; move a
  module between the two when ``--durations`` shows one unit much longer than the other. The
  server starts on a copy of ``demo_database`` (migrated, demo practices) and looks for newly
  published versions every half second. Your module shares it with the others: give your
  accounts e-mail addresses of your own, find your own rows (by reference, name or id), and do
  not count rows another module may also have added.
- Staff accounts: ``live_server.create_staff(email, role)`` (or ``create_staff`` in
  ``test_inbox_browser.py``, with ``log_in`` next to it): the account `voordeur users create
  --password-stdin` makes, written from the test process. Each `voordeur` process loads and
  checks all content first (~6 s of CPU), so run the CLI only where the CLI is what you test.
- Synthetic triages: ``live_server.add_synthetic_triages(n, seed)`` adds what
  `voordeur demo --sessions n --seed seed` adds.
- Other data: write it through ``portal.storage`` into ``live_server.database`` (see
  ``server_db`` in ``test_inbox_axe_browser.py``, which keys the audit log as the server does).
- A server of your own (production settings, TLS, files you break, a restart):
  ``start_live_server(folder, extra_env=..., tls=..., database=demo_database)`` — with
  ``database`` it skips `voordeur demo` — and ``serve_live(folder, env)`` to start it again on
  the same folder; ``stop_live_server`` at the end. Each one costs a `voordeur serve` start.
  A module that uses only servers of its own (never ``live_server``/``server``) belongs in
  ``OWN_SERVERS`` (``tests/conftest.py``): those modules are a work unit of their own, run by one
  test process with a Chromium of its own, as each of the two shared-server units is
  (``SECOND_SHARED_SERVER`` says which modules form the second). A module listed there that asks for the shared
  server stops the run at collection.
- Log in once per module (a module-scoped page, as in ``test_workbench_browser.py``): a
  second login of the same account needs the next TOTP code.
- Contexts you open with ``browser.new_context()`` are closed for you when the test ends (those of
  a module-scoped fixture when the module ends): a page left open keeps running (the inbox polls
  the server every 30 s) and costs Chromium and the server CPU for the rest of the run.
- Check accessibility with ``assert_accessible`` (``test_patient_browser.py``): it is the one
  place where axe is injected and run, with the WCAG 2.2 AA tags every module checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'apt-get install -y chromium'")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "nl-NL"}


def _close_contexts_opened_since(browser: Browser, before: list) -> None:
    for context in browser.contexts:
        if not any(context is kept for kept in before):
            context.close()


@pytest.fixture(scope="module", autouse=True)
def _contexts_closed_after_each_module(browser: Browser) -> Iterator[None]:
    """Close what a module's module-scoped fixtures opened (a logged-in page), once its last test is done.

    Pages left open keep running until the whole run ends: the inbox's list asks the server
    again every 30 s, and every open tab costs Chromium CPU. Autouse fixtures of a scope are set
    up before the others of that scope, so this one is torn down after them.
    """
    before = list(browser.contexts)
    yield
    _close_contexts_opened_since(browser, before)


@pytest.fixture(autouse=True)
def _contexts_closed_after_each_test(browser: Browser) -> Iterator[None]:
    """Close the contexts a test opened itself (``browser.new_context()``) when it ends.

    Module-scoped fixtures are set up before this one, so their pages are kept for the next
    test of the module; pytest-playwright's ``context`` and ``page`` close themselves first.
    """
    before = list(browser.contexts)
    yield
    _close_contexts_opened_since(browser, before)
