"""Inbox views for assistants (and admins) of a practice. Every view and change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock, mail
from ..contentlib import content
from ..errors import BadInput
from ..extensions import htmx
from ..i18n import current_locale
from ..rulebook import live_trees
from ..staff.guard import audit_context, current_staff, staff_required
from ..storage import audit
from ..storage import photos as photo_store
from ..storage import reply_templates as templates_store
from ..storage import requests as store
from ..storage.db import get_db
from ..storage.outbox import MailOrder
from ..storage.practices import get_practice
from ..storage.routing import get_run
from ..storage.staff import list_staff
from ..triage.engine import TriageError, answer_labels, walk
from ..vocabulary import AUDIT_ROLES, INBOX_ROLES, RequestStatus
from ..workdays import working_hours_between
from . import listing, record
from .forms import REROUTES, CloseForm, ReplyForm, RerouteForm
from .placeholders import fill, first_name

bp = Blueprint("inbox", __name__, url_prefix="/staff")


def sla(request_row: store.PracticeRequest, now: datetime) -> tuple[str, float]:
    """('overdue' | 'due', working hours left), counted in working hours; ('answered', 0) once answered.

    The clock stops at the answer: an answered request is never shown as overdue.
    """
    if request_row.status in (RequestStatus.ANSWERED, RequestStatus.CLOSED):
        return "answered", 0.0
    due = clock.local(datetime.fromisoformat(request_row.due_at))
    left = working_hours_between(clock.local(now), due)
    return ("overdue" if left < 0 else "due"), round(left, 1)


def _request_or_404(practice_slug: str, request_id: int) -> store.PracticeRequest:
    found = store.for_practice(get_db(), practice_slug, request_id)
    if found is None:
        abort(404)
    return found


def _audit(action: str, practice: str, request_id: int | None = None, detail: str | None = None) -> None:
    """Every look at patient data, with where it came from and in which session (NEN 7513)."""
    staff = current_staff()
    assert staff is not None
    audit.append(
        get_db(),
        action=action,
        staff_id=staff.id,
        practice=practice,
        request_id=request_id,
        detail=detail,
        **audit_context(),
    )


@bp.get("/<practice_slug>/inbox")
@staff_required(*INBOX_ROLES)
def index(practice_slug: str):
    """The list, filtered as the URL says. Polled by htmx every 30 s for the list part only
    (``HX-Target: inbox-list``); each poll is a list view, audited with the ids it showed."""
    staff = current_staff()
    assert staff is not None
    db = get_db()
    now = clock.now()
    query = listing.read_query(request.args, staff.id)
    found = store.inbox(db, practice_slug, query=query, now=now)
    _audit(listing.audit_action(query), practice_slug, detail=audit.ids_detail(row.id for row in found))
    locale = current_locale()
    staff_names = {s.id: s.name for s in list_staff(db)}
    counts = store.inbox_counts(db, practice_slug, staff_id=staff.id, now=now)
    partial = bool(htmx) and htmx.target == "inbox-list"
    return render_template(
        "inbox/_list.html" if partial else "inbox/index.html",
        practice=get_practice(db, practice_slug),
        rows=listing.rows(found, now=now, locale=locale, staff_names=staff_names, sla=sla),
        counts=counts,
        query=query,
        args=listing.url_args,
        views=listing.VIEW_LABELS,
        sexes=listing.SEX_LABELS,
        complaints=sorted(
            ((tree_id, listing.complaint_title(tree_id, locale)) for tree_id in counts.complaints),
            key=lambda pair: pair[1].lower(),
        ),
        staff=staff,
    )


def _triage_path(found: store.PracticeRequest, locale: str) -> tuple[list[tuple[str, str]], dict]:
    """The triage as the patient sent it: the answers frozen in the request, not the live run
    (which anyone holding its URL could once change after sending)."""
    run = get_run(get_db(), found.run_id)
    if run is None:
        return [], {}
    answers = found.details.get("answers", run.answers)
    tree = live_trees().get(run.tree_id)
    facts = {
        "tree": run.tree_id,
        "version": found.details.get("version", run.tree_version),
        "outcome": found.details.get("outcome", run.outcome_node),
        "route": found.details.get("route", run.route),
        "urgency": found.urgency,
        "final_route": run.final_route,
        "final_urgency": run.final_urgency,
    }
    if tree is None:
        return [], facts
    try:
        result = walk(tree, answers)
    except TriageError:
        return [], facts
    return answer_labels(tree, result, answers, locale), facts


@bp.get("/<practice_slug>/requests/<int:request_id>")
@staff_required(*INBOX_ROLES)
def detail(practice_slug: str, request_id: int):
    """The request. With ``?template=ID`` the reply form comes back filled from that template
    (works without JavaScript); the audit row then names the template too."""
    found = _request_or_404(practice_slug, request_id)
    chosen = _chosen_template(practice_slug, request.args.get("template"))
    _audit("view:request", practice_slug, found.id, detail=f"template:{chosen.id}" if chosen else None)
    if chosen is None:
        return _render_detail(practice_slug, found)
    form = ReplyForm(formdata=None, data=_reply_defaults(found) | {"template": str(chosen.id)})
    form.body.data = _filled(chosen, found)
    return _render_detail(practice_slug, found, reply_form=form)


def _chosen_template(practice_slug: str, template_id: str | None) -> templates_store.ReplyTemplate | None:
    """A template of this practice by the id in a URL or form; anything else is no template."""
    if not template_id or not template_id.isdigit():
        return None
    return templates_store.get(get_db(), practice_slug, int(template_id))


def _filled(template: templates_store.ReplyTemplate, found: store.PracticeRequest) -> str:
    """The template in the patient's language (the one their triage ran in), placeholders filled."""
    run = get_run(get_db(), found.run_id)
    practice = get_practice(get_db(), found.practice)
    values = {"voornaam": first_name(found.name), "praktijk_telefoon": practice.phone if practice else ""}
    return fill(template.body(run.locale if run else "nl"), values)


