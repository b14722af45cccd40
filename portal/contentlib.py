"""The portal's content: the last good version of every tree, page and social map.

Trees, pages and social maps are one ``portal.lint.Content``, checked against
each other as the linter checks them. It is loaded when the app is made, so a
refused file is logged at start-up rather than found by the first patient, and
looked at again at most every ``RULES_CHECK_SECONDS`` (and once per request, so
a request sees one version): an editor's change goes live without a restart, and
a broken file is refused while patients keep the last good version.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g

from .lint import Content
from .pages.library import ContentLibrary

EXTENSION = "voordeur_content"
_LOOKED = "voordeur_content_looked"


def init_app(app: Flask) -> None:
    settings = app.config["VOORDEUR"]
    live = Content(
        Path(settings["RULES_DIR"]), Path(settings["CONTENT_DIR"]), check_seconds=settings["RULES_CHECK_SECONDS"]
    )
    live.refresh_if_due(date.today(), time.monotonic())
    app.extensions[EXTENSION] = live
    for path, problems in live.refused().items():
        app.logger.warning("refused %s: %s", path, "; ".join(str(p) for p in problems))


def live_content() -> Content:
    """The content, refreshed first when that is due."""
    live: Content = current_app.extensions[EXTENSION]
    if not g.get(_LOOKED):
        setattr(g, _LOOKED, True)
        live.refresh_if_due(date.today(), time.monotonic())
    return live


def content() -> ContentLibrary:
    """The live self-help pages and social maps."""
    return live_content().library
