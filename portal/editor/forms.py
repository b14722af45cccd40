"""Editing in forms instead of YAML or Markdown: self-help pages (existing and new) and a tree's texts.

Each form produces the same draft raw mode would (``workflow.save_draft`` takes
the whole text of the file), so the checks, the classification, review and
publishing are the ones of ``portal.editor.versions``. The pure work — a page's
fields and a tree's texts to and from their files — is in
``portal.content.page_form`` and ``portal.content.tree_texts``.

The page form shows a preview exactly as a patient sees it on a phone after
"Bekijk" (a plain submit, so it works without JavaScript); with htmx the
preview follows the typing.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from .. import clock
from ..content import page_form, tree_texts
from ..content.files import reading_instead
from ..contentlib import live_content, path_of
from ..pages.loader import PAGE_NAME, read_page
from ..staff.guard import audit_context, signed_in_staff, staff_required
from ..storage import content_versions as versions
from ..storage.content_versions import ContentVersion
from ..storage.db import get_db
from ..vocabulary import EDITOR_ROLES, THEME_LABELS, Theme
from . import workflow
from .routes import _render, bp
from .versions import LANGUAGES, _target
from .workflow import Target

#: What the form calls a text, by the YAML key it sits under (the tree schema's names).
ROLE_LABELS = {
    "text": _l("Question"),
    "help": _l("Hint"),
    "label": _l("Answer"),
    "title": _l("Title"),
    "advice": _l("Advice (one point per line)"),
    "safety_net": _l("Safety net (one point per line)"),
    "keywords": _l("Search words (one per line)"),
}


def start_with_draft(target: Target) -> tuple[str, ContentVersion | None]:
    """What an editor starts from, and the draft it came from: their own open draft, or what patients
    get now (no draft)."""
    draft = versions.open_draft(get_db(), target.kind, target.key, target.language, signed_in_staff().id)
    if draft is not None:
        return draft.source, draft
    return workflow.live_text(get_db(), live_content(), target)[0] or "", None


def start_text(target: Target) -> str:
    """What the form starts from: the author's own draft, or what patients get now."""
    return start_with_draft(target)[0]


def _save(target: Target, text: str) -> Response:
    draft_id, _check = workflow.save_draft(
        get_db(), live_content(), signed_in_staff(), target, text, clock.now(), audit_context()
    )
    flash(_("Draft saved."), "success")
    return redirect(url_for("editor.change", version_id=draft_id), 303)


def _preview(path: Path, text: str):
    """The page as the loader reads it (own checks only; links are checked when the draft is saved)."""
    with reading_instead({path: text.encode("utf-8")}):
        page, problems, _links = read_page(path, date.today())
    return page, problems


def _posted_sections(headings: list[str]) -> list[tuple[str, str]]:
    return [(heading, request.form.get(f"section-{index}", "")) for index, heading in enumerate(headings)]


# --- an existing page ------------------------------------------------------------------------


