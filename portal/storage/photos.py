"""Photos sent with a request, and photos waiting on a form that is not sent yet.

Only re-encoded photos (``portal.photos.clean``) are stored, as BLOBs: a photo is
personal medical data, so it lives in the same database, backups and purge as the
request it belongs to, never as a loose file. Staff see them only through the
audited inbox route; the patient sees only the file names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from ..photos import MAX_PHOTOS, CleanPhoto
from .db import checkpoint, immediate

_COLUMNS = "filename, content_type, width, height, data, created_at"


@dataclass(frozen=True)
class PhotoInfo:
    """What a page needs to list a photo, without its bytes."""

    id: int
    filename: str
    content_type: str
    width: int
    height: int
    size: int
    message_id: int | None = None


@dataclass(frozen=True)
class StoredPhoto:
    id: int
    request_id: int
    filename: str
    content_type: str
    data: bytes


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _row(photo: CleanPhoto, now: datetime) -> list:
    return [photo.filename, photo.content_type, photo.width, photo.height, photo.data, _iso(now)]


def add_photos(
    db: Database,
    request_id: int,
    images: Iterable[CleanPhoto],
    message_id: int | None = None,
    *,
    now: datetime | None = None,
) -> list[int]:
    """Store cleaned photos with a request (or with one of its messages); returns their ids.

    Callers check the limit per request or message themselves (``MAX_PHOTOS``): the
    patient is told which photo was not added, which a storage function cannot word.
    """
    moment = now or datetime.now(UTC)
    ids = []
    with immediate(db):
        for image in images:
            cursor = db.execute(
                f"INSERT INTO request_photos (request_id, message_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [request_id, message_id, *_row(image, moment)],
            )
            ids.append(int(cursor.lastrowid or 0))
    return ids


def photos_for(db: Database, request_id: int) -> list[PhotoInfo]:
    """The request's photos in the order they were sent (those with a message carry its id)."""
    return [
        PhotoInfo(**row)
        for row in db.query(
            "SELECT id, filename, content_type, width, height, length(data) AS size, message_id "
            "FROM request_photos WHERE request_id = ? ORDER BY id",
            [request_id],
        )
    ]


def photo(db: Database, practice: str, request_id: int, photo_id: int) -> StoredPhoto | None:
    """One photo with its bytes, only when it belongs to this request of this practice."""
    rows = list(
        db.query(
            "SELECT p.id, p.request_id, p.filename, p.content_type, p.data FROM request_photos p "
            "JOIN requests r ON r.id = p.request_id "
            "WHERE p.id = ? AND p.request_id = ? AND r.practice = ? AND r.purged_at IS NULL",
            [photo_id, request_id, practice],
        )
    )
    return StoredPhoto(**rows[0]) if rows else None


def delete_for_request(db: Database, request_id: int) -> None:
    """Remove a request's photos (inside the caller's transaction: the purge)."""
    db.execute("DELETE FROM request_photos WHERE request_id = ?", [request_id])


# --- photos on a form that is not sent yet -------------------------------------------------------


def add_pending(db: Database, run_id: str, draft_key: str, images: Iterable[CleanPhoto], *, now: datetime) -> int:
    """Keep photos for a form until it is sent; at most MAX_PHOTOS per form. Returns how many were kept.

    Counting and inserting in one write transaction: two quick submits of the same
    form cannot together get past the limit.
    """
    kept = 0
    with immediate(db):
        have = _pending_count(db, run_id, draft_key)
        for image in images:
            if have + kept >= MAX_PHOTOS:
                break
            db.execute(
                f"INSERT INTO pending_photos (run_id, draft_key, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, draft_key, *_row(image, now)],
            )
            kept += 1
    return kept


def _pending_count(db: Database, run_id: str, draft_key: str) -> int:
    rows = db.execute(
        "SELECT count(*) FROM pending_photos WHERE run_id = ? AND draft_key = ?", [run_id, draft_key]
    ).fetchone()
    return int(rows[0])


def pending(db: Database, run_id: str, draft_key: str) -> list[PhotoInfo]:
    """The photos waiting on this form, oldest first."""
    return [
        PhotoInfo(**row)
        for row in db.query(
            "SELECT id, filename, content_type, width, height, length(data) AS size FROM pending_photos "
            "WHERE run_id = ? AND draft_key = ? ORDER BY id",
            [run_id, draft_key],
        )
    ]


def remove_pending(db: Database, run_id: str, draft_key: str, photo_ids: Iterable[int]) -> None:
    """The patient took these photos off the form (only ever their own form's photos)."""
    ids = list(photo_ids)
    if not ids:
        return
    with immediate(db):
        for photo_id in ids:
            db.execute(
                "DELETE FROM pending_photos WHERE id = ? AND run_id = ? AND draft_key = ?",
                [photo_id, run_id, draft_key],
            )


def attach_pending(db: Database, run_id: str, draft_key: str, request_id: int) -> int:
    """Move the form's waiting photos to the request it became; returns how many.

    Called after the request is stored. A repeat (double click, retry) finds nothing
    left to move, so photos are never attached twice.
    """
    with immediate(db):
        moved = db.execute(
            f"INSERT INTO request_photos (request_id, message_id, {_COLUMNS}) "
            f"SELECT ?, NULL, {_COLUMNS} FROM pending_photos WHERE run_id = ? AND draft_key = ? ORDER BY id",
            [request_id, run_id, draft_key],
        ).rowcount
        db.execute("DELETE FROM pending_photos WHERE run_id = ? AND draft_key = ?", [run_id, draft_key])
    return int(moved)


def sweep_pending(db: Database, created_before: datetime) -> int:
    """Remove photos of forms never sent (run by ``voordeur sweep``); returns how many."""
    with immediate(db):
        removed = db.execute("DELETE FROM pending_photos WHERE created_at < ?", [_iso(created_before)]).rowcount
    if removed:
        checkpoint(db)  # the photos must not live on in the write-ahead log
    return int(removed)
