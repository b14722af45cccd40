"""The prelude and the search lexicon in the browser, under the change control of trees.

Both are files every tree shares (``triage_rules/_prelude.yaml``,
``triage_rules/_lexicon.yaml``). A change is a draft that the portal checks
(``portal.editor.shared_checks``: a prelude draft reloads every tree and runs
every case), is classified (``portal.content.shared_files``: every prelude change
is clinical logic; a lexicon change is wording unless it can take a complaint
away from a word), is submitted, reviewed by a second person, and published — the
same steps, pages and audit rows as a tree (``portal.editor.versions``).

Raw YAML for both; for the lexicon also a form: per complaint, tick terms to
remove and type new ones.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import clock
from ..content import shared_files
from ..content.shared_files import NotEditable
from ..contentlib import live_content
from ..staff.guard import audit_context, signed_in_staff, staff_required
from ..storage import content_versions as versions
from ..storage.content_versions import ContentVersion
from ..storage.db import get_db
from ..triage.search import normalise
from ..vocabulary import EDITOR_ROLES, REVIEW_ROLES
from . import workflow
from .forms import start_with_draft
from .routes import _render, bp
from .workflow import Target

#: The shared files edited here, by the name in their URL.
FILES = {"prelude": Target("prelude", "prelude"), "lexicon": Target("lexicon", "lexicon")}
LANGUAGES = ("nl", "en")
#: A term is a word or a short phrase as a patient types it.
TERM_LENGTH = 80


def _file_or_404(name: str) -> Target:
    target = FILES.get(name)
    if target is None or workflow.live_text(get_db(), live_content(), target)[0] is None:
        abort(404)
    return target


@bp.app_template_global()
def content_links(version: ContentVersion) -> dict[str, str | None]:
    """The history, raw editor, form editor and preview of the file a version belongs to (for the change page)."""
    if version.kind in FILES:
        form = url_for("editor.lexicon_terms") if version.kind == "lexicon" else None
        return {
            "history": url_for("editor.shared_history", name=version.kind),
            "edit": url_for("editor.edit_shared", name=version.kind),
            "form": form,
            "preview": None,
        }
    if version.kind == "social_map":
        url = url_for("editor.social_map_history", slug=version.key)
        return {"history": url, "edit": None, "form": None, "preview": None}
    if version.kind == "tree":
        return {
            "history": url_for("editor.tree_history", tree_id=version.key),
            "edit": url_for("editor.edit_tree", tree_id=version.key),
            "form": url_for("editor.tree_texts_view", tree_id=version.key),
            "preview": url_for("editor.preview_change", version_id=version.id),
        }
    return {
        "history": url_for("editor.page_history", slug=version.key, language=version.language),
        "edit": url_for("editor.edit_page", slug=version.key, language=version.language),
        "form": url_for("editor.page_form_view", slug=version.key, language=version.language),
        "preview": url_for("editor.preview_change", version_id=version.id),
    }


# --- raw YAML ------------------------------------------------------------------------------


@bp.get("/shared/<name>/edit")
@staff_required(*EDITOR_ROLES)
def edit_shared(name: str):
    target = _file_or_404(name)
    text, draft = start_with_draft(target)
    return _raw_page(target, text, draft)


def _raw_page(target: Target, text: str, draft: ContentVersion | None, status: int = 200):
    return _render("editor/shared_edit.html", target=target, text=text, draft=draft), status


@bp.post("/shared/<name>/edit")
@staff_required(*EDITOR_ROLES)
def save_shared(name: str):
    target = _file_or_404(name)
    text = request.form.get("source", "")
    if not text.strip():
        flash(_("The text is empty. Nothing was saved."), "error")
        return _raw_page(target, text, start_with_draft(target)[1], 422)
    return _save(target, text)


def _save(target: Target, text: str) -> Response:
    draft_id, _check = workflow.save_draft(
        get_db(), live_content(), signed_in_staff(), target, text, clock.now(), audit_context()
    )
    flash(_("Draft saved."), "success")
    return redirect(url_for("editor.change", version_id=draft_id), 303)


@bp.get("/shared/<name>/history")
@staff_required(*REVIEW_ROLES)
def shared_history(name: str):
    target = _file_or_404(name)
    found = versions.history(get_db(), target.kind, target.key)
    ids = {i for v in found for i in (v.author_id, v.reviewer_id) if i}
    return _render(
        "editor/history.html",
        target=target,
        name=f"_{target.kind}.yaml",
        items=found,
        names=versions.staff_names(get_db(), ids),
        edit_url=url_for("editor.edit_shared", name=name),
    )


# --- the lexicon form ------------------------------------------------------------------------


def _tree_ids() -> list[str]:
    """The complaints a term may lead to: every live tree."""
    return sorted(live_content().book.trees)


@bp.get("/shared/lexicon/terms")
@staff_required(*EDITOR_ROLES)
def lexicon_terms():
    """Every complaint with how many words lead to it (from the editor's draft when they have one)."""
    target = _file_or_404("lexicon")
    text, draft = start_with_draft(target)
    try:
        rows = shared_files.lexicon_terms(text)
    except NotEditable:
        flash(_("The lexicon cannot be read as a form; edit it as YAML."), "error")
        return redirect(url_for("editor.edit_shared", name="lexicon"), 303)
    counts = {tree_id: {"nl": 0, "en": 0} for tree_id in _tree_ids()}
    for tree_id, language, terms in rows:
        counts.setdefault(tree_id, {"nl": 0, "en": 0})[language] = len(terms)
    titles = {tree_id: tree.title for tree_id, tree in live_content().book.trees.items()}
    return _render("editor/lexicon_terms.html", counts=counts, titles=titles, draft=draft)


@bp.route("/shared/lexicon/terms/<tree_id>", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def lexicon_tree(tree_id: str):
    """One complaint's words: tick to remove, type new ones (one per line) to add. Saving makes the draft."""
    target = _file_or_404("lexicon")
    text, draft = start_with_draft(target)
    try:
        rows = {(t, lang): terms for t, lang, terms in shared_files.lexicon_terms(text)}
    except NotEditable:
        abort(404)
    if tree_id not in live_content().book.trees and not any(t == tree_id for t, _lang in rows):
        abort(404)
    terms = {language: rows.get((tree_id, language), ()) for language in LANGUAGES}
    typed = {language: request.form.get(f"add_{language}", "") for language in LANGUAGES}
    removed = set(request.form.getlist("remove"))
    errors: list[str] = []
    if request.method == "POST":
        added = {language: _lines(typed[language]) for language in LANGUAGES}
        errors = _term_problems(rows, tree_id, added, removed)
        if not errors:
            try:
                taken = [(language, term) for language, _sep, term in (c.partition(":") for c in sorted(removed))]
                new = shared_files.change_terms(text, tree_id, taken, added)
            except NotEditable:
                errors = [_("The lexicon cannot be read as a form; edit it as YAML.")]
            else:
                if new == text:
                    errors = [_("Nothing was changed: tick a word to remove it, or type a new word.")]
                else:
                    return _save(target, new)
    tree = live_content().book.trees.get(tree_id)
    return _render(
        "editor/lexicon_tree.html",
        tree_id=tree_id,
        complaint=tree,
        terms=terms,
        typed=typed,
        removed=removed,
        errors=errors,
        draft=draft,
    ), (422 if errors else 200)


def _already(term: str, other: str) -> str:
    return _(
        "“%(term)s” already leads to “%(other)s”. Remove it there first, or ask an editor to list it as shared "
        "in the YAML.",
        term=term,
        other=other,
    )


def _too_long(term: str) -> str:
    return _(
        "“%(term)s” is too long: a search word has at most %(num)d characters.", term=term[:40] + "…", num=TERM_LENGTH
    )


def _lines(text: str) -> list[str]:
    """The words typed, one per line, without empty lines and doubles."""
    found: list[str] = []
    for line in text.splitlines():
        word = " ".join(line.split())
        if word and word not in found:
            found.append(word)
    return found


def _term_problems(
    rows: dict[tuple[str, str], tuple[str, ...]], tree_id: str, added: dict[str, list[str]], removed: set[str]
) -> list[str]:
    """Why the typed words cannot be added, in words: too long, or already leading to another complaint."""
    elsewhere = {" ".join(normalise(term).split()): other for (other, _lang), terms in rows.items() for term in terms}
    problems: list[str] = []
    for words in added.values():
        for term in words:
            if len(term) > TERM_LENGTH:
                problems.append(_too_long(term))
            other = elsewhere.get(" ".join(normalise(term).split()))
            if other and other != tree_id:
                problems.append(_already(term, other))
    return problems