@bp.route("/pages/<slug>/<language>/form", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def page_form_view(slug: str, language: str):
    target = _target("page", slug, language)
    original = start_text(target)
    try:
        fields = page_form.read_fields(original)
    except page_form.NotAPage:
        flash(_("This page cannot be shown in the form. Correct it in the text editor first."), "error")
        return redirect(url_for("editor.edit_page", slug=slug, language=language), 303)
    headings = [heading for heading, _text in fields.sections]
    if request.method == "GET":
        return _page_form(target, fields, preview=None)
    sections = _posted_sections(headings)
    text = page_form.apply(original, request.form.get("title", ""), request.form.get("summary", ""), sections)
    if request.form.get("action") == "save":
        if text == original:
            flash(_("Nothing was changed, so nothing was saved."), "error")
            return redirect(url_for("editor.page_form_view", slug=slug, language=language), 303)
        return _save(target, text)
    shown = page_form.PageFields(
        language, request.form.get("title", ""), request.form.get("summary", ""), tuple(sections)
    )
    return _page_form(target, shown, preview=_preview(path_of(live_content(), "page", slug, language), text))


def _page_form(target: Target, fields: page_form.PageFields, preview):
    return _render(
        "editor/page_form.html",
        name=f"{target.key}.{target.language}",
        fields=fields,
        new=None,
        themes=None,
        action=url_for("editor.page_form_view", slug=target.key, language=target.language),
        raw_url=url_for("editor.edit_page", slug=target.key, language=target.language),
        english_url=url_for("editor.new_page", slug=target.key, language="en")
        if target.language == "nl" and not _exists(target.key, "en")
        else None,
        preview=preview,
    )


# --- a new page ------------------------------------------------------------------------------

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


def _words(value: str) -> tuple[str, ...]:
    """A comma-separated list as the editor typed it."""
    return tuple(word.strip() for word in value.split(",") if word.strip())


def _new_page_problems(new: page_form.NewPage) -> list[tuple[str, str]]:
    """What stops this new page from being saved, per field (the loader checks the rest)."""
    found: list[tuple[str, str]] = []
    if not SLUG.match(new.slug) or not PAGE_NAME.match(f"{new.slug}.{new.language}.md"):
        found.append(("slug", _("Use 2 to 63 small letters, digits or _ , starting with a letter, e.g. wratten.")))
    elif _exists(new.slug, new.language):
        found.append(("slug", _("This page already exists in this language: change it with “Edit”.")))
    if new.language not in LANGUAGES:
        found.append(("language", _("Choose Dutch or English.")))
    if len(new.title.strip()) < 3:
        found.append(("title", _("Give the page a title of at least 3 letters.")))
    if not 10 <= len(new.summary.strip()) <= 300:
        found.append(("summary", _("Write a summary of 10 to 300 characters.")))
    if not new.keywords:
        found.append(("keywords", _("Give at least one word patients search with.")))
    if new.theme not in {theme.value for theme in Theme}:
        found.append(("theme", _("Choose where patients find the page.")))
    if not new.sources:
        found.append(("sources", _("Name at least one guideline the page follows.")))
    return found


def _exists(slug: str, language: str) -> bool:
    content = live_content()
    path = path_of(content, "page", slug, language)
    if path.is_file() or path in content.live.sources:
        return True
    return any(v.kind == "page" and v.key == slug and v.language == language for v in versions.open_versions(get_db()))


@bp.route("/pages/new", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def new_page():
    form = request.form if request.method == "POST" else request.args
    language = form.get("language", "nl") if form.get("language") in LANGUAGES else "nl"
    headings = page_form.headings_for(language)
    sections = [(heading, form.get(f"section-{index}", "")) for index, heading in enumerate(headings)]
    new = page_form.NewPage(
        slug=form.get("slug", "").strip(),
        language=language,
        title=form.get("title", ""),
        summary=form.get("summary", ""),
        keywords=_words(form.get("keywords", "")),
        theme=form.get("theme", ""),
        sources=_words(form.get("sources", "")),
        reviewer=signed_in_staff().name,
        sections=tuple(sections),
        related_trees=_words(form.get("related_trees", "")),
    )
    problems = _new_page_problems(new) if request.method == "POST" else []
    text = page_form.new_page(new, date.today())
    if request.method == "POST" and request.form.get("action") == "save" and not problems:
        return _save(Target("page", new.slug, new.language), text)
    preview = None
    if request.method == "POST" and not any(name == "slug" for name, _message in problems):
        preview = _preview(path_of(live_content(), "page", new.slug, new.language), text)
    fields = page_form.PageFields(language, new.title, new.summary, tuple(sections))
    return _render(
        "editor/page_form.html",
        name=None,
        fields=fields,
        new=new,
        new_problems=problems,
        values=form,
        themes=[(theme.value, THEME_LABELS[theme]) for theme in Theme],
        action=url_for("editor.new_page"),
        raw_url=None,
        preview=preview,
    ), (422 if problems and request.form.get("action") == "save" else 200)


# --- a tree's texts --------------------------------------------------------------------------


def field_label(field: tree_texts.TextField) -> str:
    """The name of a text in the editor's words: 'Answer 2', 'Answer “none of these”', 'Safety net'."""
    if field.role == "label" and field.within == "none":
        return _("Answer “none of these”")
    if field.role == "label" and field.number:
        return _("Answer %(number)d", number=field.number)
    label = ROLE_LABELS.get(field.role)
    return str(label) if label else field.role.replace("_", " ")


@bp.route("/trees/<tree_id>/texts", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def tree_texts_view(tree_id: str):
    target = _target("tree", tree_id)
    original = start_text(target)
    try:
        groups = tree_texts.text_groups(original)
    except tree_texts.NotATree:
        flash(_("This tree cannot be shown in the form. Correct it in the text editor first."), "error")
        return redirect(url_for("editor.edit_tree", tree_id=tree_id), 303)
    if request.method == "POST":
        values = {
            field.key: {lang: request.form.get(f"{field.key}|{lang}", getattr(field, lang)) for lang in LANGUAGES}
            for group in groups
            for field in group.fields
        }
        text = tree_texts.apply_texts(original, values)
        if text == original:
            flash(_("Nothing was changed, so nothing was saved."), "error")
            return redirect(url_for("editor.tree_texts_view", tree_id=tree_id), 303)
        return _save(target, text)
    draft = versions.open_draft(get_db(), "tree", tree_id, "", signed_in_staff().id)
    return _render(
        "editor/tree_texts.html",
        tree_id=tree_id,
        groups=groups,
        label=field_label,
        draft=draft,
        action=url_for("editor.tree_texts_view", tree_id=tree_id),
    )
