"""Which triages belong to this browser.

A triage URL carries its run id. Without a binding, whoever learned a URL (a
shared computer's history, a screenshot, a forwarded link) could read and
change that run's medical answers. A run is bound to the session that started
it; every other visitor starts anew.

The session lives 60 minutes after the last activity. So that a patient whose
session lapsed while typing does not lose the run (or what they typed), every
form of a bound run also carries a signed, timed proof of the run id; a POST
with a valid proof binds the run to the new session. The proof is only in the
page's HTML (never in a URL), and pages are sent ``no-store``, so it does not
leak the way a URL does.
"""

from __future__ import annotations

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_BOUND = 20  # the newest runs of this browser; older ones fall out
PROOF_HOURS = 12
PROOF_FIELD = "run_proof"


def _serializer(secret_key: str | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key or current_app.config["SECRET_KEY"], salt="voordeur-run")


def bind(run_id: str) -> None:
    runs = [r for r in session.get("runs", []) if r != run_id]
    session["runs"] = [*runs, run_id][-MAX_BOUND:]


def proof(run_id: str, secret_key: str | None = None) -> str:
    """The signed proof a bound run's forms carry (``secret_key`` for tools outside a request)."""
    return _serializer(secret_key).dumps(run_id)


def _proven(run_id: str) -> bool:
    token = request.form.get(PROOF_FIELD, "") if request.method == "POST" else ""
    if not token or len(token) > 200:
        return False
    try:
        return _serializer().loads(token, max_age=PROOF_HOURS * 3600) == run_id
    except BadSignature:
        return False


def owns(run_id: str) -> bool:
    """Does this browser own the run? A valid proof in a POST re-binds it to a new session."""
    if run_id in session.get("runs", []):
        return True
    if _proven(run_id):
        bind(run_id)
        return True
    return False
