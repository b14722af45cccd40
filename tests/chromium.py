"""Debian's Chromium for Playwright: where it is and how to start it on our machines.

``playwright install`` cannot download browsers here, so the browser tests and
``bench/inbox.py`` launch Debian's ``/usr/bin/chromium`` (or ``VOORDEUR_CHROMIUM``)
with these flags: no sandbox as root in a container, no GPU, no background traffic.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("VOORDEUR_CHROMIUM", "/usr/bin/chromium")
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
