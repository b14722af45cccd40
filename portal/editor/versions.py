"""Change control in the browser: edit a tree or page as a draft, submit, review, publish, history, rollback.

Thin views over ``portal.editor.workflow`` (the rules) and ``storage.content_versions``
(the rows). Editors write; clinical reviewers (and editors, for wording) review.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import clock
from ..content.changes import LOGIC, diff_rows
from ..contentlib import live_content, path_of, reload_published
from ..staff.guard import audit_context, current_staff, staff_required
from ..storage import content_versions as versions
from ..storage.content_versions import ContentVersion
from ..storage.db import get_db
from ..triage.model import Tree
from ..vocabulary import EDITOR_ROLES, REVIEW_ROLES, Role
from . import workflow
from .routes import _render, bp, simulate_tree
from .workflow import Refused, Target

LANGUAGES = ("nl", "en")


def _target(kind: str, key: str, language: str = "") -> Target:
    """A tree or page that exists (live, refused, or only in the database); 404 otherwise."""
    if kind == "page" and language not in LANGUAGES:
        abort(404)
    content = live_content()
    path = path_of(content, kind, key, language)
    known = path in content.live.current.versions or versions.current(get_db(), kind, key, language) is not None
    # A new page made in the browser exists only as an open change until it is published.
    known = known or any(
        v.kind == kind and v.key == key and v.language == language for v in versions.open_versions(get_db())
    )
    if not known:
        abort(404)
    return Target(kind, key, language)


def _version_or_404(version_id: int) -> ContentVersion:
    version = versions.get(get_db(), version_id)
    if version is None:
        abort(404)
    return version


def _names(items: list[ContentVersion]) -> dict[int, str]:
    ids = {i for v in items for i in (v.author_id, v.reviewer_id) if i}
    return versions.staff_names(get_db(), ids)


def _now():
    return clock.now()


# --- the list of changes --------------------------------------------------------------------


@bp.get("/changes")
@staff_required(*REVIEW_ROLES)
def changes():
    staff = current_staff()
    assert staff is not None
    open_ones = versions.open_versions(get_db())
    mine = [v for v in open_ones if v.author_id == staff.id]
    waiting = [v for v in open_ones if v.status == versions.SUBMITTED and v.author_id != staff.id]
    return _render("editor/changes.html", mine=mine, waiting=waiting, names=_names(open_ones))


# --- editing ---------------------------------------------------------------------------------


@bp.get("/trees/<tree_id>/edit")
@staff_required(*EDITOR_ROLES)
def edit_tree(tree_id: str):
    return _edit(_target("tree", tree_id))


@bp.get("/pages/<slug>/<language>/edit")
@staff_required(*EDITOR_ROLES)
def edit_page(slug: str, language: str):
    return _edit(_target("page", slug, language))


def _edit(target: Target, text: str | None = None, check: workflow.DraftCheck | None = None, status: int = 200):
    staff = current_staff()
    assert staff is not None
    db = get_db()
    draft = versions.open_draft(db, target.kind, target.key, target.language, staff.id)
    live, _based_on = workflow.live_text(db, live_content(), target)
    if text is None:
        text = draft.source if draft else (live or "")
    return _render(
        "editor/edit.html",
        target=target,
        name=f"{target.key}.{target.language}" if target.language else target.key,
        text=text,
        draft=draft,
        check=check,
        action=_edit_url(target),
    ), status


def _edit_url(target: Target) -> str:
    if target.kind == "tree":
        return url_for("editor.save_tree", tree_id=target.key)
    return url_for("editor.save_page", slug=target.key, language=target.language)


@bp.post("/trees/<tree_id>/edit")
@staff_required(*EDITOR_ROLES)
def save_tree(tree_id: str):
    return _save(_target("tree", tree_id))


@bp.post("/pages/<slug>/<language>/edit")
@staff_required(*EDITOR_ROLES)
def save_page(slug: str, language: str):
    return _save(_target("page", slug, language))


def _save(target: Target) -> Response:
    staff = current_staff()
    assert staff is not None
    text = request.form.get("source", "")
    if not text.strip():
        flash(_("The text is empty. Nothing was saved."), "error")
        return redirect(_edit_url(target), 303)
    draft_id, _check = workflow.save_draft(get_db(), live_content(), staff, target, text, _now(), audit_context())
    flash(_("Draft saved."), "success")
    return redirect(url_for("editor.change", version_id=draft_id), 303)


# --- one change ------------------------------------------------------------------------------


@bp.get("/changes/<int:version_id>")
@staff_required(*REVIEW_ROLES)
def change(version_id: int):
    version = _version_or_404(version_id)
    staff = current_staff()
    assert staff is not None
    db = get_db()
    content = live_content()
    target = workflow.target_of(version)
    live, _based_on = workflow.live_text(db, content, target)
    is_open = version.status in versions.OPEN
    check = workflow.check_draft(content, target, live, version.source, date.today()) if is_open else None
    compare = live if is_open else _previous_text(version)
    settings = current_app.config["VOORDEUR"]
    return _render(
        "editor/change.html",
        version=version,
        check=check,
        rows=diff_rows(compare or "", version.source),
        compare_label=_("what patients get now") if is_open else _("the version before"),
        names=_names([version]),
        is_author=version.author_id == staff.id,
        review_refusal=workflow.may_review(staff, version),
        may_write_logic=staff.role in workflow.logic_authors(settings["LOGIC_AUTHORS"]),
        replay=_replay(version, check)
        if check and version.kind == "tree" and check.classification.kind == LOGIC
        else None,
        is_admin=staff.role == Role.ADMIN,
    )


def _previous_text(version: ContentVersion) -> str | None:
    """The text this version replaced: the version it was based on, or the one published before it."""
    db = get_db()
    if version.based_on:
        before = versions.get(db, version.based_on)
        return before.source if before else None
    older = [
        v for v in versions.history(db, version.kind, version.key, version.language) if v.number and v.id < version.id
    ]
    return older[0].source if older else None


def _replay(version: ContentVersion, check: workflow.DraftCheck):
    """The validation replay against the draft: which validated stories of this tree change outcome."""
    from ..storage.validation import paths, runs, validation_run_ids
    from ..validation.replay import Recorded, replay

    tree = check.value if isinstance(check.value, Tree) else None
    db = get_db()
    found = runs(db, validation_run_ids(db))
    mine = [run for run in found.values() if run.tree_id == version.key and run.outcome_node]
    seen = paths(db, [run.id for run in mine])
    rows = []
    for run in mine:
        outcome = replay(
            tree,
            Recorded.of(run, seen.get(run.id)),
        )
        rows.append((run, outcome))
    return rows


@bp.get("/changes/<int:version_id>/preview")
@staff_required(*REVIEW_ROLES)
def preview_change(version_id: int):
    """The draft exactly as a patient sees it: the page, or the simulator on the draft tree."""
    version = _version_or_404(version_id)
    content = live_content()
    target = workflow.target_of(version)
    live, _based_on = workflow.live_text(get_db(), content, target)
    check = workflow.check_draft(content, target, live, version.source, date.today())
    path = path_of(content, target.kind, target.key, target.language)
    if version.kind == "page":
        return _render(
            "editor/preview.html",
            page=check.value,
            problems=list(check.problems),
            path=path,
            preview=True,
            run_id=None,
            draft=version,
        )
    tree = check.value if isinstance(check.value, Tree) else None
    return simulate_tree(
        tree, list(check.problems), version.key, url_for("editor.preview_change", version_id=version.id)
    )


# --- steps -----------------------------------------------------------------------------------


def _step(version_id: int, action) -> Response:
    try:
        message = action()
    except Refused as exc:
        flash(str(exc), "error")
    else:
        if message:
            flash(message, "success")
    return redirect(url_for("editor.change", version_id=version_id), 303)


@bp.post("/changes/<int:version_id>/submit")
@staff_required(*EDITOR_ROLES)
def submit(version_id: int):
    staff = current_staff()
    assert staff is not None
    roles = workflow.logic_authors(current_app.config["VOORDEUR"]["LOGIC_AUTHORS"])

    def act():
        workflow.submit(
            get_db(),
            live_content(),
            staff,
            version_id,
            request.form.get("release_note", ""),
            roles,
            _now(),
            audit_context(),
        )
        return _("Submitted for review.")

    return _step(version_id, act)


@bp.post("/changes/<int:version_id>/withdraw")
@staff_required(*EDITOR_ROLES)
def withdraw(version_id: int):
    staff = current_staff()
    assert staff is not None

    def act():
        workflow.withdraw(get_db(), staff, version_id, _now(), audit_context())
        return _("Withdrawn.")

    return _step(version_id, act)


@bp.post("/changes/<int:version_id>/review")
@staff_required(*REVIEW_ROLES)
def review(version_id: int):
    staff = current_staff()
    assert staff is not None
    decision = request.form.get("decision")
    comment = request.form.get("comment", "")

    def act():
        if decision == "approve":
            number = workflow.approve(get_db(), live_content(), staff, version_id, comment, _now(), audit_context())
            reload_published()
            return _("Approved and published as version %(number)d.", number=number)
        if decision == "reject":
            workflow.reject(get_db(), staff, version_id, comment, _now(), audit_context())
            return _("Rejected. The author sees your comment.")
        abort(400)

    return _step(version_id, act)


@bp.post("/changes/<int:version_id>/rollback")
@staff_required(*EDITOR_ROLES)
def rollback(version_id: int):
    staff = current_staff()
    assert staff is not None
    try:
        new_id = workflow.request_rollback(
            get_db(), live_content(), staff, version_id, request.form.get("note", ""), _now(), audit_context()
        )
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("editor.change", version_id=version_id), 303)
    flash(_("The rollback is submitted for review."), "success")
    return redirect(url_for("editor.change", version_id=new_id), 303)


@bp.post("/changes/<int:version_id>/emergency-rollback")
@staff_required(Role.ADMIN)
def emergency_rollback(version_id: int):
    staff = current_staff()
    assert staff is not None
    try:
        new_id = workflow.emergency_rollback(
            get_db(), live_content(), staff, version_id, request.form.get("reason", ""), _now(), audit_context()
        )
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("editor.change", version_id=version_id), 303)
    reload_published()
    flash(_("Rolled back at once. Patients get this version now."), "success")
    return redirect(url_for("editor.change", version_id=new_id), 303)


# --- history ---------------------------------------------------------------------------------


@bp.get("/trees/<tree_id>/history")
@staff_required(*REVIEW_ROLES)
def tree_history(tree_id: str):
    return _history(_target("tree", tree_id))


@bp.get("/pages/<slug>/<language>/history")
@staff_required(*REVIEW_ROLES)
def page_history(slug: str, language: str):
    return _history(_target("page", slug, language))


def _history(target: Target):
    found = versions.history(get_db(), target.kind, target.key, target.language)
    return _render(
        "editor/history.html",
        target=target,
        name=f"{target.key}.{target.language}" if target.language else target.key,
        items=found,
        names=_names(found),
        edit_url=_edit_url(target),
    )


from . import cases as _cases  # noqa: E402,F401  (a tree's cases in forms; the simulator keeps a walk as a case)
from . import forms as _forms  # noqa: E402,F401  (registers the form editor's views on ``bp``)
from . import messages as _messages  # noqa: E402,F401  (the checker's messages in the editor's words)
