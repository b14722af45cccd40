"""A tree's cases in forms: list them in the patient's words, change, add and remove one, and keep a
simulator walk as a new case.

Every edit writes the tree's whole text as a draft through ``forms._save`` (the
same ``workflow.save_draft`` the texts form and raw mode use), so lint, the cases,
the classification, the validation replay and review are the ones every change
gets. A change to what a case expects is clinical logic: the tree's ``version:``
goes up by one by itself (``tree_cases.with_version_raised``), since the workflow
refuses a logic change without it. The pure work is ``portal.content.tree_cases``.

The form checks a case before it is saved — by walking its answers through the
tree — and says in words what the answers do instead, keeping what was typed.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..content import tree_cases
from ..content.tree_cases import CaseFields
from ..contentlib import live_content
from ..i18n import current_locale
from ..staff.guard import current_staff, staff_required
from ..storage import content_versions as versions
from ..storage.db import get_db
from ..triage.cases import run_cases
from ..triage.model import AGE_BANDS, SEXES, WHO_FOR, Profile, Tree
from ..vocabulary import EDITOR_ROLES
from . import workflow
from .forms import _save, start_text
from .routes import _persona_words, _render, bp
from .versions import _target
from .workflow import Target

#: A case's name: one line, as the schema asks at least 3 characters; long names do not fit the lists.
NAME_LENGTH = (3, 200)


def _start(tree_id: str) -> tuple[Target, str, Tree, list[CaseFields]] | None:
    """What every cases page starts from (the author's draft, or the live text); None when the tree
    cannot be read, which the YAML editor then shows line by line."""
    target = _target("tree", tree_id)
    text = start_text(target)
    try:
        cases = tree_cases.read_cases(text)
    except tree_cases.NotATree:
        return None
    tree = workflow.tree_from_text(target, text)
    if tree is None:
        return None
    try:
        run_cases(tree)
    except (KeyError, AssertionError):  # an answer leads to a node that does not exist: the YAML editor names it
        return None
    return target, text, tree, cases


def _not_readable(tree_id: str) -> Response:
    flash(_("This tree cannot be shown in the form. Correct it in the text editor first."), "error")
    return redirect(url_for("editor.edit_tree", tree_id=tree_id), 303)


def _save_logic(target: Target, text: str) -> Response:
    """Save the draft, with the version raised when the change (against what patients get now) is logic."""
    live, _based_on = workflow.live_text(get_db(), live_content(), target)
    raised = tree_cases.with_version_raised(text, live)
    if raised != text:
        flash(_("This changes clinical logic, so the tree's version number went up by one."), "info")
    return _save(target, raised)


# --- the list -------------------------------------------------------------------------------


@bp.get("/trees/<tree_id>/cases")
@staff_required(*EDITOR_ROLES)
def cases_view(tree_id: str):
    started = _start(tree_id)
    if started is None:
        return _not_readable(tree_id)
    target, _text, tree, cases = started
    staff = current_staff()
    assert staff is not None
    results = run_cases(tree)
    covered = {r.outcome.id for r in results if r.passed and r.outcome is not None}
    rows = [
        (number, fields, result, tree_cases.trial(tree, fields) if not result.passed else None)
        for number, (fields, result) in enumerate(zip(cases, results, strict=False), start=1)
    ]
    return _render(
        "editor/cases.html",
        tree_id=tree_id,
        subject=tree,
        rows=rows,
        uncovered=[o for o in tree.outcomes() if o.id not in covered],
        words=_words(tree),
        draft=versions.open_draft(get_db(), "tree", target.key, "", staff.id),
    )


# --- one case in a form ---------------------------------------------------------------------


def _words(tree: Tree) -> dict[str, Any]:
    """What the templates need to say a case in the patient's words."""
    locale = current_locale()
    questions = tree_cases.case_questions(tree)
    return {
        "persona": _persona_words(tree, locale),
        "questions": questions,
        "by_id": {q.id: q for q in questions},
        "outcomes": tree_cases.outcome_choices(tree),
        "outcome_by_id": {o.id: o for o in tree_cases.outcome_choices(tree)},
        "locale": locale,
    }


def _posted(form: MultiDict, tree: Tree) -> CaseFields:
    """The case as the form sent it; answers in the order a patient meets the questions."""
    answers: dict[str, str | tuple[str, ...]] = {}
    for question in tree_cases.case_questions(tree):
        values = [v for v in form.getlist(f"a_{question.id}") if v]
        if values:
            answers[question.id] = tuple(values) if question.is_checklist and values != ["none"] else values[0]
    profile = Profile(form.get("who_for") or None, form.get("age_band") or None, form.get("sex") or None)
    fields = CaseFields(
        name=" ".join(form.get("name", "").split()),
        who_for=form.get("who_for", ""),
        age_band=form.get("age_band", ""),
        sex=form.get("sex", ""),
        answers=tree_cases.in_order_asked(tree, profile, answers),
        outcome=form.get("outcome", ""),
    )
    return tree_cases.with_expectation(tree, fields)


def _problems(
    tree: Tree, fields: CaseFields, others: list[CaseFields]
) -> tuple[list[tuple[str, str]], tree_cases.Trial | None]:
    """What stops this case from being saved, per field, and what its answers do in the tree."""
    found: list[tuple[str, str]] = []
    low, high = NAME_LENGTH
    if not low <= len(fields.name) <= high:
        found.append(("name", _("Give the case a name of 3 to 200 characters that says what it checks.")))
    elif any(other.name == fields.name for other in others):
        found.append(("name", _("Another case already has this name. Give each case its own name.")))
    for name, allowed, message in (
        ("who_for", WHO_FOR, _("Choose who the triage is for.")),
        ("age_band", AGE_BANDS, _("Choose an age.")),
        ("sex", SEXES, _("Choose a sex.")),
    ):
        if getattr(fields, name) not in allowed:
            found.append((name, message))
    if fields.outcome not in {o.id for o in tree_cases.outcome_choices(tree)}:
        found.append(("outcome", _("Choose the outcome these answers must lead to.")))
    if found:
        return found, None
    trial = tree_cases.trial(tree, fields)
    if not trial.passes(fields):
        found.append(("answers", _("These answers do not lead to the outcome you chose. See below what they do.")))
    return found, trial


def _form(
    tree_id: str,
    tree: Tree,
    fields: CaseFields,
    *,
    number: int | None,
    problems: list[tuple[str, str]] | None = None,
    trial: tree_cases.Trial | None = None,
    action: str | None = None,
    status: int = 200,
):
    return _render(
        "editor/cases_form.html",
        tree_id=tree_id,
        subject=tree,
        fields=fields,
        given=dict(fields.answers),
        number=number,
        problems=problems or [],
        errors=dict(problems or []),
        trial=trial,
        words=_words(tree),
        AGE_BANDS=AGE_BANDS,
        SEXES=SEXES,
        WHO_FOR=WHO_FOR,
        action=action
        or (
            url_for("editor.case_edit", tree_id=tree_id, number=number)
            if number
            else url_for("editor.case_new", tree_id=tree_id)
        ),
    ), status


def _case_or_404(cases: list[CaseFields], number: int) -> CaseFields:
    if not 1 <= number <= len(cases):
        abort(404)
    return cases[number - 1]


@bp.route("/trees/<tree_id>/cases/<int:number>", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def case_edit(tree_id: str, number: int):
    started = _start(tree_id)
    if started is None:
        return _not_readable(tree_id)
    target, text, tree, cases = started
    current = _case_or_404(cases, number)
    if request.method == "GET":
        return _form(tree_id, tree, current, number=number)
    fields = _posted(request.form, tree)
    others = [c for i, c in enumerate(cases, start=1) if i != number]
    problems, trial = _problems(tree, fields, others)
    if problems:
        return _form(tree_id, tree, fields, number=number, problems=problems, trial=trial, status=422)
    new = tree_cases.replace_case(text, number, fields)
    if new == text:
        flash(_("Nothing was changed, so nothing was saved."), "error")
        return redirect(url_for("editor.case_edit", tree_id=tree_id, number=number), 303)
    return _save_logic(target, new)


@bp.route("/trees/<tree_id>/cases/new", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def case_new(tree_id: str):
    started = _start(tree_id)
    if started is None:
        return _not_readable(tree_id)
    target, text, tree, cases = started
    if request.method == "GET":
        empty = CaseFields("", "self", "adult_18_64", "female", (("emergency_screen", "none"),), "")
        return _form(tree_id, tree, empty, number=None)
    fields = _posted(request.form, tree)
    problems, trial = _problems(tree, fields, cases)
    if problems:
        return _form(tree_id, tree, fields, number=None, problems=problems, trial=trial, status=422)
    return _save_logic(target, tree_cases.add_case(text, fields))


@bp.route("/trees/<tree_id>/cases/<int:number>/remove", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def case_remove(tree_id: str, number: int):
    started = _start(tree_id)
    if started is None:
        return _not_readable(tree_id)
    target, text, tree, cases = started
    current = _case_or_404(cases, number)
    left = tree_cases.left_uncovered(tree, number)
    if request.method == "POST":
        if request.form.get("name") != current.name:  # the list changed since the page was shown
            flash(_("The cases changed in the meantime. Check the case again before you remove it."), "error")
            return redirect(url_for("editor.case_remove", tree_id=tree_id, number=number), 303)
        if not left:
            return _save_logic(target, tree_cases.remove_case(text, number))
        flash(_("This case cannot be removed: it is the only one that tests what is listed below."), "error")
    return _render(
        "editor/cases_remove.html",
        tree_id=tree_id,
        subject=tree,
        number=number,
        fields=current,
        left=left,
        words=_words(tree),
    ), (422 if request.method == "POST" else 200)


# --- a simulator walk as a new case -----------------------------------------------------------

ANSWER_KEY = re.compile(r"^a_([a-z0-9_]+)$")


@bp.post("/trees/<tree_id>/cases/record")
@staff_required(*EDITOR_ROLES)
def case_record(tree_id: str):
    """The walk the simulator shows (persona and answers, sent along as hidden fields) becomes a new case
    that expects the outcome the walk reached — walked again here, on the tree this editor is changing."""
    started = _start(tree_id)
    if started is None:
        return _not_readable(tree_id)
    target, text, tree, cases = started
    form = request.form
    answers: dict[str, str | list[str]] = {}
    for key in form:
        match = ANSWER_KEY.match(key)
        values = [v for v in form.getlist(key) if v]
        if match and values:
            answers[match.group(1)] = values[0] if len(values) == 1 else values
    profile = Profile(who_for=form.get("who_for") or None, age_band=form.get("age_band"), sex=form.get("sex"))
    fields, walked = tree_cases.case_from_walk(tree, " ".join(form.get("name", "").split()), profile, answers)
    if walked.reached is None:
        flash(
            _("This walk does not reach an outcome in the tree you are editing, so it cannot be kept as a case."),
            "error",
        )
        return redirect(url_for("editor.simulate", tree_id=tree_id), 303)
    problems, trial = _problems(tree, fields, cases)
    if problems:
        return _form(
            tree_id,
            tree,
            fields,
            number=None,
            problems=problems,
            trial=trial,
            action=url_for("editor.case_new", tree_id=tree_id),
            status=422,
        )
    return _save_logic(target, tree_cases.add_case(text, fields))
