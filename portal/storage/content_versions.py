"""Versions of trees and self-help pages: drafts, changes waiting for review, published versions.

The published versions are what patients get (``portal.contentlib`` reads them at
start-up and whenever ``published_mark`` moves), so they survive restarts and a
broken file on disk. A version is published in one ``BEGIN IMMEDIATE`` transaction
that supersedes the previous one, so a key never has two published versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from .db import immediate

DRAFT, SUBMITTED, REJECTED, PUBLISHED, SUPERSEDED, WITHDRAWN = (
    "draft",
    "submitted",
    "rejected",
    "published",
    "superseded",
    "withdrawn",
)
#: Versions someone still works on or must review.
OPEN = (DRAFT, SUBMITTED)
#: The values the table's CHECKs allow (``tests/unit/test_vocabulary.py`` compares them).
#: ``prelude``, ``lexicon`` and ``social_map`` since migration 0016 (``key`` 'prelude', 'lexicon', a map's slug).
KINDS = ("tree", "page", "prelude", "lexicon", "social_map")
STATUSES = (DRAFT, SUBMITTED, "approved", REJECTED, PUBLISHED, SUPERSEDED, WITHDRAWN)
ORIGINS = ("file", "editor", "rollback", "emergency")
CLASSIFICATIONS = ("none", "wording", "logic")
LANGUAGES = ("", "nl", "en")


class Conflict(RuntimeError):
    """The live version changed since the draft was made: publishing it would undo that change."""


@dataclass(frozen=True)
class ContentVersion:
    id: int
    kind: str  # tree | page | prelude | lexicon | social_map
    key: str  # tree id or page slug
    language: str  # '' for a tree
    number: int | None  # given when published
    status: str
    origin: str  # file | editor | rollback | emergency
    classification: str | None  # none | wording | logic
    changes: tuple[str, ...]
    source: str
    based_on: int | None
    author_id: int | None
    reviewer_id: int | None
    review_comment: str | None
    release_note: str | None
    created_at: str
    updated_at: str
    submitted_at: str | None
    reviewed_at: str | None
    published_at: str | None

    @property
    def name(self) -> str:
        """How editors name the file: ``keelpijn`` or ``keelpijn.nl``."""
        return f"{self.key}.{self.language}" if self.language else self.key


def _version(row: dict) -> ContentVersion:
    row = dict(row)
    row["kind"], row["status"] = row.pop("content_kind"), row.pop("version_status")
    return ContentVersion(**{**row, "changes": tuple(json.loads(row["changes"] or "[]"))})


def _at(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def get(db: Database, version_id: int) -> ContentVersion | None:
    rows = list(db.query("SELECT * FROM content_versions WHERE id = ?", [version_id]))
    return _version(rows[0]) if rows else None


def history(db: Database, kind: str, key: str, language: str = "") -> list[ContentVersion]:
    """Every version of one tree or page, newest first."""
    rows = db.query(
        "SELECT * FROM content_versions WHERE content_kind = ? AND key = ? AND language = ? ORDER BY id DESC",
        [kind, key, language],
    )
    return [_version(row) for row in rows]


def current(db: Database, kind: str, key: str, language: str = "") -> ContentVersion | None:
    """The published version of one tree or page, if it has one."""
    rows = list(
        db.query(
            "SELECT * FROM content_versions WHERE content_kind = ? AND key = ? AND language = ? AND version_status = ? "
            "ORDER BY id DESC LIMIT 1",
            [kind, key, language, PUBLISHED],
        )
    )
    return _version(rows[0]) if rows else None


def published(db: Database) -> list[ContentVersion]:
    """The published version of every tree and page that has one."""
    return [
        _version(row)
        for row in db.query("SELECT * FROM content_versions WHERE version_status = ? ORDER BY id", [PUBLISHED])
    ]


def published_mark(db: Database) -> int:
    """Moves whenever anything is published (a new row gets a higher id): workers compare it to reload."""
    rows = list(
        db.query("SELECT coalesce(max(id), 0) AS mark FROM content_versions WHERE version_status = ?", [PUBLISHED])
    )
    return int(rows[0]["mark"])


def open_versions(db: Database, status: str | None = None) -> list[ContentVersion]:
    """Drafts and changes waiting for review (or only those of ``status``), oldest first."""
    statuses = (status,) if status else OPEN
    marks = ", ".join("?" for _ in statuses)
    rows = db.query(f"SELECT * FROM content_versions WHERE version_status IN ({marks}) ORDER BY id", list(statuses))
    return [_version(row) for row in rows]


def open_draft(db: Database, kind: str, key: str, language: str, author_id: int) -> ContentVersion | None:
    """The author's own draft of this tree or page, if they have one (one at a time per author)."""
    rows = list(
        db.query(
            "SELECT * FROM content_versions WHERE content_kind = ? AND key = ? AND language = ? AND author_id = ? "
            "AND version_status = ? ORDER BY id DESC LIMIT 1",
            [kind, key, language, author_id, DRAFT],
        )
    )
    return _version(rows[0]) if rows else None


def create(
    db: Database,
    *,
    kind: str,
    key: str,
    language: str,
    source: str,
    based_on: int | None,
    author_id: int | None,
    now: datetime,
    origin: str = "editor",
    status: str = DRAFT,
    classification: str | None = None,
    changes: tuple[str, ...] = (),
) -> int:
    """A new draft (or a submitted rollback) of one tree or page."""
    with immediate(db):
        cursor = db.execute(
            "INSERT INTO content_versions (content_kind, key, language, version_status, origin, classification, "
            "changes, source, "
            "based_on, author_id, created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                kind,
                key,
                language,
                status,
                origin,
                classification,
                json.dumps(list(changes)),
                source,
                based_on,
                author_id,
                _at(now),
                _at(now),
                _at(now) if status == SUBMITTED else None,
            ],
        )
        return int(cursor.lastrowid or 0)


