"""The portal's view of the triage files: the last good version of each tree.

Workers look for changed files at most every ``RULES_CHECK_SECONDS``, so an
editor's change goes live without a restart, and a broken file is refused
while patients keep getting the last good version.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from flask import Flask, current_app

from .triage.model import Tree
from .triage.rules import RuleBook

EXTENSION = "voordeur_rules"


def init_app(app: Flask) -> None:
    book = RuleBook(Path(app.config["VOORDEUR"]["RULES_DIR"]))
    book.refresh(date.today())
    app.extensions[EXTENSION] = {"book": book, "checked": time.monotonic()}
    for path, problems in book.refused().items():
        app.logger.warning("refused %s: %s", path, "; ".join(str(p) for p in problems))


def rules() -> RuleBook:
    state = current_app.extensions[EXTENSION]
    interval = current_app.config["VOORDEUR"]["RULES_CHECK_SECONDS"]
    if time.monotonic() - state["checked"] >= interval:
        state["checked"] = time.monotonic()
        state["book"].refresh(date.today())
    return state["book"]


def live_trees() -> dict[str, Tree]:
    return rules().trees
