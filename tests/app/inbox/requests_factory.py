"""Requests made straight in storage, for inbox tests that must not depend on the patient trees
(which change often): a finished triage run and a request, as the patient flow would store them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from portal.storage import requests as store
from portal.storage.routing import Progress, start_run

_keys = itertools.count(1)


def gen_request(
    db,
    *,
    practice: str = "de-linde",
    tree: str = "hoesten",
    kind: str = "econsult",
    route: str = "econsult",
    urgency: str = "U5",
    name: str = "Anna de Vries",
    birth_date: str = "1980-05-17",
    sex: str = "female",
    message: str | None = "Ik hoest al vier weken, vooral 's nachts.\nOverdag gaat het beter.",
    locale: str = "nl",
    email: str | None = None,
    received: datetime | None = None,
    due: datetime | None = None,
) -> store.PracticeRequest:
    received = received or datetime.now(UTC) - timedelta(hours=2)
    answers = {"who_for": "self", "age_band": "adult_18_64", "sex": sex}
    progress = Progress(answers=answers, last_node="outcome", outcome_node="outcome", route=route, urgency=urgency)
    run_id = start_run(
        db,
        practice=practice,
        tree_id=tree,
        tree_version=1,
        prelude_version=1,
        locale=locale,
        progress=progress,
        now=received,
    )
    new = store.NewRequest(
        practice=practice,
        run_id=run_id,
        kind=kind,
        urgency=urgency,
        idempotency_key=f"test-{next(_keys)}-{run_id}",
        name=name,
        birth_date=birth_date,
        email=email,
        message=message,
        details={"tree": tree, "version": 1, "outcome": "outcome", "route": route, "answers": answers},
    )
    created, _ = store.submit(db, new, now=received, due=due or received + timedelta(days=1))
    return created
