"""``voordeur content export|import``, and recording the shipped files at ``voordeur migrate``.

The files in the repository are the shipped defaults; what patients get is the
newest published version in the database (``storage.content_versions``). The
two meet here:

* ``record_files`` publishes a file's text as a new version (origin ``file``).
  ``voordeur migrate`` (and so ``serve`` and ``demo``) does this for every tree,
  page, social map, the prelude and the lexicon that has no version yet, and for
  those whose newest version came from a file that has changed since (a release
  with new defaults). A file changed in the browser keeps the browser's version;
  ``voordeur content import`` replaces it too, on purpose.
  Only files that pass every check are recorded.
* ``export`` writes what patients get now into a directory laid out like the
  repository (``triage_rules/``, ``content/``), for git or another instance.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlite_utils import Database

from ..lint import Content
from ..pages.library import PAGES_DIR, SOCIAL_MAP_DIR
from ..storage import audit
from ..storage import content_versions as versions
from ..triage.lexicon import LEXICON_FILE
from ..triage.rules import PRELUDE_FILE, rule_files

RULES_SUBDIR, CONTENT_SUBDIR = "triage_rules", "content"


@dataclass
class Recorded:
    """What ``record_files`` did: names published, names kept (changed in the browser), names refused."""

    published: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _texts(content: Content) -> list[tuple[str, str, str, Path]]:
    """(kind, key, language, path) of every tree and page that passes its checks."""
    found = [("tree", tree.id, "", tree.path) for tree in content.book.trees.values()]
    found += [("page", slug, language, page.path) for (slug, language), page in content.library.pages.items()]
    return found


def _shared_texts(content: Content) -> list[tuple[str, str, str, Path]]:
    """The prelude, the lexicon and every social map that pass their checks (versioned since migration 0016)."""
    found = [("prelude", "prelude", "", content.book.prelude.path)] if content.book.prelude else []
    found += [("lexicon", "lexicon", "", content.lexicon.path)] if content.lexicon else []
    found += [("social_map", m.slug, "", m.path) for m in content.library.municipalities.values()]
    return found


def _shared_files(rules_dir: Path, content_dir: Path) -> list[tuple[str, str, str, Path]]:
    """The shared files on disk, as ``_shared_texts`` names them (without loading anything)."""
    found = [("prelude", "prelude", "", rules_dir / PRELUDE_FILE), ("lexicon", "lexicon", "", rules_dir / LEXICON_FILE)]
    found += [("social_map", path.stem, "", path) for path in sorted((content_dir / SOCIAL_MAP_DIR).glob("*.yaml"))]
    return [entry for entry in found if entry[3].is_file()]


def _anything_to_record(db: Database, rules_dir: Path, content_dir: Path, replace: bool, shared: bool) -> bool:
    """Whether a file differs from what ``record_files`` would keep: reading the files and one query
    is much cheaper than loading and checking all content (``voordeur serve`` right after ``demo``)."""
    published = {(v.kind, v.key, v.language): v for v in versions.published(db)}
    files = [("tree", path.stem, "", path) for path in rule_files(rules_dir)]
    for path in sorted((content_dir / PAGES_DIR).glob("*.md")):
        slug, _, language = path.name[: -len(".md")].rpartition(".")
        files.append(("page", slug, language, path))
    if shared:
        files += _shared_files(rules_dir, content_dir)
    for kind, key, language, path in files:
        live = published.get((kind, key, language))
        if live is None or (
            live.source != path.read_text("utf-8", errors="replace") and (replace or live.origin == "file")
        ):
            return True
    return False


def record_files(
    db: Database, rules_dir: Path, content_dir: Path, *, replace: bool, now: datetime, shared: bool = False
) -> Recorded:
    """Publish the files' texts as versions (see the module docstring); ``replace`` for an import;
    ``shared`` also records the prelude, the lexicon and the social maps (``voordeur migrate``), so a
    broken file on disk after a restart cannot take them away either."""
    if not _anything_to_record(db, rules_dir, content_dir, replace, shared):
        return Recorded()
    content = Content(rules_dir, content_dir)
    content.refresh(now.date())
    done = Recorded(refused=sorted(path.name for path in content.refused()))
    for kind, key, language, path in _texts(content) + (_shared_texts(content) if shared else []):
        if path.name in done.refused:
            continue  # served as it is only because it is new: not a version to keep
        text = path.read_text("utf-8")
        live = versions.current(db, kind, key, language)
        name = f"{key}.{language}" if language else key
        if live is not None and live.source == text:
            continue
        if live is not None and live.origin != "file" and not replace:
            done.kept.append(name)
            continue
        versions.publish_now(
            db, kind=kind, key=key, language=language, source=text, origin="file", author_id=None,
            comment=f"from {path.parent.name}/{path.name}", now=now,
        )  # fmt: skip
        done.published.append(name)
    if done.published:
        audit.append(db, action="content:import", now=now, result="cli", detail=f"{len(done.published)} versions")
    return done


def record_shipped(db: Database) -> Recorded:
    """``voordeur migrate``: record new and changed shipped files of this installation."""
    settings = current_app.config["VOORDEUR"]
    return record_files(
        db,
        Path(settings["RULES_DIR"]),
        Path(settings["CONTENT_DIR"]),
        replace=False,
        now=datetime.now(UTC),
        shared=True,
    )


def echo_recorded(done: Recorded) -> None:
    if done.published:
        click.echo(f"Content: published {len(done.published)} file version(s)")
    if done.kept:
        click.echo(f"Content: kept the browser's version of {', '.join(done.kept)} (the file differs)")
    if done.refused:
        click.echo(f"Content: not recorded, refused: {', '.join(done.refused)}", err=True)


def export(content: Content, target: Path) -> int:
    """Write every live tree and page, the prelude, the lexicon and the social maps (the database's text
    where there is one, else the file) into ``target``. Returns the count of trees and pages."""
    rules_out, pages_out = target / RULES_SUBDIR, target / CONTENT_SUBDIR / PAGES_DIR
    rules_out.mkdir(parents=True, exist_ok=True)
    pages_out.mkdir(parents=True, exist_ok=True)
    for extra in sorted(content.book.directory.glob("_*.yaml")):
        shutil.copy2(extra, rules_out / extra.name)
    maps = content.library.directory / SOCIAL_MAP_DIR
    if maps.is_dir():
        shutil.copytree(maps, target / CONTENT_SUBDIR / SOCIAL_MAP_DIR, dirs_exist_ok=True)
    count = 0
    sources = content.live.sources
    # The prelude, the lexicon and the social maps changed in the browser: the database's text.
    for path, shared in sorted(sources.items()):
        if shared.kind in ("prelude", "lexicon"):
            (rules_out / path.name).write_text(shared.text, "utf-8")
        elif shared.kind == "social map":
            (target / CONTENT_SUBDIR / SOCIAL_MAP_DIR).mkdir(parents=True, exist_ok=True)
            (target / CONTENT_SUBDIR / SOCIAL_MAP_DIR / path.name).write_text(shared.text, "utf-8")
    for kind, _key, _language, path in _texts(content):
        source = sources.get(path)
        text = source.text if source is not None else path.read_text("utf-8")
        (rules_out if kind == "tree" else pages_out).joinpath(path.name).write_text(text, "utf-8")
        count += 1
    return count


@click.group("content")
def content_group() -> None:
    """Move trees and self-help pages between instances and into git."""


@content_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(directory: Path) -> None:
    """Write what patients get now into DIRECTORY (triage_rules/ and content/, as in the repository)."""
    from ..contentlib import live_content

    count = export(live_content(), directory)
    click.echo(f"Exported {count} trees and pages to {directory}")


@content_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_command(directory: Path) -> None:
    """Publish the trees, pages, prelude, lexicon and social maps of DIRECTORY (triage_rules/ and content/)
    that differ from the live ones.

    Versions changed in the browser are replaced too; the history keeps them.
    """
    from ..cli import _db

    rules_dir, content_dir = directory / RULES_SUBDIR, directory / CONTENT_SUBDIR
    if not rules_dir.is_dir():
        raise click.UsageError(f"{rules_dir} does not exist")
    db = _db()
    try:
        done = record_files(db, rules_dir, content_dir, replace=True, now=datetime.now(UTC), shared=True)
    finally:
        db.close()
    echo_recorded(done)
    if not done.published:
        click.echo("Content: nothing to import (everything is the same)")
