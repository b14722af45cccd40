"""Browser tests: Debian's Chromium via Playwright, against the real server of ``tests/conftest.py``.

``playwright install`` cannot download browsers on our machines, so Chromium
comes from Debian (``apt-get install chromium``) and is passed as
``executable_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
