"""Requests to the practice: e-consult, appointment, social referral, call-back.

The only table with personal data. Submitting is idempotent (a UNIQUE
idempotency key), so a double click or a client retry after a lost reply never
makes two requests. Closed requests are purged after the retention period;
the anonymous routing record keeps the triage and the final disposition.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from ..vocabulary import RequestStatus
from .audit import NO_ORIGIN, Origin
from .audit import append as audit
from .db import checkpoint, immediate
from .outbox import MailOrder, enqueue

PERSONAL_COLUMNS = ("name", "birth_date", "phone", "email", "contact_name", "message")
_REFERENCE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"  # no look-alikes (0/O, 1/I, 5/S, 8/B)


@dataclass(frozen=True)
class NewRequest:
    practice: str
    run_id: str
    kind: str
    urgency: str
    idempotency_key: str
    name: str
    birth_date: str
    phone: str | None = None
    email: str | None = None
    for_whom: str = "self"
    contact_name: str | None = None
    message: str | None = None
    alarm_warning_shown: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PracticeRequest:
    id: int
    reference: str
    status_token: str
    idempotency_key: str
    practice: str
    run_id: str
    kind: str
    status: str
    urgency: str
    details: dict[str, Any]
    name: str | None
    birth_date: str | None
    phone: str | None
    email: str | None
    for_whom: str | None
    contact_name: str | None
    message: str | None
    alarm_warning_shown: bool
    assigned_to: int | None
    created_at: str
    due_at: str
    closed_at: str | None
    purged_at: str | None
    #: The patient's latest message while it waits for the practice (cleared by a reply or a close).
    patient_replied_at: str | None = None
    #: When and how often a patient's message put an answered or closed request back in the inbox.
    reopened_at: str | None = None
    reopen_count: int = 0


@dataclass(frozen=True)
class Message:
    id: int
    request_id: int
    staff_id: int | None
    body: str | None
    created_at: str
    page: str | None = None  # a self-help page linked under the reply (from a reply template)
    author: str = "practice"  # or "patient": who wrote it (vocabulary.MessageAuthor)


def _request(row: dict[str, Any]) -> PracticeRequest:
    row = dict(row)
    row["details"] = json.loads(row["details"])
    row["alarm_warning_shown"] = bool(row["alarm_warning_shown"])
    return PracticeRequest(**row)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def new_reference() -> str:
    return "VD-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


class KeyConflict(ValueError):
    """The idempotency key belongs to another triage or practice: never answer with its request."""


def submit(
    db: Database, new: NewRequest, *, now: datetime, due: datetime, mail: MailOrder | None = None
) -> tuple[PracticeRequest, bool]:
    """Store a request once. Returns (request, created).

    A repeat with the same idempotency key, or any second request from the same
    triage, returns the first one: a run leads to one request, so pressing back
    and sending again never makes a duplicate. A key that another run used is
    refused (KeyConflict) rather than revealing that run's request.

    With ``mail``, the confirmation is queued in the outbox inside the same
    transaction, and only when a request was created: a repeat queues nothing.
    """
    for _ in range(5):
        try:
            with immediate(db):
                existing = _existing(db, new)
                if existing is not None:
                    return existing, False
                db.execute(
                    "INSERT INTO requests (reference, status_token, idempotency_key, practice, run_id, kind, "
                    "urgency, details, name, birth_date, phone, email, for_whom, contact_name, message, "
                    "alarm_warning_shown, created_at, due_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        new_reference(),
                        secrets.token_urlsafe(32),
                        new.idempotency_key,
                        new.practice,
                        new.run_id,
                        new.kind,
                        new.urgency,
                        json.dumps(new.details),
                        new.name,
                        new.birth_date,
                        new.phone,
                        new.email,
                        new.for_whom,
                        new.contact_name,
                        new.message,
                        int(new.alarm_warning_shown),
                        _iso(now),
                        _iso(due),
                    ],
                )
                created = _existing(db, new)
                assert created is not None
                if mail is not None and created.email:  # same transaction: stored and mailed, or neither
                    _enqueue(db, mail, created.id, f"request_sent:{created.id}", now)
            return created, True
        except sqlite3.IntegrityError as exc:  # a reference or token collided: draw again
            if "idempotency_key" in str(exc):
                raise KeyConflict(new.idempotency_key) from exc
    raise RuntimeError("could not draw a unique reference")  # pragma: no cover - five collisions


def _existing(db: Database, new: NewRequest) -> PracticeRequest | None:
    """The request this submission repeats, if any (same key, or same triage)."""
    rows = list(db.query("SELECT * FROM requests WHERE idempotency_key = ?", [new.idempotency_key]))
    if rows and (rows[0]["run_id"], rows[0]["practice"]) != (new.run_id, new.practice):
        raise KeyConflict(new.idempotency_key)
    if not rows:
        rows = list(db.query("SELECT * FROM requests WHERE run_id = ? ORDER BY id LIMIT 1", [new.run_id]))
    return _request(rows[0]) if rows else None


def for_run(db: Database, run_id: str) -> PracticeRequest | None:
    """The request sent from this triage, if any: its answers are then frozen."""
    rows = list(db.query("SELECT * FROM requests WHERE run_id = ? ORDER BY id LIMIT 1", [run_id]))
    return _request(rows[0]) if rows else None


def by_token(db: Database, token: str) -> PracticeRequest | None:
    rows = list(db.query("SELECT * FROM requests WHERE status_token = ?", [token]))
    return _request(rows[0]) if rows else None


def for_practice(db: Database, practice: str, request_id: int) -> PracticeRequest | None:
    """A request of this practice only: another practice's id is 'not found'."""
    rows = list(db.query("SELECT * FROM requests WHERE id = ? AND practice = ?", [request_id, practice]))
    return _request(rows[0]) if rows else None


