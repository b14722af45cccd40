"""Did self-help hold? What the patient's own browser remembers, for 14 days, to tell.

The regional plan asks how often self-help *held*: no new contact for the same complaint
within 14 days. The routing log is anonymous and no triage is linked to another, so the
question is answered by the one party that does see both visits, the patient's browser:

- when a triage ends in self-care, the browser keeps a small record in a cookie of its own
  (``COOKIE``): the triage's run id, its complaint (tree id) and the UTC date. Nothing else:
  no name, no answer, no identifier of the browser or the person. At most ``MAX_RECORDS``,
  each for ``RETURN_DAYS`` days;
- when the same browser, within those days, starts a triage for the same complaint, or sends
  any request to the practice (about any complaint: a contact is what self-help should have
  spared), the earlier triage gets one flag in the routing log, ``returned``
  (``storage.routing.mark_returned``), and its record leaves the cookie. The flag is all that
  is stored: nothing says which later triage or request it was, or when.

The cookie is signed (a changed or made-up one is ignored), ``HttpOnly``, ``SameSite=Lax``,
``Secure`` in production, and lives 14 days; the server keeps nothing about it. Why this is
not personal data, and why the Telecommunicatiewet allows it without a consent banner, is in
``docs/security.md`` ("Self-help that held: the return cookie").

It costs nothing on an ordinary step: the cookie is read only when a triage starts, when one
ends in self-care and when a request is sent, and the database is written only when a record
matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from flask import Response, after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from .. import clock
from ..storage.db import StorageUnavailable, get_db
from ..storage.routing import RETURN_DAYS, mark_returned
from ..triage.model import Outcome, Route
from . import validation

COOKIE = "voordeur_zelfzorg"
#: The newest self-care triages kept; older ones fall out (a cookie stays a few hundred bytes).
MAX_RECORDS = 5
_SALT = "voordeur-self-care-returns"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a run id (token_urlsafe) or a tree id
_MAX_COOKIE = 1200  # a valid cookie of MAX_RECORDS records is far smaller: anything longer is not ours
_STORED = "self_care_records"  # in ``g``: the records this request sends back


@dataclass(frozen=True)
class Record:
    """One self-care triage this browser finished: which, for which complaint, and on which day."""

    run_id: str
    tree_id: str
    day: date


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def records(today: date) -> list[Record]:
    """The records in this request's cookie that are still within the window, oldest first.

    A cookie that is missing, changed, made up or malformed counts as no records. What this
    request already decided to send back (``_store``) wins over what the browser sent.
    """
    if _STORED in g:
        return list(g.get(_STORED))
    value = request.cookies.get(COOKIE)
    if not value or len(value) > _MAX_COOKIE:
        return []
    try:
        data = _serializer().loads(value)
    except BadSignature:
        return []
    first_day = today - timedelta(days=RETURN_DAYS - 1)
    found = []
    for item in data if isinstance(data, list) else []:
        try:
            run_id, tree_id, day = item
            record = Record(run_id, tree_id, date.fromisoformat(day))
        except (TypeError, ValueError):
            continue
        if _ID.fullmatch(record.run_id) and _ID.fullmatch(record.tree_id) and first_day <= record.day <= today:
            found.append(record)
    return found[-MAX_RECORDS:]


def _store(kept: list[Record]) -> None:
    """Send the cookie with this request's response: the records, or its removal when none are left."""
    first = _STORED not in g
    setattr(g, _STORED, list(kept))
    if not first:
        return  # the callback below is registered already and sends the latest records

    @after_this_request
    def _cookie(response: Response) -> Response:
        kept = g.get(_STORED)
        value = _serializer().dumps([[r.run_id, r.tree_id, r.day.isoformat()] for r in kept]) if kept else ""
        secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
        if kept:
            response.set_cookie(
                COOKIE,
                value,
                max_age=RETURN_DAYS * 24 * 3600,
                path="/",
                secure=secure,
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
        return response


def _utc_day() -> date:
    """Today as the routing log counts days (UTC)."""
    return clock.now().astimezone(UTC).date()


def after_outcome(run_id: str, tree_id: str, outcome: object) -> None:
    """A triage reached its outcome: remember it when that outcome is self-care.

    Not for a reader's triage in a validation round (no patient). Reaching the same outcome
    again (back, then the same answers) changes nothing.
    """
    if not isinstance(outcome, Outcome) or outcome.route is not Route.SELF_CARE:
        return
    if validation.current_round_id() is not None:
        return
    today = _utc_day()
    kept = records(today)
    if any(r.run_id == run_id for r in kept):
        return
    _store([*kept, Record(run_id, tree_id, today)][-MAX_RECORDS:])


def came_back(tree_id: str | None) -> int:
    """This browser started a triage for ``tree_id``, or (``None``) sent a request to the practice.

    Marks the remembered self-care triages it concerns — of that complaint, or every one for a
    request — as returned, and forgets them. Returns how many were marked.
    """
    if COOKIE not in request.cookies or validation.current_round_id() is not None:
        return 0
    now = clock.now()
    kept = records(now.astimezone(UTC).date())
    concerned = [r for r in kept if tree_id is None or r.tree_id == tree_id]
    if not concerned:
        return 0  # nothing to mark, and the cookie needs no change (its max-age drops old records)
    try:
        marked = mark_returned(get_db(), [r.run_id for r in concerned], now)
    except StorageUnavailable:
        return 0  # never worth a failed triage or request: the records stay for the next time
    _store([r for r in kept if r not in concerned])
    return marked
