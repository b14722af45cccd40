"""The portal's view of ``content/``: the last good version of every page and social map.

Refreshed at most every ``RULES_CHECK_SECONDS`` per worker, like the trees, so
an editor's change goes live without a restart and a broken file never
replaces what patients were getting.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from flask import Flask, current_app

from .pages.library import ContentLibrary
from .rulebook import live_trees

EXTENSION = "voordeur_content"


def init_app(app: Flask) -> None:
    library = ContentLibrary(Path(app.config["VOORDEUR"]["CONTENT_DIR"]))
    app.extensions[EXTENSION] = {"library": library, "checked": float("-inf")}


def content() -> ContentLibrary:
    state = current_app.extensions[EXTENSION]
    interval = current_app.config["VOORDEUR"]["RULES_CHECK_SECONDS"]
    if time.monotonic() - state["checked"] >= interval:
        state["checked"] = time.monotonic()
        state["library"].refresh(date.today(), live_trees().keys())
    return state["library"]