def save(
    db: Database, version_id: int, *, source: str, classification: str | None, changes: tuple[str, ...], now: datetime
) -> None:
    """Store a draft's new text and what it changes. Only a draft can change."""
    db.execute(
        "UPDATE content_versions SET source = ?, classification = ?, changes = ?, updated_at = ? "
        "WHERE id = ? AND version_status = ?",
        [source, classification, json.dumps(list(changes)), _at(now), version_id, DRAFT],
    )


def set_release_note(db: Database, version_id: int, note: str) -> None:
    db.execute("UPDATE content_versions SET release_note = ? WHERE id = ?", [note, version_id])


def submit(db: Database, version_id: int, *, release_note: str | None, now: datetime) -> bool:
    """Hand a draft to review; False when it is no longer a draft."""
    with immediate(db):
        cursor = db.execute(
            "UPDATE content_versions SET version_status = ?, release_note = ?, submitted_at = ?, updated_at = ? "
            "WHERE id = ? AND version_status = ?",
            [SUBMITTED, release_note, _at(now), _at(now), version_id, DRAFT],
        )
        return cursor.rowcount == 1


def withdraw(db: Database, version_id: int, now: datetime) -> bool:
    """The author takes a draft or a submitted change back."""
    marks = ", ".join("?" for _ in OPEN)
    cursor = db.execute(
        f"UPDATE content_versions SET version_status = ?, updated_at = ? WHERE id = ? AND version_status IN ({marks})",
        [WITHDRAWN, _at(now), version_id, *OPEN],
    )
    return cursor.rowcount == 1


def reject(db: Database, version_id: int, *, reviewer_id: int, comment: str, now: datetime) -> bool:
    with immediate(db):
        cursor = db.execute(
            "UPDATE content_versions SET version_status = ?, reviewer_id = ?, review_comment = ?, reviewed_at = ?, "
            "updated_at = ? WHERE id = ? AND version_status = ?",
            [REJECTED, reviewer_id, comment, _at(now), _at(now), version_id, SUBMITTED],
        )
        return cursor.rowcount == 1


def publish(db: Database, version_id: int, *, reviewer_id: int | None, comment: str | None, now: datetime) -> int:
    """Publish a submitted (or, for an emergency, any open) version; returns its number.

    Raises ``Conflict`` when another version was published since this one was based on
    the live version: publishing it would silently undo that change.
    """
    with immediate(db):
        version = get(db, version_id)
        if version is None or version.status not in OPEN:
            raise Conflict("this change is no longer open")
        live = current(db, version.kind, version.key, version.language)
        if live is not None and version.based_on != live.id:
            raise Conflict("another version was published since this change was made")
        return _publish(db, version, reviewer_id, comment, now, live)


def _publish(
    db: Database,
    version: ContentVersion,
    reviewer_id: int | None,
    comment: str | None,
    now: datetime,
    live: ContentVersion | None,
) -> int:
    if live is not None:
        db.execute(
            "UPDATE content_versions SET version_status = ?, updated_at = ? WHERE id = ?",
            [SUPERSEDED, _at(now), live.id],
        )
    (number,) = db.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM content_versions WHERE content_kind = ? AND key = ? AND language = ?",
        [version.kind, version.key, version.language],
    ).fetchone()
    db.execute(
        "UPDATE content_versions SET version_status = ?, number = ?, reviewer_id = ?, review_comment = ?, "
        "reviewed_at = ?, "
        "published_at = ?, updated_at = ? WHERE id = ?",
        [PUBLISHED, number, reviewer_id, comment, _at(now), _at(now), _at(now), version.id],
    )
    return int(number)


def publish_now(
    db: Database,
    *,
    kind: str,
    key: str,
    language: str,
    source: str,
    origin: str,
    author_id: int | None,
    comment: str | None,
    now: datetime,
    classification: str | None = None,
    changes: tuple[str, ...] = (),
    expect_live: int | bool | None = True,
) -> tuple[int, int]:
    """Publish a text at once, without review: a shipped file (``origin='file'``), an
    admin's emergency rollback (``'emergency'``, audited by the caller), or a social map
    saved in the browser (``'editor'``). Returns (id, number).

    ``expect_live`` (a version id, or None for "no version yet") raises ``Conflict`` when
    the published version is another one: someone else saved since the form was opened.
    The default ``True`` publishes whatever is live."""
    with immediate(db):
        live = current(db, kind, key, language)
        if expect_live is not True and (live.id if live else None) != expect_live:
            raise Conflict("another version was published since this form was opened")
        cursor = db.execute(
            "INSERT INTO content_versions (content_kind, key, language, version_status, origin, classification, "
            "changes, source, "
            "based_on, author_id, review_comment, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                kind,
                key,
                language,
                SUBMITTED,
                origin,
                classification,
                json.dumps(list(changes)),
                source,
                live.id if live else None,
                author_id,
                comment,
                _at(now),
                _at(now),
            ],
        )
        version = get(db, int(cursor.lastrowid or 0))
        assert version is not None
        number = _publish(db, version, None, comment, now, live)
        return version.id, number


def staff_names(db: Database, ids: set[int]) -> dict[int, str]:
    """Names of the authors and reviewers a history shows."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    return {row["id"]: row["name"] for row in db.query(f"SELECT id, name FROM staff WHERE id IN ({marks})", list(ids))}
