"""Sending a request to the practice from an outcome page, and following it up.

Only what the outcome's route calls for can be sent. The status page is
reached through an unguessable token, scoped to one request.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import abort, redirect, render_template, request, url_for

from .. import clock, mail
from ..alarm import alarm_words
from ..contentlib import content
from ..hours import is_open
from ..i18n import current_locale
from ..storage import requests as store
from ..storage.db import StorageUnavailable, get_db
from ..storage.outbox import MailOrder
from ..storage.practices import Practice, get_practice
from ..storage.routing import Run, mark_cap_redirected
from ..triage.model import Outcome, Tree
from ..vocabulary import RequestKind
from ..workdays import answer_due
from . import bp, limits
from .forms import RequestForm
from .next_steps import offered_request, urgent_call
from .routes import load_run, sent_request


def _capped(practice: Practice, kind: RequestKind) -> bool:
    cap = practice.econsult_daily_cap
    if kind is not RequestKind.ECONSULT or not cap:
        return False
    start_of_day = clock.local().replace(hour=0, minute=0, second=0, microsecond=0)
    return store.count_since(get_db(), practice.slug, RequestKind.ECONSULT, start_of_day) >= cap


@bp.route("/<practice_slug>/triage/<tree_id>/<run_id>/verzoek", methods=["GET", "POST"])
def send_request(practice_slug: str, tree_id: str, run_id: str):
    practice, tree, run, result = load_run(practice_slug, tree_id, run_id)
    outcome = result.step
    if not isinstance(outcome, Outcome):
        return redirect(url_for(".resume", practice_slug=practice.slug, tree_id=tree.id, run_id=run.id), 303)
    already = sent_request(run.id)
    if already is not None:  # one request per triage: back and send again shows the first one
        confirm = 1 if request.method == "POST" else None  # a repeated submit shows the confirmation
        return redirect(url_for(".request_status", token=already.status_token, sent=confirm), 303)
    kind = offered_request(
        outcome.route, is_open(practice.opening_hours, clock.local()), no_messages=outcome.no_messages
    )
    if kind is None:
        abort(404)
    if _capped(practice, kind):
        mark_cap_redirected(get_db(), run.id)
        return render_template(
            "patient/request_capped.html",
            practice=practice,
            tree=tree,
            outcome=outcome,
            call=urgent_call(practice, is_open(practice.opening_hours, clock.local())),
        )
    form = RequestForm(kind=kind, data={"for_whom": run.who_for or "self"})
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
    alarms: list[str] = []
    if form.validate_on_submit():
        alarms = alarm_words(form.message.data or "")
        if alarms and form.alarm_ack.data != "1":
            form.alarm_ack.data = "1"  # interrupt once; the next submit sends
            return _render_form(practice, tree, outcome, kind, form, alarms=alarms)
        try:
            if not limits.request_allowed(clock.now()):
                return _render_form(practice, tree, outcome, kind, form, problem="too_many", status=429)
            sent = _submit(practice, tree, run, outcome, kind, form, alarm_shown=bool(alarms))
        except StorageUnavailable:
            return _render_form(practice, tree, outcome, kind, form, problem="unavailable", status=503)
        except store.KeyConflict:
            abort(400)
        return redirect(url_for(".request_status", token=sent.status_token, sent=1), 303)
    return _render_form(practice, tree, outcome, kind, form)


def _render_form(practice, tree, outcome, kind, form, alarms=None, problem=None, status=None):
    """The form with what was typed; ``problem`` says why it was not sent (nothing typed is lost)."""
    status = status or (422 if form.errors else 200)
    headers = {"Retry-After": "30"} if status in (429, 503) else {}
    return (
        render_template(
            "patient/request.html",
            practice=practice,
            tree=tree,
            outcome=outcome,
            kind=kind,
            form=form,
            alarms=alarms or [],
            call=urgent_call(practice, is_open(practice.opening_hours, clock.local())),
            problem=problem,
            run_id=(request.view_args or {}).get("run_id"),
        ),
        status,
        headers,
    )


def _submit(
    practice: Practice,
    tree: Tree,
    run: Run,
    outcome: Outcome,
    kind: RequestKind,
    form: RequestForm,
    *,
    alarm_shown: bool,
):
    now_local = clock.local()
    due = now_local + timedelta(hours=1) if kind is RequestKind.CALLBACK else answer_due(now_local)
    details: dict = {
        "tree": tree.id,
        "version": tree.version,
        "outcome": outcome.id,
        "route": outcome.route.value,
        # The answers as sent, frozen: the inbox shows these, whatever happens to the run later.
        "answers": dict(run.answers),
        "prelude_version": run.prelude_version,
    }
    if outcome.appointment:
        details.update(
            timeframe=outcome.appointment.timeframe,
            professional=outcome.appointment.professional,
            minutes=outcome.appointment.minutes,
        )
    if kind is RequestKind.APPOINTMENT:
        details["dayparts"] = form.dayparts.data
    if kind is RequestKind.SOCIAL:
        details.update(service=outcome.social_service, consent=True)
    new = store.NewRequest(
        practice=practice.slug,
        run_id=run.id,
        kind=kind,
        urgency=outcome.urgency.value,
        idempotency_key=form.idempotency_key.data or secrets.token_urlsafe(24),
        name=form.name.data.strip(),
        birth_date=form.birth_date.data.isoformat(),
        phone=(form.phone.data or "").strip() or None,
        email=(form.email.data or "").strip() or None,
        for_whom=form.for_whom.data,
        # Hidden when sending for yourself (a name typed before switching to "for myself" is not kept).
        contact_name=((form.contact_name.data or "").strip() or None) if form.for_whom.data != "self" else None,
        message=(form.message.data or "").strip() or None,
        alarm_warning_shown=alarm_shown,
        details=details,
    )
    sent, _created = store.submit(get_db(), new, now=clock.now(), due=due, mail=_confirm_by_mail(new.email))
    return sent


def _confirm_by_mail(email: str | None) -> MailOrder | None:
    """The confirmation to queue with the request, in the patient's language.

    Only queued, in the same transaction as the request: the patient gets the
    confirmation page whatever the mail server does, and a repeat of the same
    submission queues nothing new. ``voordeur outbox`` sends it.
    """
    return mail.order("request_sent", current_locale(), email)


def _page_link(practice: str, slug: str | None) -> tuple[str, str] | None:
    """(title, url) of the self-help page a reply template linked, in the patient's language if it exists."""
    if not slug:
        return None
    page = content().page(slug, current_locale()) or content().page(slug, "nl")
    if page is None:  # removed since the reply was sent: show the reply without a dead link
        return None
    return page.title, url_for("patient.selfhelp_page", practice_slug=practice, slug=slug)


@bp.get("/status/<token>")
def request_status(token: str):
    if len(token) < 20:
        abort(404)
    found = store.by_token(get_db(), token)
    if found is None:
        abort(404)
    practice = get_practice(get_db(), found.practice)
    local = clock.local().tzinfo
    due = datetime.fromisoformat(found.due_at).astimezone(local)
    replies = [
        (datetime.fromisoformat(m.created_at).astimezone(local), m.body, _page_link(found.practice, m.page))
        for m in store.messages(get_db(), found.id)
        if m.body
    ]
    return render_template(
        "patient/status.html",
        practice=practice,
        item=found,
        replies=replies,
        due=due,
        just_sent=request.args.get("sent") == "1",
        tree=None,
    )
