"""Workbench views for content editors (role editor, and admin).

Files in the repository are the source of truth; this blueprint reads them
from disk, so an editor sees the version they just saved — and why the portal
refused it, if it did — while patients keep getting the last good version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

from ..contentlib import content
from ..lint import lint_all
from ..pages.loader import read_page
from ..rulebook import rules
from ..staff.guard import current_staff, staff_required
from ..triage.cases import case_answers, run_cases
from ..triage.diagram import svg
from ..triage.engine import TriageError, answer_labels, walk
from ..triage.loader import build_tree, read_file
from ..triage.model import AGE_BANDS, SEXES, WHO_FOR, AnswerValue, Outcome, Profile, Tree, ticked
from ..triage.problems import errors
from ..vocabulary import EDITOR_ROLES

bp = Blueprint("editor", __name__, url_prefix="/staff/editor")


def _dirs() -> tuple[Path, Path]:
    settings = current_app.config["VOORDEUR"]
    return Path(settings["RULES_DIR"]), Path(settings["CONTENT_DIR"])


def _render(template: str, **context):
    return render_template(template, staff=current_staff(), practice=None, tree=None, **context)


@bp.get("/")
@staff_required(*EDITOR_ROLES)
def overview():
    book = rules()
    library = content()
    today = date.today()
    tree_rows = []
    for path in sorted(set(book.problems) | {t.path for t in book.trees.values()}):
        live = next((t for t in book.trees.values() if t.path == path), None)
        found = book.problems.get(path, [])
        tree_rows.append((path, live, errors(found), [p for p in found if not p.is_error]))
    page_rows = []
    for path in sorted(library.problems):
        if path.suffix != ".md":
            continue
        live = next((p for p in library.pages.values() if p.path == path), None)
        found = library.problems[path]
        page_rows.append((path, live, errors(found), [p for p in found if not p.is_error]))
    map_rows = [
        (path, next((m for m in library.municipalities.values() if m.path == path), None), errors(found))
        for path, found in sorted(library.problems.items())
        if path.suffix == ".yaml"
    ]
    return _render("editor/overview.html", tree_rows=tree_rows, page_rows=page_rows, map_rows=map_rows, today=today)


@bp.get("/lint")
@staff_required(*EDITOR_ROLES)
def lint_report():
    rules_dir, content_dir = _dirs()
    problems = lint_all([rules_dir, content_dir], date.today(), rules_dir=rules_dir, content_dir=content_dir)
    return _render("editor/lint.html", problems=problems, base=rules_dir.parent)


@bp.get("/pages/<slug>/<language>")
@staff_required(*EDITOR_ROLES)
def preview_page(slug: str, language: str):
    _rules, content_dir = _dirs()
    path = content_dir / "pages" / f"{slug}.{language}.md"
    if language not in ("nl", "en") or not path.is_file():
        abort(404)
    page, problems, _links = read_page(path, date.today())
    return _render("editor/preview.html", page=page, problems=problems, path=path, preview=True, run_id=None)


def _disk_tree(tree_id: str) -> tuple[Tree | None, list]:
    """The tree as saved on disk (it may not be live yet), or why it cannot be built."""
    book = rules()
    path = next((t.path for t in book.trees.values() if t.id == tree_id), None)
    path = path or next((p for p in book.problems if p.stem == tree_id), None)
    if path is None or book.prelude is None:
        abort(404)
    data, problems = read_file(path)
    if data is None:
        return None, problems
    return build_tree(path, data, book.prelude), problems


@bp.get("/trees/<tree_id>/diagram")
@staff_required(*EDITOR_ROLES)
def diagram(tree_id: str):
    tree, problems = _disk_tree(tree_id)
    return _render(
        "editor/diagram.html",
        subject=tree,
        problems=problems,
        drawing=svg(tree) if tree else None,
        tree_id=tree_id,
    )


@bp.get("/trees/<tree_id>/simulate")
@staff_required(*EDITOR_ROLES)
def simulate(tree_id: str):
    tree, problems = _disk_tree(tree_id)
    if tree is None:
        return _render("editor/simulate.html", subject=None, problems=problems, tree_id=tree_id)
    persona = Profile(
        who_for=_choice(request.args.get("who_for"), WHO_FOR),
        age_band=_choice(request.args.get("age_band"), AGE_BANDS),
        sex=_choice(request.args.get("sex"), SEXES),
    )
    # A checklist sends one a_<id> per ticked box: several values become a list.
    answers: dict[str, str | list[str]] = {}
    for key in request.args:
        values = [v for v in request.args.getlist(key) if v]
        if key.startswith("a_") and values:
            answers[key[2:]] = values[0] if len(values) == 1 else values
    context = dict(
        subject=tree,
        problems=problems,
        tree_id=tree_id,
        persona=persona,
        answers=answers,
        AGE_BANDS=AGE_BANDS,
        SEXES=SEXES,
        WHO_FOR=WHO_FOR,
        step=None,
        path=[],
        covering=[],
        error=None,
    )
    results = run_cases(tree)
    covered = {r.outcome.id for r in results if r.passed and r.outcome}
    context["uncovered"] = [o for o in tree.outcomes() if o.id not in covered]
    if persona.who_for and persona.age_band and persona.sex:
        try:
            result = walk(tree, answers, persona)
        except TriageError as exc:
            context["error"] = str(exc)
        else:
            context["step"] = result.step
            context["path"] = answer_labels(tree, result, answers, "nl")
            if isinstance(result.step, Outcome):
                context["covering"] = [
                    r.case
                    for r in results
                    if r.passed
                    and r.outcome
                    and r.outcome.id == result.step.id
                    and r.case.profile.age_band == persona.age_band
                    and _same_path(case_answers(tree, r.case.answers), answers)
                ]
    return _render("editor/simulate.html", **context)


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _same_path(case_answers: Mapping[str, AnswerValue], answers: Mapping[str, AnswerValue]) -> bool:
    """A case covers this path when it gives the same answers to the same questions (a checklist's ticks as a set)."""
    given = {k: frozenset(ticked(v)) for k, v in answers.items()}
    return {k: frozenset(ticked(v)) for k, v in case_answers.items() if k not in Profile.__annotations__} == given
