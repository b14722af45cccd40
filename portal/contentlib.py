"""The portal's content: the last good version of every tree, page and social map.

Trees, pages and social maps are one ``portal.lint.Content``, checked against
each other as the linter checks them. It is loaded when the app is made, so a
refused file is logged at start-up rather than found by the first patient, and
looked at again at most every ``RULES_CHECK_SECONDS`` (and once per request, so
a request sees one version): an editor's change goes live without a restart, and
a broken file is refused while patients keep the last good version.

Versions published in the browser live in the database (``storage.content_versions``)
and win over the files: every published version is read *instead of* its file
(``portal.content.live.Source``), so it survives a restart, and a broken file on
disk cannot take it offline. A tree or page with no published version follows its
file, as before. Each worker compares ``published_mark`` at most every
``RULES_CHECK_SECONDS``; the worker that publishes reloads at once (``reload_published``).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g
from sqlite_utils import Database

from .content.live import Source
from .lint import Content
from .pages.library import PAGES_DIR, SOCIAL_MAP_DIR, ContentLibrary
from .storage import content_versions
from .storage.db import get_db, open_db
from .triage.lexicon import LEXICON_FILE
from .triage.rules import PRELUDE_FILE

EXTENSION = "voordeur_content"
_LOOKED = "voordeur_content_looked"
_PUBLISHED = "voordeur_content_published"


@dataclass
class _Published:
    """What this worker last read of the published versions, and when it looked."""

    mark: int = -1
    looked: float = -float("inf")


#: ``app.config`` key: load the content on its first use instead of when the app is made.
ON_FIRST_USE = "VOORDEUR_CONTENT_ON_FIRST_USE"


def init_app(app: Flask) -> None:
    """Load and check the content now, logging each refused file, unless the app was made with
    ``ON_FIRST_USE``: then the first ``live_content()`` (or ``load``) does it.

    A served app and the tests' apps load at start-up, so a refused file is logged before the first
    patient comes. The apps ``portal.cli`` makes for a `voordeur` command wait: most commands (outbox,
    users, audit, purge, sweep, migrate, ``--help`` …) never read the content, and loading and checking
    ~160 files was most of their ~5 s of CPU. The commands that read it load it first, as before
    (``portal.cli.reads_content``: serve, lint, demo, validate score); any other that reaches
    ``live_content()`` loads it there. Deciding on first use, rather than passing the command's name to
    the factory, needs no list of commands to keep right: a command that reads the content gets it.
    """
    if not app.config.get(ON_FIRST_USE):
        load(app)


def load(app: Flask) -> Content:
    """The app's content: loaded and checked now (refused files logged), unless it already is."""
    loaded: Content | None = app.extensions.get(EXTENSION)
    if loaded is not None:
        return loaded
    settings = app.config["VOORDEUR"]
    live = Content(
        Path(settings["RULES_DIR"]), Path(settings["CONTENT_DIR"]), check_seconds=settings["RULES_CHECK_SECONDS"]
    )
    published = _Published()
    db = None
    if settings["DATABASE"] and Path(settings["DATABASE"]).exists():  # never create it here (migrate does)
        try:
            db = open_db(settings["DATABASE"])
        except sqlite3.Error:
            db = None
    if db is not None:
        try:
            _read_published(db, live, published)
        finally:
            db.close()
    live.refresh_if_due(date.today(), time.monotonic())
    app.extensions[EXTENSION] = live
    app.extensions[_PUBLISHED] = published
    for path, problems in live.refused().items():
        app.logger.warning("refused %s: %s", path, "; ".join(str(p) for p in problems))
    return live


def path_of(live: Content, kind: str, key: str, language: str = "") -> Path:
    """The file a tree, page, prelude, lexicon or social map is reported under (and read from
    when it has no published version)."""
    if kind == "tree":
        return live.book.directory / f"{key}.yaml"
    if kind == "prelude":
        return live.book.directory / PRELUDE_FILE
    if kind == "lexicon":
        return live.book.directory / LEXICON_FILE
    if kind == "social_map":
        return live.library.directory / SOCIAL_MAP_DIR / f"{key}.yaml"
    return live.library.directory / PAGES_DIR / f"{key}.{language}.md"


#: The live-content kind (``portal.content.live.Kind.name``) that reads each kind of version.
LIVE_KIND = {"social_map": "social map"}


def _read_published(db: Database, live: Content, published: _Published) -> bool:
    """Read the published versions when the mark moved; True when they did. A database
    without the table (not migrated yet) has none: the files are served."""
    try:
        mark = content_versions.published_mark(db)
        if mark == published.mark:
            return False
        versions = content_versions.published(db)
    except sqlite3.OperationalError:
        return False
    live.live.sources = {
        path_of(live, v.kind, v.key, v.language): Source(LIVE_KIND.get(v.kind, v.kind), v.source, f"v{v.id}")
        for v in versions
    }
    published.mark = mark
    return True


def reload_published() -> None:
    """Read the published versions now (after a publish in this worker) and load what changed."""
    live = load(current_app)
    if _read_published(get_db(), live, current_app.extensions[_PUBLISHED]):
        live.refresh(date.today())


def live_content() -> Content:
    """The content, refreshed first when that is due (files, and versions published by another worker);
    loaded first when the app was made without it (``init_app``)."""
    live: Content | None = current_app.extensions.get(EXTENSION)
    if live is None:
        live = load(current_app)
    if not g.get(_LOOKED):
        setattr(g, _LOOKED, True)
        now = time.monotonic()
        published: _Published = current_app.extensions[_PUBLISHED]
        if now - published.looked >= live.live.check_seconds:
            published.looked = now
            if _read_published(get_db(), live, published):
                live.refresh(date.today())
        live.refresh_if_due(date.today(), now)
    return live


def content() -> ContentLibrary:
    """The live self-help pages and social maps."""
    return live_content().library
