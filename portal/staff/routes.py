"""Staff login: password, then TOTP (enrolling it on first login), then the work."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..storage import audit
from ..storage.db import get_db
from ..storage.staff import confirm_totp, find_staff, get_staff, set_totp_secret
from ..storage.throttle import clear, locked_until, record_failure
from . import credentials
from .forms import CodeForm, LoginForm
from .guard import current_staff, start_session

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _now() -> datetime:
    return datetime.now(UTC)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home(staff) -> str:  # type: ignore[no-untyped-def]
    if staff.role in ("assistant", "admin") and staff.practices:
        return url_for("inbox.index", practice_slug=staff.practices[0])
    if staff.role == "editor":
        return url_for("editor.overview")
    if staff.role == "evaluator":
        return url_for("evaluation.dashboard")
    return url_for("staff.account")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        db = get_db()
        key = "password:" + form.email.data.strip().lower()
        if locked_until(db, key, _now()):
            error = _("Too many attempts. Try again in 15 minutes.")
        else:
            staff = find_staff(db, form.email.data)
            valid = (
                credentials.check_password(staff.password_hash, form.password.data)
                if staff
                else credentials.check_nothing(form.password.data)
            )
            if valid and staff and staff.active:
                clear(db, key)
                start_session(pending_staff=staff.id, next=_safe_next(request.args.get("next")))
                audit.append(db, action="login:password", staff_id=staff.id)
                return redirect(url_for(".second_factor"), 303)
            record_failure(db, key, _now())
            audit.append(db, action="login:password", staff_id=staff.id if staff else None, result="failed")
            error = _("The e-mail address or password is not right.")
    status = 422 if (form.errors or error) else 200
    return render_template("staff/login.html", form=form, error=error), status


@bp.route("/2fa", methods=["GET", "POST"])
def second_factor():  # type: ignore[no-untyped-def]
    staff_id = session.get("pending_staff")
    staff = get_staff(get_db(), staff_id) if staff_id else None
    if staff is None or not staff.active:
        return redirect(url_for(".login"), 303)
    db = get_db()
    enrolling = not staff.totp_confirmed
    if enrolling and not staff.totp_secret:
        set_totp_secret(db, staff.id, credentials.new_totp_secret())
        staff = get_staff(db, staff.id)
        assert staff is not None
    form = CodeForm()
    error = None
    key = f"totp:{staff.id}"
    if form.validate_on_submit():
        if locked_until(db, key, _now()):
            error = _("Too many attempts. Try again in 15 minutes.")
        elif credentials.check_totp(staff.totp_secret or "", form.code.data):
            clear(db, key)
            if enrolling:
                confirm_totp(db, staff.id)
            next_url = session.get("next")
            start_session(staff_id=staff.id, mfa=True)
            audit.append(db, action="login:totp" + (":enrolled" if enrolling else ""), staff_id=staff.id)
            return redirect(next_url or _home(staff), 303)
        else:
            record_failure(db, key, _now())
            audit.append(db, action="login:totp", staff_id=staff.id, result="failed")
            error = _("That code is not right. Check the time on your phone and try the newest code.")
    qr = None
    secret = None
    if enrolling:
        uri = credentials.provisioning_uri(staff.totp_secret or "", staff.email)
        qr = credentials.qr_data_uri(uri)
        secret = staff.totp_secret
    status = 422 if (form.errors or error) else 200
    return render_template(
        "staff/second_factor.html", form=form, error=error, enrolling=enrolling, qr=qr, secret=secret
    ), status


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    staff = current_staff()
    if staff is not None:
        audit.append(get_db(), action="logout", staff_id=staff.id)
    session.clear()
    return redirect(url_for(".login"), 303)


@bp.get("/")
def account():  # type: ignore[no-untyped-def]
    staff = current_staff()
    if staff is None:
        return redirect(url_for(".login"), 303)
    return render_template("staff/account.html", staff=staff)