@dataclass(frozen=True)
class InboxQuery:
    """What the assistant asked the list for; every field is optional and stays in the URL.

    ``view`` is one of ``VIEWS``; ``search`` matches part of the name or the reference,
    ``birth_date`` (ISO) the date of birth exactly. ``staff_id`` is who "mine" means.
    """

    view: str = "all"
    kind: str | None = None
    complaint: str | None = None
    status: str | None = None
    search: str | None = None
    birth_date: str | None = None
    staff_id: int | None = None


#: The quick filters above the list, each with its count.
VIEWS = ("all", "mine", "unassigned", "overdue")
_WAITING = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)  # the clock runs until the answer


def _view_condition(view: str, staff_id: int | None, now: datetime) -> tuple[str, list[Any]]:
    """SQL for one quick filter. Overdue: the answer is late and none was sent yet."""
    if view == "mine":
        return "assigned_to = ?", [staff_id]
    if view == "unassigned":
        return "assigned_to IS NULL", []
    if view == "overdue":
        return "due_at < ? AND status IN (?, ?)", [_iso(now), *_WAITING]
    return "1", []


def inbox(
    db: Database,
    practice: str,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: InboxQuery | None = None,
    now: datetime | None = None,
) -> list[PracticeRequest]:
    """Open requests by default, most urgent first, then the one due soonest.

    ``query`` adds the quick filter (mine / unassigned / overdue), complaint and search;
    ``now`` is needed for "overdue" only.
    """
    query = query or InboxQuery()
    kind = kind or query.kind
    status = status or query.status
    where = ["practice = ?"]
    params: list[Any] = [practice]
    if status:
        where.append("status = ?")
        params.append(status)
    else:
        where.append("status != ?")
        params.append(RequestStatus.CLOSED)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if query.complaint:
        where.append("json_extract(details, '$.tree') = ?")
        params.append(query.complaint)
    if query.view != "all":
        condition, values = _view_condition(query.view, query.staff_id, now or datetime.now(UTC))
        where.append(condition)
        params.extend(values)
    if query.search or query.birth_date:
        # A date of birth typed in the search box matches it exactly; any text matches part of
        # the name or of the reference (with or without "VD-").
        found = []
        if query.search:
            found.append("name LIKE ? ESCAPE '\\' OR reference LIKE ? ESCAPE '\\'")
            pattern = "%" + _escape_like(query.search) + "%"
            params.extend([pattern, pattern])
        if query.birth_date:
            found.append("birth_date = ?")
            params.append(query.birth_date)
        where.append("(" + " OR ".join(found) + ")")
    sql = f"SELECT * FROM requests WHERE {' AND '.join(where)} ORDER BY urgency, due_at, id"
    return [_request(row) for row in db.query(sql, params)]