def _reply_defaults(found: store.PracticeRequest) -> dict[str, str | None]:
    """Final route and urgency prefilled from the triage: most requests close as triaged."""
    run = get_run(get_db(), found.run_id)
    return {"route": (run.route if run else None) or found.details.get("route"), "urgency": found.urgency}


def _render_detail(practice_slug: str, found: store.PracticeRequest, **forms):
    db = get_db()
    path, facts = _triage_path(found, current_locale())
    run = get_run(db, found.run_id)
    close_form = forms.get("close_form") or CloseForm(
        data={"route": run.route if run else None, "urgency": found.urgency}
    )
    staff_names = {s.id: s.name for s in list_staff(db)}
    messages = store.messages(db, found.id)
    status = 422 if any(f.errors for f in forms.values()) else 200
    return (
        render_template(
            "inbox/detail.html",
            practice=get_practice(db, practice_slug),
            item=found,
            path=path,
            facts=facts,
            messages=messages,
            photos=photo_store.photos_for(db, found.id),
            thread=record.thread(messages, staff_names),
            soep=record.soep(found, run, messages, [p.message_id for p in photo_store.photos_for(db, found.id)]),
            reply_form=forms.get("reply_form") or ReplyForm(formdata=None, data=_reply_defaults(found)),
            templates=templates_store.for_practice(db, practice_slug),
            template_page=_template_page(practice_slug, forms.get("reply_form")),
            reroute_form=forms.get("reroute_form") or RerouteForm(),
            close_form=close_form,
            reroutes=REROUTES,
            staff_names=staff_names,
            colleagues=colleagues(practice_slug),
            sla=sla(found, clock.now()),
            staff=current_staff(),
            list_args=_list_args(),
            just_closed=_just_closed(practice_slug),
        ),
        status,
    )


