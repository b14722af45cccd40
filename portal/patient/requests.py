"""Sending a request to the practice from an outcome page, and following it up.

Only what the outcome's route calls for can be sent. The status page is
reached through an unguessable token, scoped to one request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date

from .. import clock, mail, photos
from ..alarm import alarm_words
from ..hours import is_open
from ..i18n import current_locale
from ..storage import photos as photo_store
from ..storage import requests as store
from ..storage.db import StorageUnavailable, get_db
from ..storage.outbox import MailOrder
from ..storage.practices import Practice
from ..storage.routing import Run, mark_cap_redirected
from ..triage.model import Outcome, Tree
from ..vocabulary import RequestKind
from ..workdays import answer_due
from . import bp, conversation, limits, returns
from .forms import DAYPARTS, FOR_WHOM, RequestForm, photo_problem
from .next_steps import offered_request, urgent_call
from .routes import load_run, sent_request


def _capped(practice: Practice, kind: RequestKind) -> bool:
    cap = practice.econsult_daily_cap
    if kind is not RequestKind.ECONSULT or not cap:
        return False
    start_of_day = clock.local().replace(hour=0, minute=0, second=0, microsecond=0)
    return store.count_since(get_db(), practice.slug, RequestKind.ECONSULT, start_of_day) >= cap


@bp.url_value_preprocessor
def _room_for_photos(endpoint: str | None, _values: dict | None) -> None:
    """Only the request form's POST may carry photos (3 x 10 MB): it alone gets the larger body limit.

    Set here because URL value preprocessors run before every ``before_request``
    function, and the CSRF check, one of those, is the first to read the body.
    Every other route keeps the small ``MAX_CONTENT_LENGTH``.
    """
    if endpoint == "patient.send_request" and request.method == "POST":
        usual = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = None if usual is None else max(usual, photos.MAX_REQUEST_BYTES)


@bp.route("/<practice_slug>/triage/<tree_id>/<run_id>/verzoek", methods=["GET", "POST"])
def send_request(practice_slug: str, tree_id: str, run_id: str):
    """The form, then "check your answers", then send (GOV.UK pattern), all on this one URL.

    The check page carries every answer as hidden fields, so nothing typed is kept on
    the server before it is sent; only photos are (they cannot travel back in a form),
    as pending photos tied to this triage and the form's idempotency key.
    """
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
    if run.validation_round is not None:  # a reader plays a story: nothing may reach a real practice
        return render_template("patient/request_validation.html", practice=practice, tree=tree, outcome=outcome)
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
    page = FormPage(practice, tree, outcome, kind, form, run.id)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        return _render_form(page)
    valid = form.validate_on_submit()
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(24)
    if kind is RequestKind.ECONSULT and "idempotency_key" not in form.errors:
        try:
            _photos_on_the_form(page)
        except StorageUnavailable:
            return _render_form(page, problem="unavailable", status=503)
    action = request.form.get("action", "")
    if action.startswith("change:"):  # "Wijzig" on the check page: back to the form, at that field
        return _render_form(page, focus=action.removeprefix("change:"))
    if not valid or page.photo_problems:
        form.photos.errors = [photo_problem(p) for p in page.photo_problems]
        return _render_form(page)
    alarms = alarm_words(form.message.data or "")
    if alarms and form.alarm_ack.data != "1":
        form.alarm_ack.data = "1"  # interrupt once; the next submit goes on
        return _render_form(page, alarms=alarms)
    if action != "send":
        return _render_check(page)
    try:
        if not limits.request_allowed(clock.now()):
            return _render_form(page, problem="too_many", status=429)
        sent = _submit(practice, tree, run, outcome, kind, form, alarm_shown=bool(alarms))
        if kind is RequestKind.ECONSULT:
            photo_store.attach_pending(get_db(), run.id, form.idempotency_key.data, sent.id)
    except StorageUnavailable:
        return _render_form(page, problem="unavailable", status=503)
    except store.KeyConflict:
        abort(400)
    returns.came_back(None)  # a contact with the practice: an earlier self-care triage did not hold
    return redirect(url_for(".request_status", token=sent.status_token, sent=1), 303)


@dataclass
class FormPage:
    """What the form and the check page show: the request so far and the photos waiting with it."""

    practice: Practice
    tree: Tree
    outcome: Outcome
    kind: RequestKind
    form: RequestForm
    run_id: str
    attached: list[photo_store.PhotoInfo] = field(default_factory=list)  # photos waiting with the form
    photo_problems: list[photos.PhotoRefused] = field(default_factory=list)


def _photos_on_the_form(page: FormPage) -> None:
    """Add the chosen photos, take off the ones to remove, and list what waits with the form.

    A request that failed the CSRF check (``_render_again``) changes nothing, but still
    sees its photos listed.
    """
    key = page.form.idempotency_key.data
    if "csrf_token" not in page.form.errors:
        _remove_photos(page.run_id, key)
        page.photo_problems = _take_photos(page.run_id, key)
    page.attached = photo_store.pending(get_db(), page.run_id, key)


def _take_photos(run_id: str, draft_key: str) -> list[photos.PhotoRefused]:
    """Clean the uploaded photos and keep them with the form; return the refused ones with the reason.

    The good photos of a batch are kept even when another is refused, up to
    MAX_PHOTOS with those already there: the patient only has to fix the refused one.
    """
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    if not uploads:
        return []
    room = photos.MAX_PHOTOS - len(photo_store.pending(get_db(), run_id, draft_key))
    refused: list[photos.PhotoRefused] = []
    kept: list[photos.CleanPhoto] = []
    for upload in uploads:
        name = photos.display_name(upload.filename)
        if not limits.photo_allowed(run_id, clock.now()):  # decoding photos costs CPU: not without end
            refused.append(photos.PhotoRefused(photos.Problem.TOO_MANY_UPLOADS, name))
            continue
        try:
            clean = photos.clean(upload.read(photos.MAX_BYTES + 1), name)
        except photos.PhotoRefused as problem:
            refused.append(problem)
            continue
        if len(kept) >= room:
            refused.append(photos.PhotoRefused(photos.Problem.TOO_MANY, name))
            continue
        kept.append(clean)
    stored = photo_store.add_pending(get_db(), run_id, draft_key, kept, now=clock.now())
    refused += [photos.PhotoRefused(photos.Problem.TOO_MANY, p.filename) for p in kept[stored:]]  # a race
    return refused


def _remove_photos(run_id: str, draft_key: str) -> None:
    """Photos the patient ticked "remove" for (on the form) or pressed "remove" for (on the check page)."""
    ids = [int(value) for value in request.form.getlist("remove_photo") if value.isdigit()]
    photo_store.remove_pending(get_db(), run_id, draft_key, ids)


def _render_form(page: FormPage, alarms=None, problem=None, status=None, focus: str | None = None):
    """The form with what was typed; ``problem`` says why it was not sent (nothing typed is lost).

    ``focus``: the field a "change" link on the check page came back for (``autofocus``, no script needed).
    """
    form = page.form
    status = status or (422 if form.errors else 200)
    headers = {"Retry-After": "30"} if status in (429, 503) else {}
    return (
        render_template(
            "patient/request.html",
            practice=page.practice,
            tree=page.tree,
            outcome=page.outcome,
            kind=page.kind,
            form=form,
            alarms=alarms or [],
            call=urgent_call(page.practice, is_open(page.practice.opening_hours, clock.local())),
            problem=problem,
            run_id=page.run_id,
            photos=page.attached,
            max_photos=photos.MAX_PHOTOS,
            focus=focus if focus in CHANGEABLE else None,
        ),
        status,
        headers,
    )


# The fields a "change" button on the check page may lead back to.
CHANGEABLE = frozenset(
    {"for_whom", "contact_name", "name", "birth_day", "phone", "email", "message", "photos", "dayparts", "consent"}
)


def _render_check(page: FormPage):
    """Check your answers: every answer with a change button, the photos with a remove button, then send."""
    form = page.form
    return render_template(
        "patient/request_check.html",
        practice=page.practice,
        tree=page.tree,
        outcome=page.outcome,
        kind=page.kind,
        form=form,
        birth_date=format_date(form.birth_date, "long") if form.birth_date else "",
        for_whom_label=dict((c.value, c.label) for c in FOR_WHOM).get(form.for_whom.data, ""),
        dayparts=[c.label for c in DAYPARTS if c.value in (form.dayparts.data or [])],
        photos=page.attached,
        run_id=page.run_id,
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
        birth_date=form.birth_date.isoformat() if form.birth_date else "",
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


@bp.get("/status/<token>")
def request_status(token: str):
    """The patient's private page: the status, the conversation, and a box to answer back."""
    return conversation.render_status(conversation.request_by_token(token), just_sent=request.args.get("sent") == "1")
