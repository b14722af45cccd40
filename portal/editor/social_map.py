"""The social map per municipality in the browser: add, change and remove a service; history; put an older version back.

Who: a practice manager for the municipalities of their own practices (the
practice's own and the others it serves); editors and admins for every
municipality. Assistants, evaluators and clinical reviewers may not.

A social map holds phone numbers, opening times and what a service is for; where a
patient is sent is decided by the tree (``social_service``). So a change is
published at once, like practice settings, without a second person: it is checked
against the same schema and checks as the file, kept as a version in the database
(it survives restarts and a broken file on disk), shown in the history, and written
to the audit log. See docs/authoring/social-map.md for the reasons.

Thin views: the edits are ``portal.content.shared_files``, the checks
``portal.editor.shared_checks`` (through ``workflow.check_draft``), the rows
``storage.content_versions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from .. import clock
from ..content import shared_files
from ..content.changes import NONE, diff_rows
from ..content.shared_files import NotEditable
from ..contentlib import live_content, path_of, reload_published
from ..staff.guard import audit_context, signed_in_staff, staff_required
from ..storage import audit
from ..storage import content_versions as versions
from ..storage.db import get_db
from ..storage.practices import get_practice, list_practices
from ..storage.staff import Staff
from ..vocabulary import SOCIAL_SERVICE_LABELS, Role, SocialService
from . import workflow
from .routes import _render, bp
from .workflow import Target

#: Who may change a social map (a practice manager only for the municipalities of their practices).
SOCIAL_MAP_ROLES = (Role.PRACTICE_MANAGER, Role.EDITOR, Role.ADMIN)
KIND = "social_map"
SLUG = re.compile(r"^[a-z][a-z0-9-]{1,62}$")

#: What a field is called in the form, and why a value is refused, in the editor's words.
FIELD_LABELS = {
    "type": _l("Kind of help"),
    "name": _l("Name of the organisation"),
    "what_nl": _l("What it is for (Dutch)"),
    "what_en": _l("What it is for (English)"),
    "how_nl": _l("How to reach it (Dutch)"),
    "how_en": _l("How to reach it (English)"),
    "phone": _l("Phone number"),
    "address": _l("Visiting address"),
    "web": _l("Web address"),
}
REASONS = {
    shared_files.REQUIRED: _l("Fill in “%(field)s”."),
    shared_files.TOO_SHORT: _l("“%(field)s” is too short: write at least 2 characters."),
    shared_files.PHONE: _l("A phone number has only digits, spaces and + ( ) -, from 3 to 20 characters."),
    shared_files.WEB: _l("A web address starts with https://"),
    shared_files.TYPE: _l("Choose the kind of help from the list."),
    shared_files.DUPLICATE: _l("This municipality already has this kind of help. Change that one instead."),
}


class ServiceForm(FlaskForm):
    """One service of a social map; the checks are the schema's (``shared_files.service_errors``)."""

    type = SelectField(FIELD_LABELS["type"], choices=[], validate_choice=False)  # service_errors says why, in words
    name = StringField(FIELD_LABELS["name"])
    what_nl = TextAreaField(FIELD_LABELS["what_nl"])
    what_en = TextAreaField(FIELD_LABELS["what_en"])
    how_nl = TextAreaField(FIELD_LABELS["how_nl"])
    how_en = TextAreaField(FIELD_LABELS["how_en"])
    phone = StringField(FIELD_LABELS["phone"])
    address = StringField(FIELD_LABELS["address"])
    web = StringField(FIELD_LABELS["web"])
    checked = BooleanField(_l("I checked the phone number and opening times today"))
    based_on = HiddenField()

    def fields(self) -> dict[str, str]:
        return {name: (self[name].data or "") for name in shared_files.SERVICE_FIELDS}

    def refuse(self, found: dict[str, str]) -> None:
        """Put the reasons from ``service_errors`` on their fields, in words."""
        for name, code in found.items():
            field = self[name] if name in shared_files.SERVICE_FIELDS else self["type"]
            field.errors = [*field.errors, str(REASONS[code] % {"field": FIELD_LABELS.get(name, name)})]
        self._errors = None  # the form's summary of errors is built again from the fields


class ConfirmForm(FlaskForm):
    """A button that only sends the CSRF token and the version the page showed."""

    based_on = HiddenField()
    checked = BooleanField()


# --- who may change which map --------------------------------------------------------------