def _template_page(practice_slug: str, form: ReplyForm | None) -> str | None:
    """The title of the self-help page the chosen template links under the reply, shown beside the form."""
    chosen = _chosen_template(practice_slug, form.template.data if form else None)
    if chosen is None or not chosen.page:
        return None
    page = content().page(chosen.page, current_locale())
    return page.title if page else chosen.page


def _back(practice_slug: str, request_id: int):
    return redirect(url_for(".detail", practice_slug=practice_slug, request_id=request_id, **_list_args()), 303)


@bp.post("/<practice_slug>/requests/<int:request_id>/claim")
@staff_required(*INBOX_ROLES)
def claim(practice_slug: str, request_id: int):
    found = _request_or_404(practice_slug, request_id)
    staff = current_staff()
    assert staff is not None
    store.assign(get_db(), found, staff.id, staff.id, origin=audit_context())
    return _back(practice_slug, found.id)


def colleagues(practice_slug: str) -> list:
    """Staff who can work this practice's inbox."""
    return [s for s in list_staff(get_db()) if s.active and s.role in INBOX_ROLES and s.works_for(practice_slug)]


@bp.post("/<practice_slug>/requests/<int:request_id>/assign")
@staff_required(*INBOX_ROLES)
def assign(practice_slug: str, request_id: int):
    found = _request_or_404(practice_slug, request_id)
    staff = current_staff()
    assert staff is not None
    chosen = request.form.get("assignee", type=int)
    if chosen is None or chosen not in {c.id for c in colleagues(practice_slug)}:
        abort(400)
    store.assign(get_db(), found, staff.id, chosen, origin=audit_context())
    return _back(practice_slug, found.id)


def _notify(found: store.PracticeRequest) -> MailOrder | None:
    """The "there is news" mail to queue with a reply, without any medical content.

    In the patient's language (the one their triage ran in), not the assistant's.
    Queued in the reply's transaction and sent by ``voordeur outbox``: a slow or
    refused mail server never fails or delays the assistant's reply.
    """
    run = get_run(get_db(), found.run_id)
    return mail.order("new_message", run.locale if run else "nl", found.email)