def _escape_like(text: str) -> str:
    """A typed ``%`` or ``_`` is a character, not a wildcard."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class InboxCounts:
    """How many open requests each filter would show, for the numbers beside the filters."""

    views: dict[str, int]
    kinds: dict[str, int]
    complaints: dict[str, int]
    new: int


def inbox_counts(db: Database, practice: str, *, staff_id: int | None, now: datetime) -> InboxCounts:
    """Counts of the open requests per quick filter, per kind and per complaint (one pass each)."""
    open_only = "practice = ? AND status != ?"
    base = [practice, RequestStatus.CLOSED]
    views = next(
        iter(
            db.query(
                'SELECT count(*) AS "all", '
                "coalesce(sum(assigned_to = ?), 0) AS mine, "
                "coalesce(sum(assigned_to IS NULL), 0) AS unassigned, "
                "coalesce(sum(due_at < ? AND status IN (?, ?)), 0) AS overdue, "
                "coalesce(sum(status = ?), 0) AS new "
                f"FROM requests WHERE {open_only}",
                [staff_id, _iso(now), *_WAITING, RequestStatus.NEW, *base],
            )
        )
    )
    kinds = {
        row["kind"]: row["n"]
        for row in db.query(f"SELECT kind, count(*) AS n FROM requests WHERE {open_only} GROUP BY kind", base)
    }
    complaints = {
        row["tree"]: row["n"]
        for row in db.query(
            "SELECT json_extract(details, '$.tree') AS tree, count(*) AS n "
            f"FROM requests WHERE {open_only} AND json_extract(details, '$.tree') IS NOT NULL GROUP BY tree",
            base,
        )
    }
    return InboxCounts(
        views={view: views[view] for view in VIEWS}, kinds=kinds, complaints=complaints, new=views["new"]
    )


def count_since(db: Database, practice: str, kind: str, since: datetime) -> int:
    rows = db.query(
        "SELECT count(*) AS n FROM requests WHERE practice = ? AND kind = ? AND created_at >= ?",
        [practice, kind, _iso(since)],
    )
    return next(iter(rows))["n"]


def messages(db: Database, request_id: int) -> list[Message]:
    rows = db.query("SELECT * FROM request_messages WHERE request_id = ? ORDER BY id", [request_id])
    return [Message(**row) for row in rows]


def assign(
    db: Database, request: PracticeRequest, staff_id: int, assignee_id: int, *, origin: Origin | None = None
) -> None:
    """Give the request to a colleague (or to oneself: a claim)."""
    action = "claim" if assignee_id == staff_id else f"assign:{assignee_id}"
    with immediate(db):
        db.execute(
            "UPDATE requests SET assigned_to = ?, status = CASE WHEN status = ? THEN ? ELSE status END WHERE id = ?",
            [assignee_id, RequestStatus.NEW, RequestStatus.IN_PROGRESS, request.id],
        )
        audit(
            db,
            action=action,
            staff_id=staff_id,
            practice=request.practice,
            request_id=request.id,
            **(origin or NO_ORIGIN),
        )


def reply(
    db: Database,
    request: PracticeRequest,
    staff_id: int,
    body: str,
    now: datetime,
    *,
    action: str = "reply",
    mail: MailOrder | None = None,
    origin: Origin | None = None,
    page: str | None = None,
    detail: str | None = None,
    close_with: Disposition | None = None,
) -> None:
    """Add a staff message; with ``mail``, the patient's notification is queued in the same transaction.

    ``page`` links a self-help page under the message (from a reply template; ``detail``
    names the template in the audit row). With ``close_with`` the request is closed with
    that final disposition in the same transaction: the assistant's common path is one
    submit, and a reply is never sent without the close it came with, or the other way round.
    """
    with immediate(db):
        cursor = db.execute(
            "INSERT INTO request_messages (request_id, staff_id, body, created_at, page) VALUES (?, ?, ?, ?, ?)",
            [request.id, staff_id, body, _iso(now), page],
        )
        if mail is not None and request.email:
            _enqueue(db, mail, request.id, f"new_message:{cursor.lastrowid}", now)
        db.execute(  # the practice answered: the patient's message no longer waits
            "UPDATE requests SET status = ?, patient_replied_at = NULL WHERE id = ? AND status != ?",
            [RequestStatus.ANSWERED, request.id, RequestStatus.CLOSED],
        )
        audit(
            db,
            action=action,
            staff_id=staff_id,
            practice=request.practice,
            request_id=request.id,
            now=now,
            detail=detail,
            **(origin or NO_ORIGIN),
        )
        if close_with is not None:
            _close(db, request, staff_id, close_with, now, origin)


def _enqueue(db: Database, mail: MailOrder, request_id: int, dedupe_key: str, now: datetime) -> None:
    enqueue(
        db,
        request_id=request_id,
        template=mail.template,
        locale=mail.locale,
        base_url=mail.base_url,
        now=now,
        dedupe_key=dedupe_key,
    )


def close(
    db: Database,
    request: PracticeRequest,
    staff_id: int,
    *,
    route: str,
    urgency: str,
    now: datetime,
    origin: Origin | None = None,
) -> None:
    """Close with the assistant's final disposition, stored beside the triage outcome."""
    with immediate(db):
        _close(db, request, staff_id, Disposition(route, urgency), now, origin)