def _allowed_names(staff: Staff) -> set[str] | None:
    """The municipalities ``staff`` may change the social map of (None: every one)."""
    if staff.role in (Role.EDITOR, Role.ADMIN):
        return None
    names: set[str] = set()
    for slug in staff.practices:
        practice = get_practice(get_db(), slug)
        if practice is not None:
            names |= set(practice.municipalities)
    return names


def _may_change(staff: Staff, municipality: str) -> bool:
    allowed = _allowed_names(staff)
    return allowed is None or municipality in allowed


@dataclass(frozen=True)
class MapState:
    """One social map as the forms start from it: the live text ('' for a new map), the id of the published
    version it is (None while the map follows its file), and its municipality."""

    slug: str
    text: str
    based_on: int | None
    name: str

    @property
    def services(self) -> list[dict[str, str]]:
        try:
            return shared_files.services(self.text)
        except NotEditable:
            return []


def _map_or_404(slug: str) -> MapState:
    """The live social map (the database's version, or the file); 404 when there is none, 403 when it is
    not one of this person's municipalities."""
    if not SLUG.match(slug):
        abort(404)
    content = live_content()
    text, based_on = workflow.live_text(get_db(), content, Target(KIND, slug))
    if text is None:
        abort(404)
    live = content.library.municipalities.get(slug)
    name = live.name if live is not None else _name_in(text)
    if not _may_change(signed_in_staff(), name):
        abort(403)
    return MapState(slug, text, based_on, name)


def _name_in(text: str) -> str:
    match = re.search(r"(?m)^municipality:\s*[\"']?(.*?)[\"']?\s*$", text)
    return match.group(1) if match else ""


# --- pages -----------------------------------------------------------------------------------


@bp.get("/social-map/")
@staff_required(*SOCIAL_MAP_ROLES)
def social_maps():
    """The maps this person may change, and the municipalities of the practices that have none yet."""
    allowed = _allowed_names(signed_in_staff())
    maps = [m for m in live_content().library.municipalities.values() if allowed is None or m.name in allowed]
    have = {m.name for m in live_content().library.municipalities.values()}
    practices = list_practices(get_db())
    wanted = sorted({n for p in practices for n in p.municipalities if allowed is None or n in allowed} - have)
    return _render("editor/social_maps.html", maps=sorted(maps, key=lambda m: m.name), missing=wanted)


@bp.get("/social-map/<slug>")
@staff_required(*SOCIAL_MAP_ROLES)
def social_map(slug: str):
    state = _map_or_404(slug)
    live = live_content().library.municipalities.get(slug)
    problems = live_content().library.problems.get(_path(slug), [])
    return _render(
        "editor/social_map.html",
        state=state,
        live=live,
        problems=[p for p in problems if p.is_error],
        labels=SOCIAL_SERVICE_LABELS,
        form=ConfirmForm(based_on=_mark(state.based_on)),
        all_types=len(SocialService),
    )


def _path(slug: str) -> Path:
    return path_of(live_content(), KIND, slug)


def _mark(based_on: int | None) -> str:
    """The published version a form started from, sent back with it ('' when the map follows its file)."""
    return "" if based_on is None else str(based_on)


def _expected(form: Any) -> int | None:
    value = (form.based_on.data or "").strip()
    return int(value) if value.isdigit() else None


def _type_choices(state: MapState | None, keep: str | None) -> list[tuple[str, str]]:
    """The kinds of help a service may be: those the map does not list yet (and its own, when editing)."""
    taken = {s["type"] for s in state.services} if state else set()
    return [(t.value, str(SOCIAL_SERVICE_LABELS[t])) for t in SocialService if t.value not in taken or t.value == keep]


@bp.route("/social-map/<slug>/services/new", methods=["GET", "POST"])
@staff_required(*SOCIAL_MAP_ROLES)
def add_service(slug: str):
    state = _map_or_404(slug)
    form = ServiceForm(based_on=_mark(state.based_on))
    form.type.choices = _type_choices(state, None)
    if request.method == "POST":
        return _save_service(state, form, replacing=None)
    return _service_page(state, form, None)


