"""Browser tests: a real gunicorn on a free loopback port, Debian's Chromium via Playwright.

``playwright install`` cannot download browsers on our machines, so Chromium
comes from Debian (``apt-get install chromium``) and is passed as
``executable_path``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("VOORDEUR_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 375, "height": 812}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'apt-get install -y chromium'")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "nl-NL"}


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> str:
    """``voordeur demo`` then ``voordeur serve`` with a temporary database, as an operator would."""
    instance = tmp_path_factory.mktemp("instance")
    env = {
        **os.environ,
        "VOORDEUR_DATABASE": str(instance / "voordeur.db"),
        "VOORDEUR_SECRET_KEY": "browser-test-secret",
        "VOORDEUR_CONFIG": "",
        "HOME": str(instance),
    }
    voordeur = shutil.which("voordeur", path=str(Path(sys.executable).parent)) or "voordeur"
    subprocess.run([voordeur, "demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen(
        [voordeur, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the portal did not start: " + process.stdout.read().decode())
    yield base
    process.terminate()
    process.wait(timeout=10)
