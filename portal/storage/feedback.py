"""Anonymous feedback on self-help pages: helped or not, and a reason from a fixed list."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from ..vocabulary import FeedbackReason, member
from .db import immediate
from .routing import minute


def record_feedback(
    db: Database,
    *,
    page: str,
    language: str,
    run_id: str | None,
    helped: bool,
    reason: str | None,
    now: datetime,
) -> None:
    if reason is not None and member(FeedbackReason, reason) is None:
        raise ValueError(f"unknown reason {reason!r}")
    with immediate(db, durable=False):
        db.execute(
            "INSERT INTO page_feedback (page, language, run_id, helped, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            [page, language, run_id, int(helped), reason, minute(now)],
        )


def feedback_rows(db: Database) -> list[dict]:
    return list(db.query("SELECT * FROM page_feedback ORDER BY id"))