@bp.route("/social-map/<slug>/services/<service_type>", methods=["GET", "POST"])
@staff_required(*SOCIAL_MAP_ROLES)
def edit_service(slug: str, service_type: str):
    state = _map_or_404(slug)
    found = next((s for s in state.services if s["type"] == service_type), None)
    if found is None:
        abort(404)
    form = ServiceForm(data={**found, "based_on": _mark(state.based_on)} if request.method == "GET" else None)
    form.type.choices = _type_choices(state, service_type)
    if request.method == "POST":
        return _save_service(state, form, replacing=service_type)
    return _service_page(state, form, service_type)


def _service_page(state: MapState, form: ServiceForm, editing: str | None, problems=(), status: int = 200):
    return _render(
        "editor/social_map_service.html",
        state=state,
        form=form,
        editing=editing,
        labels=SOCIAL_SERVICE_LABELS,
        problems=list(problems),
    ), status


def _save_service(state: MapState, form: ServiceForm, replacing: str | None):
    if not form.validate_on_submit():
        return _service_page(state, form, replacing, status=422)
    others = [s["type"] for s in state.services if s["type"] != replacing]
    found = shared_files.service_errors(form.fields(), others, [t.value for t in SocialService])
    if found:
        form.refuse(found)
        return _service_page(state, form, replacing, status=422)
    try:
        text = shared_files.put_service(state.text, form.fields(), replacing)
        if form.checked.data:
            text = shared_files.mark_checked(text, clock.now().date())
    except NotEditable:
        return _service_page(state, form, replacing, [_("This social map cannot be read; ask an editor.")], 422)
    what = "added" if replacing is None else "changed"
    done = _publish(state, text, _expected(form), f"{what} {form.type.data}")
    if isinstance(done, list):
        return _service_page(state, form, replacing, done, 409 if done == [_conflict()] else 422)
    return done


@bp.get("/social-map/<slug>/services/<service_type>/remove")
@staff_required(*SOCIAL_MAP_ROLES)
def confirm_remove_service(slug: str, service_type: str):
    state = _map_or_404(slug)
    found = next((s for s in state.services if s["type"] == service_type), None)
    if found is None:
        abort(404)
    return _render(
        "editor/social_map_remove.html",
        state=state,
        service=found,
        labels=SOCIAL_SERVICE_LABELS,
        form=ConfirmForm(based_on=_mark(state.based_on)),
        problems=[],
    )


@bp.post("/social-map/<slug>/services/<service_type>/remove")
@staff_required(*SOCIAL_MAP_ROLES)
def remove_service(slug: str, service_type: str):
    state = _map_or_404(slug)
    form = ConfirmForm()
    found = next((s for s in state.services if s["type"] == service_type), None)
    if found is None or not form.validate_on_submit():
        abort(404 if found is None else 400)
    text = shared_files.drop_service(state.text, service_type)
    done = _publish(state, text, _expected(form), f"removed {service_type}")
    if isinstance(done, list):
        return _render(
            "editor/social_map_remove.html",
            state=state,
            service=found,
            labels=SOCIAL_SERVICE_LABELS,
            form=ConfirmForm(based_on=_mark(state.based_on)),
            problems=done,
        ), 422
    return done


