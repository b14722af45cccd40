"""Which request a patient may send from an outcome: what the route calls for."""

from __future__ import annotations

from datetime import datetime

from ..hours import is_open
from ..storage.practices import Practice
from ..triage.model import Outcome, Route

KIND_FOR_ROUTE = {
    Route.ECONSULT: "econsult",
    Route.APPOINTMENT: "appointment",
    Route.SOCIAL_DOMAIN: "social",
    Route.URGENT: "callback",
}


def request_kind(outcome: Outcome, practice: Practice, now: datetime) -> str | None:
    """What the patient can send for this outcome now (None: nothing; call instead).

    A call-back is offered only while the practice is open; when it is closed
    the outcome page sends the patient to the huisartsenpost.
    """
    kind = KIND_FOR_ROUTE.get(outcome.route)
    if kind == "callback" and not is_open(practice.opening_hours, now):
        return None
    return kind
