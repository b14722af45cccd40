"""Staff login: password, then TOTP (enrolling it on first login), then the work."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import clock
from ..security import client_address
from ..storage import audit, sessions, throttle
from ..storage.db import get_db
from ..storage.staff import (
    confirm_totp,
    find_staff,
    get_staff,
    set_password_hash,
    set_totp_secret,
    use_totp_step,
)
from ..vocabulary import INBOX_ROLES, Role
from . import credentials
from .forms import ChangePasswordForm, CodeForm, LoginForm
from .guard import audit_context, current_staff, log_in, log_out, pending_staff_id, start_session

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home(staff) -> str:
    if staff.role in INBOX_ROLES and staff.practices:
        return url_for("inbox.index", practice_slug=staff.practices[0])
    if staff.role == Role.EDITOR:
        return url_for("editor.overview")
    if staff.role == Role.EVALUATOR:
        return url_for("evaluation.dashboard")
    return url_for("staff.account")


PASSWORD_PROBLEMS = {
    "blank": _l("A password cannot be only spaces."),
    "short": _l("A password needs at least 12 characters."),
    "padded": _l("A password cannot start or end with a space."),
    "guessable": _l("This password is too common or too easy to guess. Use a few words that do not belong together."),
}


def _lock_key(kind: str, subject: object) -> str:
    """Throttle per account *and* client: five wrong passwords from one place must
    not lock the account for everyone else (anyone could lock a colleague out)."""
    client = throttle.client_key(current_app.config["SECRET_KEY"], client_address())
    return f"{kind}:{subject}:{client}"


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        db = get_db()
        email = form.email.data.strip().lower()
        key = _lock_key("password", email)
        if not throttle.attempt(db, key, clock.now()):
            error = _("Too many attempts. Try again in 15 minutes.")
        else:
            staff = find_staff(db, email)
            valid = (
                credentials.check_password(staff.password_hash, form.password.data)
                if staff
                else credentials.check_nothing(form.password.data)
            )
            if valid and staff and staff.active:
                throttle.clear(db, key)
                start_session(pending_staff=staff.id, next=_safe_next(request.args.get("next")))
                audit.append(db, action="login:password", staff_id=staff.id, source=client_address())
                return redirect(url_for(".second_factor"), 303)
            audit.append(
                db,
                action="login:password",
                staff_id=staff.id if staff else None,
                result="failed",
                source=client_address(),
            )
            error = _("The e-mail address or password is not right.")
    status = 422 if (form.errors or error) else 200
    return render_template("staff/login.html", form=form, error=error), status


@bp.route("/2fa", methods=["GET", "POST"])
def second_factor():
    staff_id = pending_staff_id()
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
    key = _lock_key("totp", staff.id)
    if form.validate_on_submit():
        step = None
        if not throttle.attempt(db, key, clock.now()):
            error = _("Too many attempts. Try again in 15 minutes.")
        else:
            step = credentials.totp_step(staff.totp_secret or "", form.code.data)
        if step is not None and use_totp_step(db, staff.id, step):
            throttle.clear(db, key)
            if enrolling:
                confirm_totp(db, staff.id)
            next_url = session.get("next")
            log_in(staff)
            audit.append(
                db, action="login:totp" + (":enrolled" if enrolling else ""), staff_id=staff.id, **audit_context()
            )
            if staff.must_change_password:
                return redirect(url_for(".change_password"), 303)
            return redirect(next_url or _home(staff), 303)
        if error is None:
            audit.append(db, action="login:totp", staff_id=staff.id, result="failed", source=client_address())
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


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password; required after a one-time password. Other sessions end."""
    staff = current_staff()
    if staff is None:
        return redirect(url_for(".login", next=request.full_path), 303)
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        db = get_db()
        if not credentials.check_password(staff.password_hash, form.current.data):
            error = _("Your current password is not right.")
        elif form.new.data == form.current.data:
            error = _("Choose a password that differs from the current one.")
        else:
            problem = credentials.password_problem(form.new.data, user_inputs=(staff.email, staff.name))
            if problem:
                error = str(PASSWORD_PROBLEMS[problem])
            else:
                set_password_hash(db, staff.id, credentials.hash_password(form.new.data))
                sessions.end_all(db, staff.id, reason="password-changed", now=clock.now())
                audit.append(db, action="password:changed", staff_id=staff.id, **audit_context())
                log_in(get_staff(db, staff.id))
                return redirect(url_for(".account", changed=1), 303)
    status = 422 if (form.errors or error) else 200
    return render_template(
        "staff/password.html", form=form, error=error, staff=staff, required=staff.must_change_password
    ), status


@bp.post("/logout")
def logout():
    staff = current_staff()
    if staff is not None:
        audit.append(get_db(), action="logout", staff_id=staff.id, **audit_context())
    log_out()
    return redirect(url_for(".login"), 303)


@bp.get("/")
def account():
    staff = current_staff()
    if staff is None:
        return redirect(url_for(".login"), 303)
    if staff.must_change_password:
        return redirect(url_for(".change_password"), 303)
    return render_template("staff/account.html", staff=staff, changed=request.args.get("changed") == "1")