@bp.post("/social-map/<slug>/checked")
@staff_required(*SOCIAL_MAP_ROLES)
def mark_checked(slug: str):
    state = _map_or_404(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    done = _publish(state, shared_files.mark_checked(state.text, clock.now().date()), _expected(form), "checked")
    if isinstance(done, list):
        for problem in done:
            flash(problem, "error")
        return redirect(url_for("editor.social_map", slug=slug), 303)
    return done


@bp.route("/social-map/new", methods=["GET", "POST"])
@staff_required(*SOCIAL_MAP_ROLES)
def new_social_map():
    """A social map for a municipality of a practice that has none yet, with its first service."""
    name = (request.values.get("municipality") or "").strip()
    known = {n for p in list_practices(get_db()) for n in p.municipalities}
    if name not in known or live_content().library.municipality_named(name) is not None:
        abort(404)
    if not _may_change(signed_in_staff(), name):
        abort(403)
    slug = shared_files.slug_for(name)
    state = MapState(slug, "", None, name)
    form = ServiceForm(based_on="")
    form.type.choices = _type_choices(None, None)
    if request.method == "GET":
        return _service_page(state, form, None)
    if not form.validate_on_submit():
        return _service_page(state, form, None, status=422)
    found = shared_files.service_errors(form.fields(), (), [t.value for t in SocialService])
    if found:
        form.refuse(found)
        return _service_page(state, form, None, status=422)
    if workflow.live_text(get_db(), live_content(), Target(KIND, slug))[0] is not None:
        return _service_page(state, form, None, [_conflict()], 409)
    text = shared_files.new_social_map(name, form.fields(), clock.now().date())
    done = _publish(state, text, None, f"new map with {form.type.data}")
    if isinstance(done, list):
        return _service_page(state, form, None, done, 422)
    return done


# --- publishing ------------------------------------------------------------------------------


def _conflict() -> str:
    return _("Someone else changed this social map while you were working on it. What you typed is still here: "
             "check the social map again and save once more.")  # fmt: skip


def _publish(state: MapState, text: str, expected: int | None, what: str) -> Response | list[str]:
    """Check the new text as the portal would load it, publish it at once with an audit row, and reload.
    Returns the redirect, or the reasons it was refused (in words, for the form)."""
    db, content, staff, now = get_db(), live_content(), signed_in_staff(), clock.now()
    target = Target(KIND, state.slug)
    old, based_on = workflow.live_text(db, content, target)
    if expected != based_on:
        return [_conflict()]
    check = workflow.check_draft(content, target, old, text, now.date())
    if check.errors:
        return [_("Line %(line)d: %(message)s", line=p.line, message=p.message) for p in check.errors]
    if check.classification.kind == NONE:
        flash(_("Nothing was changed."))
        return redirect(url_for("editor.social_map", slug=state.slug), 303)
    try:
        version_id, number = versions.publish_now(
            db,
            kind=KIND,
            key=state.slug,
            language="",
            source=text,
            origin="editor",
            author_id=staff.id,
            comment=what,
            now=now,
            classification=check.classification.kind,
            changes=(what,),
            expect_live=based_on,
        )
    except versions.Conflict:
        return [_conflict()]
    audit.append(
        db,
        action="social-map:published",
        staff_id=staff.id,
        now=now,
        detail=f"{KIND}:{state.slug}#{version_id} v{number}: {what}",
        **audit_context(),
    )
    reload_published()
    flash(_("The social map is saved. Patients see it at once."), "success")
    return redirect(url_for("editor.social_map", slug=state.slug), 303)


# --- history ---------------------------------------------------------------------------------


@bp.get("/social-map/<slug>/history")
@staff_required(*SOCIAL_MAP_ROLES)
def social_map_history(slug: str):
    state = _map_or_404(slug)
    found = versions.history(get_db(), KIND, slug)
    ids = {i for v in found for i in (v.author_id, v.reviewer_id) if i}
    return _render(
        "editor/social_map_history.html", state=state, items=found, names=versions.staff_names(get_db(), ids)
    )


@bp.get("/social-map/<slug>/versions/<int:version_id>")
@staff_required(*SOCIAL_MAP_ROLES)
def social_map_version(slug: str, version_id: int):
    state = _map_or_404(slug)
    version = versions.get(get_db(), version_id)
    if version is None or version.kind != KIND or version.key != slug:
        abort(404)
    before, label = _before(version)
    names = versions.staff_names(get_db(), {version.author_id} if version.author_id else set())
    return _render(
        "editor/social_map_version.html",
        state=state,
        version=version,
        names=names,
        rows=diff_rows(before, version.source),
        compare_label=label,
        form=ConfirmForm(based_on=_mark(state.based_on)),
    )


def _before(version: versions.ContentVersion) -> tuple[str, str]:
    """The text a version replaced, and what to call it: the version it was based on, or (the first version
    made here) the shipped file."""
    if version.based_on:
        older = versions.get(get_db(), version.based_on)
        if older is not None:
            return older.source, _("the version before")
    try:
        return _path(version.key).read_text("utf-8"), _("the shipped file")
    except (OSError, UnicodeDecodeError):
        return "", _("an empty file")


@bp.post("/social-map/<slug>/versions/<int:version_id>/restore")
@staff_required(*SOCIAL_MAP_ROLES)
def restore_social_map(slug: str, version_id: int):
    """Put an older version back at once (a new version with that text), like any other change of the map."""
    state = _map_or_404(slug)
    version = versions.get(get_db(), version_id)
    form = ConfirmForm()
    if version is None or version.kind != KIND or version.key != slug or version.number is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    done = _publish(state, version.source, _expected(form), f"restored version {version.number}")
    if isinstance(done, list):
        for problem in done:
            flash(problem, "error")
        return redirect(url_for("editor.social_map_version", slug=slug, version_id=version_id), 303)
    return done
