"""The practice manager's page for reply templates: list, write, change, remove.

Only the practice manager (and the admin) of that practice may change them;
assistants choose them in the reply form. Every change is audited.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from .. import clock
from ..contentlib import content
from ..i18n import current_locale
from ..staff.guard import audit_context, current_staff, staff_required
from ..storage import reply_templates as store
from ..storage.db import get_db
from ..storage.practices import get_practice
from ..vocabulary import TEMPLATE_ROLES
from .forms import TemplateForm
from .placeholders import PLACEHOLDERS
from .routes import bp


def _form(template: store.ReplyTemplate | None = None) -> TemplateForm:
    """The form, with the self-help pages that exist now as the link choices."""
    form = TemplateForm(obj=template) if template else TemplateForm()
    pages = sorted(content().in_language(current_locale()), key=lambda page: page.title.lower())
    form.page.choices = [("", str(_l("No link")))] + [(page.slug, page.title) for page in pages]
    if template and not form.is_submitted():
        form.page.data = template.page or ""
    return form


def _text(form: TemplateForm) -> store.TemplateText:
    return store.TemplateText(
        title=form.title.data or "",
        body_nl=form.body_nl.data or "",
        body_en=form.body_en.data or "",
        page=form.page.data or None,
    )


def _page(practice_slug: str, form: TemplateForm, template: store.ReplyTemplate | None = None):
    db = get_db()
    return (
        render_template(
            "inbox/templates.html",
            practice=get_practice(db, practice_slug),
            templates=store.for_practice(db, practice_slug),
            form=form,
            editing=template,
            placeholders=PLACEHOLDERS,
            staff=current_staff(),
        ),
        422 if form.errors else 200,
    )


def _template_or_404(practice_slug: str, template_id: int) -> store.ReplyTemplate:
    found = store.get(get_db(), practice_slug, template_id)
    if found is None:
        abort(404)
    return found


def _staff_id() -> int:
    staff = current_staff()
    assert staff is not None
    return staff.id


@bp.get("/<practice_slug>/templates")
@staff_required(*TEMPLATE_ROLES)
def templates(practice_slug: str):
    return _page(practice_slug, _form())


@bp.post("/<practice_slug>/templates")
@staff_required(*TEMPLATE_ROLES)
def create_template(practice_slug: str):
    form = _form()
    if not form.validate_on_submit():
        return _page(practice_slug, form)
    store.create(get_db(), practice_slug, _text(form), staff_id=_staff_id(), now=clock.now(), origin=audit_context())
    return redirect(url_for(".templates", practice_slug=practice_slug), 303)


@bp.get("/<practice_slug>/templates/<int:template_id>")
@staff_required(*TEMPLATE_ROLES)
def edit_template(practice_slug: str, template_id: int):
    found = _template_or_404(practice_slug, template_id)
    return _page(practice_slug, _form(found), found)


@bp.post("/<practice_slug>/templates/<int:template_id>")
@staff_required(*TEMPLATE_ROLES)
def update_template(practice_slug: str, template_id: int):
    found = _template_or_404(practice_slug, template_id)
    form = _form()
    if not form.validate_on_submit():
        return _page(practice_slug, form, found)
    store.update(get_db(), found, _text(form), staff_id=_staff_id(), now=clock.now(), origin=audit_context())
    return redirect(url_for(".templates", practice_slug=practice_slug), 303)


@bp.post("/<practice_slug>/templates/<int:template_id>/delete")
@staff_required(*TEMPLATE_ROLES)
def delete_template(practice_slug: str, template_id: int):
    found = _template_or_404(practice_slug, template_id)
    store.delete(get_db(), found, staff_id=_staff_id(), now=clock.now(), origin=audit_context())
    return redirect(url_for(".templates", practice_slug=practice_slug), 303)
