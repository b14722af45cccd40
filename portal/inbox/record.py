"""The request page's conversation and SOEP note, gathered from storage for ``routes.detail``.

The words are made in ``summary`` (pure); this module only collects what is
stored — the request, its triage run, its messages — and turns times into the
practice's local time, so the view stays a few lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import clock
from ..rulebook import live_trees
from ..storage import requests as store
from ..storage.routing import Run
from ..vocabulary import MessageAuthor, RequestStatus
from . import summary


@dataclass(frozen=True)
class ThreadEntry:
    """One message of the conversation as the assistant reads it."""

    id: int
    author: str  # MessageAuthor
    name: str | None  # the colleague who wrote a practice message
    at: datetime  # local time
    body: str | None  # None once purged
    page: str | None


def thread(messages: Sequence[store.Message], staff_names: Mapping[int, str]) -> list[ThreadEntry]:
    """Both sides, oldest first (the patient's first question stands above, with the request)."""
    return [
        ThreadEntry(
            id=m.id,
            author=m.author,
            name=staff_names.get(m.staff_id) if m.staff_id else None,
            at=clock.local(datetime.fromisoformat(m.created_at)),
            body=m.body,
            page=m.page,
        )
        for m in messages
    ]


def soep(
    found: store.PracticeRequest,
    run: Run | None,
    messages: Sequence[store.Message],
    photo_messages: Sequence[int | None] = (),
) -> summary.Soep:
    """The SOEP note of this request today: the answers as sent, the final decision once closed.

    ``photo_messages`` holds, per stored photo, the id of the message it came with (None: the request).
    """
    details = found.details
    appointment = None
    if details.get("timeframe"):
        appointment = (details["timeframe"], details.get("professional", ""), details.get("minutes", 0))
    facts = summary.SoepFacts(
        reference=found.reference,
        kind=found.kind,
        urgency=found.urgency,
        tree_id=details.get("tree") or (run.tree_id if run else None),
        version=details.get("version", run.tree_version if run else None),
        outcome=details.get("outcome", run.outcome_node if run else None),
        route=details.get("route", run.route if run else None),
        message=found.message,
        birth_date=found.birth_date,
        for_whom=found.for_whom,
        contact_name=found.contact_name,
        answers=details.get("answers", run.answers if run else {}),
        appointment=appointment,
        final_route=run.final_route if run else None,
        final_urgency=run.final_urgency if run else None,
        closed=found.status == RequestStatus.CLOSED,
        patient_messages=[
            (clock.local(datetime.fromisoformat(m.created_at)), m.body, photo_messages.count(m.id))
            for m in messages
            if m.author == MessageAuthor.PATIENT and m.body
        ],
        photos=photo_messages.count(None),
    )
    tree = live_trees().get(facts.tree_id or "")
    return summary.soep(facts, tree, clock.local().date())