@bp.post("/<practice_slug>/requests/<int:request_id>/reply")
@staff_required(*INBOX_ROLES)
def reply(practice_slug: str, request_id: int):
    found = _request_or_404(practice_slug, request_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_detail(practice_slug, found, reply_form=form)
    staff = current_staff()
    assert staff is not None
    chosen = _chosen_template(practice_slug, form.template.data)
    closing = store.Disposition(form.route.data, form.urgency.data) if form.close.data else None
    store.reply(
        get_db(),
        found,
        staff.id,
        form.body.data.strip(),
        clock.now(),
        mail=_notify(found),
        origin=audit_context(),
        page=chosen.page if chosen else None,
        detail=f"template:{chosen.id}" if chosen else None,
        close_with=closing,
    )
    if closing is not None:
        return _after_close(practice_slug, found)
    return _back(practice_slug, found.id)


@bp.post("/<practice_slug>/requests/<int:request_id>/reroute")
@staff_required(*INBOX_ROLES)
def reroute(practice_slug: str, request_id: int):
    found = _request_or_404(practice_slug, request_id)
    form = RerouteForm()
    if not form.validate_on_submit():
        return _render_detail(practice_slug, found, reroute_form=form)
    staff = current_staff()
    assert staff is not None
    text = str(REROUTES[form.target.data])
    if form.note.data and form.note.data.strip():
        text += "\n\n" + form.note.data.strip()
    store.reply(
        get_db(),
        found,
        staff.id,
        text,
        clock.now(),
        action=f"reroute:{form.target.data}",
        mail=_notify(found),
        origin=audit_context(),
    )
    return _back(practice_slug, found.id)


@bp.post("/<practice_slug>/requests/<int:request_id>/close")
@staff_required(*INBOX_ROLES)
def close(practice_slug: str, request_id: int):
    found = _request_or_404(practice_slug, request_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_detail(practice_slug, found, close_form=form)
    staff = current_staff()
    assert staff is not None
    store.close(
        get_db(),
        found,
        staff.id,
        route=form.route.data,
        urgency=form.urgency.data,
        now=clock.now(),
        origin=audit_context(),
    )
    return _after_close(practice_slug, found)


def _list_args() -> dict[str, Any]:
    """The filters of the list the assistant came from (kept in the URL), so every link and form
    on the request page leads back to, or on through, that same list."""
    staff = current_staff()
    assert staff is not None
    return listing.url_args(listing.read_query(request.args, staff.id))


def _after_close(practice_slug: str, closed: store.PracticeRequest):
    """Straight on to the next request in the list the assistant came from ("Volgende"), so the
    common path needs no return to the list; the list itself when none is left."""
    staff = current_staff()
    assert staff is not None
    query = listing.read_query(request.args, staff.id)
    following = listing.next_in_list(store.inbox(get_db(), practice_slug, query=query, now=clock.now()), closed)
    args: dict[str, Any] = listing.url_args(query)
    if following is None:
        return redirect(url_for(".index", practice_slug=practice_slug, **args), 303)
    target = url_for(".detail", practice_slug=practice_slug, request_id=following.id, closed=closed.id, **args)
    return redirect(target, 303)


def _just_closed(practice_slug: str) -> store.PracticeRequest | None:
    """The request closed on the way here (``?closed=ID``), to confirm it above the next one."""
    closed_id = request.args.get("closed", "")
    if not (closed_id.isascii() and closed_id.isdigit() and len(closed_id) <= 12):
        return None
    found = store.for_practice(get_db(), practice_slug, int(closed_id))
    return found if found is not None and found.status == RequestStatus.CLOSED else None


@bp.get("/<practice_slug>/requests/<int:request_id>/photos/<int:photo_id>")
@staff_required(*INBOX_ROLES)
def photo(practice_slug: str, request_id: int, photo_id: int):
    """One photo the patient sent, for staff of this practice only; every look is audited.

    ``no-store``: a medical photo must not stay behind in the browser's or a proxy's cache
    on a shared practice computer. Only re-encoded JPEG or PNG bytes are ever stored, and
    the type is fixed (``nosniff`` is sent with every response), so nothing here can run as a page.
    """
    found = _request_or_404(practice_slug, request_id)
    stored = photo_store.photo(get_db(), practice_slug, found.id, photo_id)
    if stored is None:
        abort(404)
    _audit("view:photo", practice_slug, found.id, detail=f"photo:{stored.id}")
    extension = "png" if stored.content_type == "image/png" else "jpg"
    return Response(
        stored.data,
        mimetype=stored.content_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{found.reference}-{stored.id}.{extension}"',
        },
    )


@bp.get("/audit")
@staff_required(*AUDIT_ROLES)
def audit_log():
    db = get_db()
    # A page number that is not one is the sender's mistake: 400, not 500. Huge numbers would
    # overflow SQLite's OFFSET, so they are refused too.
    last_page = 1_000_000
    try:
        page = max(int(request.args.get("page") or 1), 1)
    except ValueError:
        page = last_page + 1
    if page > last_page:
        raise BadInput(_("The page number must be a whole number from 1 to %(max)d.", max=last_page))
    entries = audit.entries(db, limit=100, offset=(page - 1) * 100)
    problems = audit.verify(db)
    staff = current_staff()
    assert staff is not None
    audit.append(db, action="view:audit", staff_id=staff.id, **audit_context())
    return render_template(
        "inbox/audit.html",
        entries=entries,
        problems=problems,
        page=page,
        staff=staff,
        practice=None,
        title=_("Audit log"),
    )


# The practice manager's views use this blueprint too.
from . import (  # noqa: E402
    practice_settings,  # noqa: F401
    reply_templates,  # noqa: F401
)
