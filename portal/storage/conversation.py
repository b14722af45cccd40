"""The patient's side of the conversation about a request.

A patient answers back on their status page. The message is stored beside the
practice's replies (``request_messages``, author ``patient``, no staff id), and
when the request was answered or closed it goes back into the inbox with a
fresh deadline, in the same transaction: a message is never stored without
the request showing that it waits. The audit log records that the patient
wrote (and whether that reopened the request), never what they wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from ..photos import CleanPhoto
from ..vocabulary import MessageAuthor, RequestStatus
from .audit import append as audit
from .db import immediate

#: Statuses in which the practice has done its part: a patient's message puts the request back.
_DONE = (RequestStatus.ANSWERED, RequestStatus.CLOSED)


class NotAccepted(ValueError):
    """The request can no longer take a message (purged since the page was shown)."""


@dataclass(frozen=True)
class Sent:
    """What a patient's message did: its id, and the status the request was in before."""

    message_id: int
    reopened: bool
    was: str


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def add_patient_message(
    db: Database,
    request_id: int,
    body: str,
    *,
    now: datetime,
    due: datetime,
    photos: Sequence[CleanPhoto] = (),
) -> Sent:
    """Store the patient's message (with its re-encoded ``photos``); an answered or closed request reopens.

    The photos go into ``request_photos`` with the message's id, in the same transaction:
    a message is never stored without the photos the patient sent with it, nor the other way round.

    ``due`` is the fresh deadline of a reopened request. A request still waiting for its
    answer keeps its deadline: adding to a question must never push its answer later.
    Read and written under one write lock, so a close by an assistant at the same moment
    cannot leave a reopened request without its deadline.
    """
    with immediate(db):
        rows = list(db.query("SELECT status, purged_at, practice FROM requests WHERE id = ?", [request_id]))
        if not rows or rows[0]["purged_at"]:
            raise NotAccepted(request_id)
        was = rows[0]["status"]
        cursor = db.execute(
            "INSERT INTO request_messages (request_id, staff_id, body, created_at, author) VALUES (?, NULL, ?, ?, ?)",
            [request_id, body, _iso(now), MessageAuthor.PATIENT],
        )
        for photo in photos:
            db.execute(
                "INSERT INTO request_photos (request_id, message_id, filename, content_type, width, height, data, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    request_id,
                    cursor.lastrowid,
                    photo.filename,
                    photo.content_type,
                    photo.width,
                    photo.height,
                    photo.data,
                    _iso(now),
                ],
            )
        reopened = was in _DONE
        if reopened:
            db.execute(
                "UPDATE requests SET status = ?, due_at = ?, closed_at = NULL, reopened_at = ?, "
                "reopen_count = reopen_count + 1, patient_replied_at = ? WHERE id = ?",
                [RequestStatus.IN_PROGRESS, _iso(due), _iso(now), _iso(now), request_id],
            )
        else:
            db.execute("UPDATE requests SET patient_replied_at = ? WHERE id = ?", [_iso(now), request_id])
        audit(
            db,
            action=f"patient:message:reopen:{was}" if reopened else "patient:message",
            practice=rows[0]["practice"],
            request_id=request_id,
            now=now,
        )
    assert cursor.lastrowid is not None
    return Sent(message_id=cursor.lastrowid, reopened=reopened, was=was)
