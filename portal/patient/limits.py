"""Rate limits for anonymous patients, per client address and per triage.

Without them one client used up a practice's daily e-consult cap in 0.2 s.
Counters live in SQLite (``storage.throttle.within_limit``; the answers of one
triage on its own row, ``storage.routing.record_progress``) so both workers
share them; a client is counted under a keyed hash of its address, never the
address itself. The limits are far above what a person (or a family, or a
care home behind one address) does in an hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from ..security import client_address
from ..storage import throttle
from ..storage.db import get_db
from ..storage.routing import StepLimit

HOUR = timedelta(hours=1)


def _client() -> str:
    return throttle.client_key(current_app.config["SECRET_KEY"], client_address())


def _limit(name: str) -> int:
    return current_app.config["VOORDEUR"][name]


def triage_allowed(now: datetime) -> bool:
    """A new triage from this client."""
    return throttle.within_limit(
        get_db(), "triage:" + _client(), limit=_limit("TRIAGES_PER_CLIENT_HOUR"), window=HOUR, now=now
    )


def step_limit() -> StepLimit:
    """Answers in one triage (a script hammering one run); counted on the run's row as the answer is stored."""
    return StepLimit(_limit("STEPS_PER_RUN_HOUR"), HOUR)


def request_allowed(now: datetime) -> bool:
    """One more request to a practice from this client."""
    return throttle.within_limit(
        get_db(), "request:" + _client(), limit=_limit("REQUESTS_PER_CLIENT_HOUR"), window=HOUR, now=now
    )


PHOTOS_PER_RUN_HOUR = 30  # 3 photos, and room to remove and choose again many times


def photo_allowed(run_id: str, now: datetime) -> bool:
    """One more photo to decode for this triage's form (each costs up to a second of CPU)."""
    return throttle.within_limit(get_db(), "photos:" + run_id, limit=PHOTOS_PER_RUN_HOUR, window=HOUR, now=now)
