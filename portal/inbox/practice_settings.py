"""The practice manager's page for the practice's settings: name, phones, opening hours, e-consult cap,
municipalities — what ``voordeur practices import`` sets from a TOML file, now without the command line.

Only the practice manager (and the admin) of that practice may change them. A
save is audited with the names of the changed settings, and patients see it on
their next page (the practice is read again once the database changed).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import clock
from ..contentlib import content
from ..staff.guard import audit_context, current_staff, staff_required
from ..storage.db import get_db
from ..storage.practices import Practice, get_practice, update_practice
from ..vocabulary import PRACTICE_ROLES
from .practice_form import PracticeForm
from .routes import bp


def _practice_or_404(practice_slug: str) -> Practice:
    """The practice; one that is in a staff member's list but no longer in the database is 'not found'."""
    found = get_practice(get_db(), practice_slug)
    if found is None:
        abort(404)
    return found


def _page(practice: Practice, form: PracticeForm):
    """The form, with whether each of the practice's municipalities has a social map (patients see it)."""
    library = content()
    return (
        render_template(
            "inbox/practice.html",
            practice=practice,
            form=form,
            social_maps={name: library.municipality_named(name) for name in practice.municipalities},
            staff=current_staff(),
        ),
        422 if form.errors else 200,
    )


@bp.get("/<practice_slug>/practice")
@staff_required(*PRACTICE_ROLES)
def practice_settings(practice_slug: str):
    practice = _practice_or_404(practice_slug)
    form = PracticeForm()
    form.fill(practice)
    return _page(practice, form)


@bp.post("/<practice_slug>/practice")
@staff_required(*PRACTICE_ROLES)
def save_practice_settings(practice_slug: str):
    saved = _practice_or_404(practice_slug)
    form = PracticeForm()
    if not form.validate_on_submit():
        return _page(saved, form)
    staff = current_staff()
    assert staff is not None
    changed = update_practice(
        get_db(), saved, form.practice(saved), staff_id=staff.id, now=clock.now(), origin=audit_context()
    )
    flash(_("The settings are saved. Patients see them at once.") if changed else _("Nothing was changed."))
    return redirect(url_for(".practice_settings", practice_slug=practice_slug), 303)
