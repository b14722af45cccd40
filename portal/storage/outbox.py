"""The durable mail outbox: a row per message, written with what it announces.

Talking SMTP inside a request made a refused or hanging mail server the
patient's problem: a 500 *after* the request was stored (back and send again
made a duplicate), or a worker blocked for the SMTP timeout. Now a view only
adds an outbox row in the same transaction as its own write, and
``voordeur outbox`` delivers the rows later, with retries.

A row holds no address and no text. At delivery the address, reference and
status token are read from the request, so a purged request is never mailed,
and ``last_error`` only ever holds an error class and an SMTP code.

No Flask here: the CLI and the tests call these functions directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .db import immediate

TEMPLATES = ("request_sent", "new_message")
MAX_ATTEMPTS = 10  # 1 + 2 + 4 + … + 256 minutes: the last try is about 8.5 hours after the first
GIVE_UP_AFTER = timedelta(days=1)
FIRST_RETRY = timedelta(minutes=1)
DEFAULT_LEASE = timedelta(minutes=15)
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_ERROR_LENGTH = 200


@dataclass(frozen=True)
class MailOrder:
    """What a view asks to be mailed with its write: which text, in which language, linking where."""

    template: str
    locale: str
    base_url: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    dedupe_key: str
    request_id: int
    template: str
    locale: str
    base_url: str
    created_at: str
    attempts: int
    next_attempt_at: str
    sent_at: str | None
    gave_up_at: str | None
    last_error: str | None


def _iso(moment: datetime) -> str:
    """The same format as every other timestamp in the database, so text comparison orders them."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def enqueue(
    db: Database,
    *,
    request_id: int,
    template: str,
    locale: str,
    base_url: str,
    now: datetime,
    dedupe_key: str,
) -> bool:
    """Add a message to the outbox. Returns False when ``dedupe_key`` was already there.

    Must run inside the caller's open transaction: the row then commits or rolls
    back together with the write it announces, so there is never a mail about a
    request that was not stored, nor a stored request whose mail was forgotten.
    """
    assert db.conn.in_transaction, "enqueue() belongs inside the transaction of the write it announces"
    if template not in TEMPLATES:
        raise ValueError(f"unknown mail template {template!r}")
    cursor = db.execute(
        "INSERT INTO outbox (dedupe_key, request_id, template, locale, base_url, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        [dedupe_key, request_id, template, locale, base_url.rstrip("/"), _iso(now), _iso(now)],
    )
    return cursor.rowcount == 1


def claim_due(db: Database, now: datetime, lease: timedelta = DEFAULT_LEASE, *, limit: int = 20) -> list[OutboxItem]:
    """Take up to ``limit`` due messages for this deliverer.

    In one ``BEGIN IMMEDIATE`` transaction the rows' next attempt moves ``lease``
    into the future and their attempt count goes up, so a second ``voordeur
    outbox`` running at the same time no longer sees them as due. If this
    deliverer dies, the lease runs out and the rows are due again.
    """
    with immediate(db):
        rows = list(
            db.query(
                "SELECT * FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                [_iso(now), limit],
            )
        )
        for row in rows:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                [_iso(now + lease), row["id"]],
            )
    return [
        OutboxItem(**{**row, "attempts": row["attempts"] + 1, "next_attempt_at": _iso(now + lease)}) for row in rows
    ]


def still_ours(db: Database, item: OutboxItem) -> bool:
    """Whether our claim still holds: not sent, not given up, and not claimed again since.

    Checked right before sending, so a deliverer that was stalled past its lease
    does not send a message that another one has taken over.
    """
    rows = list(
        db.query(
            "SELECT 1 FROM outbox WHERE id = ? AND attempts = ? AND sent_at IS NULL AND gave_up_at IS NULL",
            [item.id, item.attempts],
        )
    )
    return bool(rows)


def mark_sent(db: Database, item: OutboxItem, now: datetime) -> None:
    """Record that the mail server accepted the message: it is never sent again."""
    with immediate(db):
        db.execute(
            "UPDATE outbox SET sent_at = ?, last_error = NULL WHERE id = ? AND sent_at IS NULL",
            [_iso(now), item.id],
        )


def backoff(attempts: int) -> timedelta:
    """Wait 1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt."""
    return FIRST_RETRY * (2 ** max(attempts - 1, 0))


def scrub(error: str) -> str:
    """An error text safe to store and log: no e-mail address, short."""
    return _ADDRESS.sub("<address>", error)[:_ERROR_LENGTH]


def mark_failed(db: Database, item: OutboxItem, *, error: str, now: datetime, retry_at: datetime | None = None) -> bool:
    """Record a failed attempt and schedule the next one (exponential backoff).

    Gives up after ``MAX_ATTEMPTS`` attempts, or when the next try would come
    more than ``GIVE_UP_AFTER`` after the message was queued: "your question was
    sent" is of no use days later, and the status page has the news anyway.
    Returns True when it gave up. ``error`` must not hold an address or any
    message text; it is scrubbed anyway.
    """
    retry_at = retry_at or now + backoff(item.attempts)
    created = datetime.fromisoformat(item.created_at)
    if item.attempts >= MAX_ATTEMPTS or retry_at - created > GIVE_UP_AFTER:
        give_up(db, item, reason=error, now=now)
        return True
    with immediate(db):
        db.execute(
            "UPDATE outbox SET last_error = ?, next_attempt_at = ? "
            "WHERE id = ? AND attempts = ? AND sent_at IS NULL AND gave_up_at IS NULL",
            [scrub(error), _iso(retry_at), item.id, item.attempts],
        )
    return False


def give_up(db: Database, item: OutboxItem, *, reason: str, now: datetime) -> None:
    """Never try this message again (a purged request, a permanent refusal, too many attempts)."""
    with immediate(db):
        db.execute(
            "UPDATE outbox SET gave_up_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL AND gave_up_at IS NULL",
            [_iso(now), scrub(reason), item.id],
        )


def pending_count(db: Database) -> int:
    """Messages not yet sent and not given up (due now or waiting for a retry)."""
    rows = db.query("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL")
    return next(iter(rows))["n"]


def stats(db: Database, now: datetime) -> dict[str, Any]:
    """Counts for monitoring (a /healthz field, ``voordeur outbox --status``): no address, no text."""
    row = next(
        iter(
            db.query(
                "SELECT "
                "count(*) FILTER (WHERE sent_at IS NULL AND gave_up_at IS NULL) AS pending, "
                "count(*) FILTER (WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?) AS due, "
                "count(*) FILTER (WHERE sent_at IS NULL AND gave_up_at IS NULL AND attempts > 0) AS retrying, "
                "count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent, "
                "count(*) FILTER (WHERE gave_up_at IS NOT NULL) AS gave_up, "
                "min(created_at) FILTER (WHERE sent_at IS NULL AND gave_up_at IS NULL) AS oldest_pending_at "
                "FROM outbox",
                [_iso(now)],
            )
        )
    )
    return dict(row)


def items_for_request(db: Database, request_id: int) -> list[OutboxItem]:
    """The outbox rows of one request, oldest first (for tests and support)."""
    return [
        OutboxItem(**row) for row in db.query("SELECT * FROM outbox WHERE request_id = ? ORDER BY id", [request_id])
    ]
