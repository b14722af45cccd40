"""Workbench views for content editors (role editor, and admin; clinical reviewers read).

The workbench shows what patients get and why a version was refused. A tree or
page published in the browser is read from the database (``portal.contentlib``);
one without is read from its file, so an editor working on disk sees the version
they just saved. Changing content in the browser — drafts, review, history — is
``portal.editor.versions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for

from ..content.files import reading_instead
from ..contentlib import content, live_content
from ..i18n import current_locale
from ..pages.loader import read_page
from ..rulebook import rules
from ..staff.guard import current_staff, staff_required
from ..storage import content_versions
from ..storage.db import get_db
from ..triage.cases import case_answers, run_cases
from ..triage.diagram import svg
from ..triage.engine import TriageError, Walk, answer_labels, walk
from ..triage.loader import build_tree, read_file
from ..triage.model import AGE_BANDS, SEXES, WHO_FOR, AnswerValue, Outcome, Profile, Tree, ticked
from ..triage.problems import errors
from ..vocabulary import REVIEW_ROLES
from .workflow import recheck

bp = Blueprint("editor", __name__, url_prefix="/staff/editor")


def _dirs() -> tuple[Path, Path]:
    settings = current_app.config["VOORDEUR"]
    return Path(settings["RULES_DIR"]), Path(settings["CONTENT_DIR"])


def _render(template: str, **context):
    return render_template(template, staff=current_staff(), practice=None, tree=None, **context)


def _by_path(items: Iterable[Any]) -> dict[Path, Any]:
    """Live trees, pages or social maps by their file (the first one, as a search through them would find)."""
    found: dict[Path, Any] = {}
    for item in items:
        found.setdefault(item.path, item)
    return found


@bp.get("/")
@staff_required(*REVIEW_ROLES)
def overview():
    book = rules()
    library = content()
    today = date.today()
    # Each of these properties builds its dict anew from the live snapshot: read them once per page
    # (one snapshot for the whole page), not once per row (~350 trees and pages).
    tree_problems, page_problems = book.problems, library.problems
    trees = _by_path(book.trees.values())
    pages = _by_path(library.pages.values())
    maps = _by_path(library.municipalities.values())
    tree_rows = []
    for path in sorted(set(tree_problems) | set(trees)):
        found = tree_problems.get(path, [])
        tree_rows.append((path, trees.get(path), errors(found), [p for p in found if not p.is_error]))
    page_rows = []
    for path in sorted(page_problems):
        if path.suffix != ".md":
            continue
        found = page_problems[path]
        page_rows.append((path, pages.get(path), errors(found), [p for p in found if not p.is_error]))
    map_rows = [
        (path, maps.get(path), errors(found)) for path, found in sorted(page_problems.items()) if path.suffix == ".yaml"
    ]
    waiting = len(content_versions.open_versions(get_db(), content_versions.SUBMITTED))
    return _render(
        "editor/overview.html",
        tree_rows=tree_rows,
        page_rows=page_rows,
        map_rows=map_rows,
        today=today,
        waiting=waiting,
    )


@bp.get("/lint")
@staff_required(*REVIEW_ROLES)
def lint_report():
    """The checks on what patients get: the published versions, which live in the database (ADR 0006),
    and the files that have none yet. A broken file on disk that patients never get is not a live
    problem here (``voordeur lint`` checks the files). Open drafts and changes waiting for review
    follow, each checked against what is live now, as their change page does."""
    live = live_content()
    snapshot = live.live.current
    problems = sorted({problem for found in snapshot.problems.values() for problem in found})
    db = get_db()
    drafts = [(version, recheck(db, live, version, date.today())) for version in content_versions.open_versions(db)]
    return _render("editor/lint.html", problems=problems, published=set(snapshot.sources), drafts=drafts)


@bp.get("/pages/<slug>/<language>")
@staff_required(*REVIEW_ROLES)
def preview_page(slug: str, language: str):
    _rules, content_dir = _dirs()
    path = content_dir / "pages" / f"{slug}.{language}.md"
    source = live_content().live.sources.get(path)  # published in the browser: the database's text
    if language not in ("nl", "en") or not (source or path.is_file()):
        abort(404)
    with reading_instead({path: source.text.encode("utf-8")} if source else {}):
        page, problems, _links = read_page(path, date.today())
    return _render("editor/preview.html", page=page, problems=problems, path=path, preview=True, run_id=None)


def _disk_tree(tree_id: str) -> tuple[Tree | None, list]:
    """The tree as saved on disk (it may not be live yet), or why it cannot be built."""
    book = rules()
    path = next((t.path for t in book.trees.values() if t.id == tree_id), None)
    path = path or next((p for p in book.problems if p.stem == tree_id), None)
    if path is None or book.prelude is None:
        abort(404)
    source = live_content().live.sources.get(path)  # published in the browser: the database's text
    with reading_instead({path: source.text.encode("utf-8")} if source else {}):
        data, problems = read_file(path)
    if data is None:
        return None, problems
    return build_tree(path, data, book.prelude), problems


@bp.get("/trees/<tree_id>/diagram")
@staff_required(*REVIEW_ROLES)
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
@staff_required(*REVIEW_ROLES)
def simulate(tree_id: str):
    tree, problems = _disk_tree(tree_id)
    return simulate_tree(tree, problems, tree_id, url_for("editor.simulate", tree_id=tree_id))


def simulate_tree(tree: Tree | None, problems: list, tree_id: str, restart_url: str):
    """The simulator on ``tree`` (the live one, or an editor's draft), walking the persona and answers in the URL."""
    if tree is None:
        return _render(
            "editor/simulate.html", subject=None, problems=problems, tree_id=tree_id, restart_url=restart_url
        )
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
        persona_words=_persona_words(tree, current_locale()),
        back_url=None,
        answers=answers,
        AGE_BANDS=AGE_BANDS,
        SEXES=SEXES,
        WHO_FOR=WHO_FOR,
        step=None,
        path=[],
        covering=[],
        error=None,
        restart_url=restart_url,
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
            context["back_url"] = _back_url(restart_url, persona, answers, result)
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


def _persona_words(tree: Tree, locale: str) -> dict[str, dict[str, str]]:
    """The persona's choices as the prelude asks them ('Jonger dan 3 maanden'), not their codes."""
    words: dict[str, dict[str, str]] = {}
    for name in ("who_for", "age_band", "sex"):
        node = tree.prelude.nodes.get(name)
        answers = getattr(node, "answers", ())
        words[name] = {answer.value: answer.label.get(locale) for answer in answers}
    return words


def _back_url(restart_url: str, persona: Profile, answers: Mapping[str, AnswerValue], result: Walk) -> str:
    """The simulator one step back: the same walk without the answers of the last page answered
    (or without the persona, on the first question)."""
    answered = [page for page in result.pages if any(q.id in answers for q in page.questions)]
    last = {q.id for q in answered[-1].questions} if answered else set()
    pairs: list[tuple[str, str]] = []
    if answered:
        pairs += [(name, getattr(persona, name)) for name in ("who_for", "age_band", "sex")]
    for question_id, value in answers.items():
        if question_id not in last:
            pairs += [(f"a_{question_id}", one) for one in ticked(value)]
    return restart_url + ("?" + urlencode(pairs) if pairs else "")


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _same_path(case_answers: Mapping[str, AnswerValue], answers: Mapping[str, AnswerValue]) -> bool:
    """A case covers this path when it gives the same answers to the same questions (a checklist's ticks as a set)."""
    given = {k: frozenset(ticked(v)) for k, v in answers.items()}
    return {k: frozenset(ticked(v)) for k, v in case_answers.items() if k not in Profile.__annotations__} == given


from . import versions as _versions  # noqa: E402,F401  (registers the change-control views on ``bp``)

# isort: split
# (versions first: the modules below import from forms, which versions loads)
from . import shared_files as _shared_files  # noqa: E402,F401  (the prelude and the lexicon in the browser)
from . import social_map as _social_map  # noqa: E402,F401  (the social map per municipality in the browser)
from . import structure as _structure  # noqa: E402,F401  (guided forms for a tree's structure)
