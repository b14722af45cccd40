"""Debian's Chromium for Playwright: where it is and how to start it on our machines.

``playwright install`` cannot download browsers here, so the browser tests and
``bench/inbox.py`` launch Debian's Chromium (or ``VOORDEUR_CHROMIUM``) with these flags:
no sandbox as root in a container, no GPU, no background traffic.

Debian's ``chromium-headless-shell`` (``apt-get install chromium-headless-shell``: the same
Chromium version, built for headless use only, and what Playwright itself runs for headless
tests) is used when it is installed; otherwise the full browser ``/usr/bin/chromium``. The full
browser runs headless as a whole browser with a window per context: on this machine a new
context cost ~0.66 s of CPU in it against ~0.17 s in the shell, and a page load with an axe check
~1.3 s against ~0.8 s (issue 16). The shell cannot open a visible window: for ``--headed`` set
``VOORDEUR_CHROMIUM=/usr/bin/chromium``.
"""

from __future__ import annotations

import os
from pathlib import Path

HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
FULL_BROWSER = "/usr/bin/chromium"
CHROMIUM = os.environ.get("VOORDEUR_CHROMIUM") or (HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else FULL_BROWSER)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
