"""Validation sessions: a reader's browser joins a validation round through a signed start URL.

``voordeur validate session`` creates a round and prints the URL. Opening it
puts the round in this browser's session; every triage started in that session
is marked with the round in the routing log (``routes.begin``), so the
evaluation figures leave it out, and the patient pages show a small neutral
"Validatieronde" banner so nobody mistakes it for real use. The session ends as
a patient's does (``SESSION_MINUTES`` without activity); the link can be opened
again until the round expires or is closed.

The token is the round id signed with the secret key (itsdangerous), so a URL
cannot be made for a round without the key, and it stops working at the
round's expiry or close, whichever comes first.
"""

from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import clock
from ..storage.db import get_db
from ..storage.practices import get_practice
from ..storage.validation import Round, get_round
from . import bp

SALT = "voordeur-validation-round"
SESSION_KEY = "validation_round"
#: No start URL works longer than this, whatever the round says (`--days` is capped to it).
MAX_DAYS = 90


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def start_token(round_id: str, secret_key: str) -> str:
    """The token in a round's start URL (the CLI makes it with the portal's secret key)."""
    return _serializer(secret_key).dumps(round_id)


def round_in_token(token: str, secret_key: str) -> str | None:
    """The round id a token was signed for, or None when it is forged, damaged or too old."""
    if len(token) > 200:
        return None
    try:
        value = _serializer(secret_key).loads(token, max_age=MAX_DAYS * 86400)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


@bp.get("/<practice_slug>/validatie/<token>")
def join_round(practice_slug: str, token: str):
    """Mark this browser's session for the round, then show the practice's start page."""
    practice = get_practice(get_db(), practice_slug)
    if practice is None:
        abort(404)
    round_id = round_in_token(token, current_app.config["SECRET_KEY"])
    found = get_round(get_db(), round_id) if round_id else None
    if found is None or found.practice != practice.slug or not found.open_at(clock.now()):
        message = _("This link has expired, the round was closed, or the link is incomplete. Ask for a new link.")
        return render_template("error.html", title=_("This validation link does not work"), message=message), 404
    session[SESSION_KEY] = found.id
    return redirect(url_for(".start", practice_slug=practice.slug), 303)


def current_round() -> Round | None:
    """The open validation round of this browser's session, if any (looked up once per request)."""
    if "validation_round" in g:
        return g.validation_round
    found = None
    round_id = session.get(SESSION_KEY)
    if isinstance(round_id, str):
        found = get_round(get_db(), round_id)
        if found is None or not found.open_at(clock.now()):
            session.pop(SESSION_KEY, None)  # expired or closed: from now on this is an ordinary session
            found = None
    g.validation_round = found
    return found


def current_round_id() -> str | None:
    found = current_round()
    return found.id if found is not None else None


@bp.context_processor
def _banner() -> dict[str, bool]:
    """``validation_round`` for the layout's banner. A context processor's value joins the page
    cache's key (``pagecache``), so a cached page never shows or hides the banner wrongly."""
    return {"validation_round": current_round() is not None}