@dataclass(frozen=True)
class Disposition:
    """The assistant's final route and urgency for a request (compared with the triage's)."""

    route: str
    urgency: str


def _close(
    db: Database,
    request: PracticeRequest,
    staff_id: int,
    final: Disposition,
    now: datetime,
    origin: Origin | None,
) -> None:
    """The close itself, inside the caller's transaction."""
    db.execute(
        "UPDATE requests SET status = ?, closed_at = ?, patient_replied_at = NULL WHERE id = ?",
        [RequestStatus.CLOSED, _iso(now), request.id],
    )
    db.execute(
        "UPDATE triage_runs SET final_route = ?, final_urgency = ?, disposition_at = ? WHERE id = ?",
        [final.route, final.urgency, now.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), request.run_id],
    )
    audit(
        db,
        action=f"close:{final.route}:{final.urgency}",
        staff_id=staff_id,
        practice=request.practice,
        request_id=request.id,
        now=now,
        **(origin or NO_ORIGIN),
    )


def purge_closed(db: Database, closed_before: datetime, now: datetime) -> int:
    """Remove the personal data of requests closed before ``closed_before``; keep the rest."""
    cleared = ", ".join(f"{column} = NULL" for column in PERSONAL_COLUMNS)
    with immediate(db):
        ids = [
            row["id"]
            for row in db.query(
                "SELECT id FROM requests WHERE status = ? AND closed_at < ? AND purged_at IS NULL",
                [RequestStatus.CLOSED, _iso(closed_before)],
            )
        ]
        for request_id in ids:
            db.execute(
                f"UPDATE requests SET {cleared}, details = '{{}}', purged_at = ? WHERE id = ?",
                [_iso(now), request_id],
            )
            db.execute("UPDATE request_messages SET body = NULL WHERE request_id = ?", [request_id])
            # Photos go entirely (secure_delete overwrites their bytes; the checkpoint below the WAL's copy).
            db.execute("DELETE FROM request_photos WHERE request_id = ?", [request_id])
            audit(db, action="purge", request_id=request_id, now=now)
    if ids:
        checkpoint(db)  # the purged text must not live on in the write-ahead log
    return len(ids)
