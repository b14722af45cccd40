"""Who is logged in, and may they see this? Used by every staff blueprint.

A staff member is logged in only after both factors; the session is replaced
at each step (a new session id), and ends after STAFF_IDLE_MINUTES idle.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from ..storage.db import get_db
from ..storage.staff import Staff, get_staff


def start_session(**values: Any) -> None:
    """Throw the old session away and start a new one with a new id."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session["seen"] = int(time.time())
    session.update(values)


def current_staff() -> Staff | None:
    if "staff" in g:
        return g.staff
    staff = None
    staff_id = session.get("staff_id")
    if staff_id and session.get("mfa"):
        idle = current_app.config["VOORDEUR"]["STAFF_IDLE_MINUTES"] * 60
        if time.time() - session.get("seen", 0) > idle:
            session.clear()
        else:
            found = get_staff(get_db(), staff_id)
            if found is not None and found.active:
                staff = found
                session["seen"] = int(time.time())
    g.staff = staff
    return staff


def staff_required(*roles: str) -> Callable:
    """Log in first; then 403 for a role that may not use this page."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
            staff = current_staff()
            if staff is None:
                return redirect(url_for("staff.login", next=request.full_path), 303)
            if roles and staff.role not in roles:
                abort(403)
            practice = kwargs.get("practice_slug")
            if practice is not None and not staff.works_for(practice):
                abort(404)  # do not reveal that another practice exists
            return view(*args, **kwargs)

        return wrapper

    return decorate
