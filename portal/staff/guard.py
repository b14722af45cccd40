"""Who is logged in, and may they see this? Used by every staff blueprint.

A staff member is logged in only after both factors. The cookie then holds
only a random secret; the session itself lives in the ``staff_sessions`` table
(``storage.sessions``), so logout, a reset or a disabled account ends it at
once, and it ends after STAFF_IDLE_MINUTES idle and STAFF_SESSION_HOURS in all.
A one-time password must be replaced before anything else opens.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from .. import clock
from ..security import client_address
from ..storage import sessions
from ..storage.audit import Origin
from ..storage.db import get_db
from ..storage.staff import Staff, get_staff

PENDING_MINUTES = 10  # between the password and the code


def start_session(**values: Any) -> None:
    """Throw the old session away and start a new one with a new id."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session["seen"] = int(time.time())
    session.update(values)


def log_in(staff: Staff) -> None:
    """Both factors passed: a new server-side session, and only its secret in the cookie."""
    secret, public_id = sessions.start(get_db(), staff.id, source=client_address(), now=clock.now())
    start_session(staff_session=secret)
    g.staff, g.staff_session = staff, public_id


def log_out() -> None:
    secret = session.get("staff_session")
    if secret:
        sessions.end(get_db(), secret, reason="logout", now=clock.now())
    session.clear()


def pending_staff_id() -> int | None:
    """The account that gave a right password in the last few minutes and still owes a code."""
    staff_id = session.get("pending_staff")
    if staff_id and time.time() - session.get("seen", 0) <= PENDING_MINUTES * 60:
        return int(staff_id)
    return None


def current_staff() -> Staff | None:
    if "staff" in g:
        return g.staff
    staff = None
    secret = session.get("staff_session")
    if secret:
        settings = current_app.config["VOORDEUR"]
        live = sessions.check(
            get_db(),
            secret,
            now=clock.now(),
            idle=timedelta(minutes=settings["STAFF_IDLE_MINUTES"]),
            lifetime=timedelta(hours=settings["STAFF_SESSION_HOURS"]),
        )
        if live is None:
            session.clear()
        else:
            found = get_staff(get_db(), live.staff_id)
            if found is not None and found.active:
                staff = found
                g.staff_session = live.public_id
    g.staff = staff
    return staff


def signed_in_staff() -> Staff:
    """The staff member of a view behind ``staff_required``: there is always one there."""
    staff = current_staff()
    assert staff is not None, "only for views behind staff_required"
    return staff


def audit_context() -> Origin:
    """Where a staff action came from, for the audit log (NEN 7513): address and session."""
    current_staff()
    return Origin(source=client_address(), session=g.get("staff_session"))


def staff_required(*roles: str) -> Callable:
    """Log in first; change a one-time password next; then 403 for a role that may not use this page."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("staff.login", next=request.full_path), 303)
            if staff.must_change_password:
                return redirect(url_for("staff.change_password"), 303)
            if roles and staff.role not in roles:
                abort(403)
            practice = kwargs.get("practice_slug")
            if practice is not None and not staff.works_for(practice):
                abort(404)  # do not reveal that another practice exists
            return view(*args, **kwargs)

        return wrapper

    return decorate
