"""Patient views: parse input, call the engine, store, render or redirect.

URLs carry the run id and the page id, so the browser's back button, the
"vorige vraag" link and bookmarks all work; what a page shows is computed
from the stored answers, never from a server-side "current step".
Without JavaScript every step is a form POST answered with 303; with htmx the
same POST returns just the next panel and pushes its URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import (
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_htmx import make_response as htmx_response
from werkzeug.wrappers import Response as BaseResponse

from .. import clock
from ..contentlib import content, live_content
from ..extensions import htmx
from ..hours import is_open
from ..i18n import current_locale
from ..rulebook import live_trees
from ..storage import requests as requests_store
from ..storage.db import StorageUnavailable, get_db
from ..storage.practices import Practice, get_practice, list_practices
from ..storage.requests import PracticeRequest
from ..storage.routing import Progress, Run, get_run, record_counterfactual, record_progress, start_run
from ..triage.engine import (
    EMERGENCY_PAGE_ID,
    Page,
    TriageError,
    Walk,
    answer_labels,
    progress,
    raise_reasons,
    walk,
    with_answers,
)
from ..triage.model import AnswerValue, Outcome, Tree, ticked
from ..triage.search import is_crisis, order_key
from ..vocabulary import Counterfactual, member
from . import bp, limits, ownership, pagecache, returns, validation
from .forms import answers_from, page_form, posted_answers
from .next_steps import asks_counterfactual, care_level, next_steps, outcome_heading

OUTCOME_PAGE = "uitkomst"
COMMON_TILES = 8  # a phone screen of tiles; every complaint is in the full list below


def practice_or_404(slug: str) -> Practice:
    practice = get_practice(get_db(), slug)
    if practice is None:
        abort(404)
    return practice


def tree_or_404(tree_id: str) -> Tree:
    tree = live_trees().get(tree_id)
    if tree is None:
        abort(404)
    return tree


def run_or_404(practice: Practice, tree: Tree, run_id: str) -> Run:
    run = get_run(get_db(), run_id)
    if run is None or run.practice != practice.slug or run.tree_id != tree.id:
        abort(404)
    return run


@bp.get("/")
def index():
    practices = list_practices(get_db())
    return render_template("patient/index.html", practices=practices)


@dataclass(frozen=True, eq=False)
class Complaints:
    """What the start page lists, for one version of the content and one language.

    Sorting 58 trees and finding the lexicon's body parts cost more than the rest
    of the start page; both change only when the content does, so they are made
    once per content version (``Content.version``) and language. ``eq=False``:
    two are the same only when they are one object, so a cached page made from an
    older version never matches (``pagecache``'s ``same``).
    """

    trees: tuple[Tree, ...]  # every complaint: common ones first (by number), then A-Z; not the catch-all
    common: tuple[Tree, ...]
    catch_all: Tree | None
    body_parts: tuple[Any, ...]


_COMPLAINTS: dict[str, tuple[object, Complaints]] = {}  # locale → (content version, lists)


def complaints(locale: str) -> Complaints:
    """The start page's lists for the live content in ``locale`` (made again when the content changes)."""
    live = live_content()
    version = live.version
    found = _COMPLAINTS.get(locale)
    if found is not None and found[0] is version:
        return found[1]
    everything = sorted(live.book.trees.values(), key=lambda t: order_key(t, locale))
    # The catch-all tree is not a complaint: it is the way out when none fits.
    trees = tuple(t for t in everything if not t.catch_all)
    made = Complaints(
        trees=trees,
        common=tuple(t for t in trees if t.common is not None)[:COMMON_TILES],
        catch_all=next((t for t in everything if t.catch_all), None),
        body_parts=tuple(live.lexicon.body_parts) if live.lexicon else (),
    )
    _COMPLAINTS[locale] = (version, made)
    return made


@bp.get("/<practice_slug>/")
def start(practice_slug: str):
    practice = practice_or_404(practice_slug)
    locale = current_locale()
    lists = complaints(locale)
    query = request.args.get("q", "").strip()[:100]
    results, pages = _found(query, locale) if query else (None, [])
    open_now = is_open(practice.opening_hours, clock.local())

    def context(_run: str | None = None) -> dict[str, Any]:
        return dict(
            pages=pages,
            crisis=bool(query) and is_crisis(query),
            body_parts=lists.body_parts,
            practice=practice,
            catch_all=lists.catch_all,
            common=list(lists.common),
            trees=list(lists.trees),
            query=query,
            results=results,
            open_now=open_now,
        )

    fragment = bool(htmx) and htmx.target == "results"
    template = "patient/_results.html" if fragment else "patient/start.html"
    if not query:
        # Without a search the page is the same for every patient of this practice: from pagecache.
        return pagecache.render(template, ("start", locale, open_now), context, same=(practice, lists))
    if fragment and results:
        # The results of a search as you type show only what was found (not the query): the same
        # fragment for every query that finds the same, so it is cached by what was found.
        found = (tuple(t.id for t in results), tuple((p.slug, p.language) for p in pages), is_crisis(query))
        return pagecache.render(template, ("results", locale, found), context, same=(practice, lists, *pages))
    # Nothing found (the page repeats the query), or the whole page without JavaScript (its search box
    # holds the query): rendered for this request.
    return render_template(template, **context())


SELF_HELP_RESULTS = 3  # the complaints come first; a few self-help pages below them


def _found(query: str, locale: str) -> tuple[list[Tree], list[Any]]:
    """The complaints and self-help pages for a search, from the one index built when the content loaded."""
    hits = live_content().search_index.search(query, locale)
    trees = live_trees()
    found = [trees[key] for kind, key in (h.id for h in hits) if kind == "tree" and key in trees]
    pages = [p for kind, key in (h.id for h in hits) if kind == "page" and (p := content().page(key, locale))]
    return found, pages[:SELF_HELP_RESULTS]


@bp.get("/<practice_slug>/waar/<part>")
def body_part(practice_slug: str, part: str):
    """Browse by body part, for patients who cannot name their complaint (works without JavaScript)."""
    practice = practice_or_404(practice_slug)
    lexicon = live_content().lexicon
    found = lexicon.body_part(part) if lexicon else None
    if found is None:
        abort(404)
    trees = [live_trees()[t] for t in found.tree_ids if t in live_trees()]
    everything = live_trees().values()
    catch_all = next((t for t in everything if t.catch_all), None)
    return render_template("patient/body_part.html", practice=practice, part=found, trees=trees, catch_all=catch_all)


@bp.route("/<practice_slug>/triage/<tree_id>", methods=["GET", "POST"])
def begin(practice_slug: str, tree_id: str):
    """The emergency screen. Answering it creates the (anonymous) routing record."""
    practice = practice_or_404(practice_slug)
    tree = tree_or_404(tree_id)
    first = walk(tree, {})
    page = first.step
    assert isinstance(page, Page)
    # A GET shows the same emergency screen to everyone: from pagecache, without a form.
    form = page_form(page, first.profile, current_locale(), {}) if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        answers = answers_from(form, page)
        result = walk(tree, answers)
        try:
            if not limits.triage_allowed(clock.now()):
                return _render_page(practice, tree, None, first, page, form, problem="too_many", status=429)
            run_id = start_run(
                get_db(),
                practice=practice.slug,
                tree_id=tree.id,
                tree_version=tree.version,
                prelude_version=tree.prelude.version,
                locale=current_locale(),
                progress=_progress(result, answers),
                now=clock.now(),
                validation_round=validation.current_round_id(),  # a reader's run: not in the evaluation figures
            )
        except StorageUnavailable:
            return _render_page(practice, tree, None, first, page, form, problem="unavailable", status=503)
        ownership.bind(run_id)
        returns.came_back(tree.id)  # the same complaint again: an earlier self-care triage did not hold
        return _after_answer(practice, tree, run_id, result, answers)
    return _render_page(practice, tree, None, first, page, form)


@bp.get("/<practice_slug>/triage/<tree_id>/<run_id>/")
def resume(practice_slug: str, tree_id: str, run_id: str):
    practice, tree, run, result = load_run(practice_slug, tree_id, run_id)
    return redirect(_step_url(practice, tree, run.id, result), 303)


@bp.route("/<practice_slug>/triage/<tree_id>/<run_id>/<page_id>", methods=["GET", "POST"])
def page(practice_slug: str, tree_id: str, run_id: str, page_id: str):
    practice, tree, run, result = load_run(practice_slug, tree_id, run_id)
    if page_id == OUTCOME_PAGE:
        return _outcome(practice, tree, run.id, run.answers, result, counterfactual=run.counterfactual)
    shown = _find_page(result, page_id)
    # A request can only have been sent from a finished triage: only then is it worth a query.
    frozen = (run.outcome_node is not None or result.finished) and sent_request(run.id) is not None
    if shown is None or frozen:
        # Not on the path (any more), or frozen because a request was sent: show where the patient really is.
        return redirect(_step_url(practice, tree, run.id, result), 303)
    current = {q.id: run.answers[q.id] for q in shown.questions if q.id in run.answers}
    # A valid answer is read without building the form (forms.posted_answers says when that is exact).
    values, form = posted_answers(shown, result.profile), None
    if values is None and request.method == "POST":
        form = page_form(shown, result.profile, current_locale(), current)
        if form.validate_on_submit():
            values = answers_from(form, shown)
    if values is not None:
        answers = with_answers(run.answers, shown, values)
        try:
            # The same answers again (back, then "Next" unchanged) lead where they led: no second walk.
            new_result = result if answers == run.answers else walk(tree, answers)
        except TriageError:
            abort(400)
        try:
            progress = _progress(new_result, answers)
            if not record_progress(
                get_db(), run.id, progress, current_locale(), clock.now(), limit=limits.step_limit()
            ):
                form = form if form is not None else page_form(shown, result.profile, current_locale(), current)
                return _render_page(practice, tree, run.id, result, shown, form, problem="too_many", status=429)
        except StorageUnavailable:
            form = form if form is not None else page_form(shown, result.profile, current_locale(), current)
            return _render_page(practice, tree, run.id, result, shown, form, problem="unavailable", status=503)
        return _after_answer(practice, tree, run.id, new_result, answers)
    return _render_page(practice, tree, run.id, result, shown, form, data=current)


@bp.post("/<practice_slug>/triage/<tree_id>/<run_id>/uitkomst/alternatief")
def counterfactual(practice_slug: str, tree_id: str, run_id: str):
    """ "What would you have done without this website?" — once per triage, anonymous."""
    practice, tree, run, result = load_run(practice_slug, tree_id, run_id)
    answer = member(Counterfactual, request.form.get("alternatief"))
    # No survey on a 112 or call-now page (next_steps.asks_counterfactual), not even by a crafted POST.
    if not isinstance(result.step, Outcome) or answer is None or not asks_counterfactual(result.step):
        abort(400)
    record_counterfactual(get_db(), run.id, answer)
    target = url_for(".page", practice_slug=practice.slug, tree_id=tree.id, run_id=run.id, page_id=OUTCOME_PAGE)
    return redirect(target + "#alternatief", 303)


def load_run(practice_slug: str, tree_id: str, run_id: str) -> tuple[Practice, Tree, Run, Walk]:
    """The run and its place in the tree (404 when it is not this practice's and tree's).

    When the tree changed under a running triage so that its answers no longer
    fit, the patient starts again at the emergency screen.
    """
    practice = practice_or_404(practice_slug)
    tree = tree_or_404(tree_id)
    run = run_or_404(practice, tree, run_id)
    if not ownership.owns(run.id):
        abort(_start_anew(practice, tree))  # someone else's triage: never show or change its answers
    try:
        result = walk(tree, run.answers)
    except TriageError:
        abort(_start_anew(practice, tree))
    return practice, tree, run, result


def _start_anew(practice: Practice, tree: Tree) -> BaseResponse:
    """Back to the emergency screen (built only when needed: a redirect and a URL on every step added up)."""
    return redirect(url_for(".begin", practice_slug=practice.slug, tree_id=tree.id), 303)


def sent_request(run_id: str) -> PracticeRequest | None:
    """The request sent from this triage: once there is one, its answers are frozen."""
    return requests_store.for_run(get_db(), run_id)


def _find_page(result: Walk, page_id: str) -> Page | None:
    for candidate in (*result.pages, result.step):
        if isinstance(candidate, Page) and candidate.id == page_id:
            return candidate
    return None


def _progress(result: Walk, answers: dict[str, AnswerValue]) -> Progress:
    step = result.step
    questions = len(result.asked)
    if isinstance(step, Outcome):
        return Progress(
            answers=answers,
            last_node=step.id,
            outcome_node=step.id,
            route=step.route.value,
            urgency=step.urgency.value,
            raised=result.raised,
            questions=questions,
        )
    return Progress(answers=answers, last_node=step.id, questions=questions)


def _step_url(practice: Practice, tree: Tree, run_id: str, result: Walk) -> str:
    page_id = OUTCOME_PAGE if result.finished else result.step.id
    return step_url(practice, tree, run_id, page_id)


_SEGMENT_SAFE = "!$&'()*+,/:;=@"  # what werkzeug's converters leave unquoted in a path segment
_TREE_URLS: dict[tuple[str, str, str], str] = {}


def step_url(practice: Practice, tree: Tree, run_id: str, page_id: str) -> str:
    """``url_for(".page", ...)``: the tree's URL from ``url_for`` (once per tree), with the run and page added
    as werkzeug adds them (the route is the tree's route plus ``/<run_id>/<page_id>``). Every answer
    builds this URL; through the router it cost more than the answer's walk."""
    key = (request.script_root, practice.slug, tree.id)
    base = _TREE_URLS.get(key)
    if base is None:
        if len(_TREE_URLS) > 4096:
            _TREE_URLS.clear()
        base = _TREE_URLS[key] = url_for(".begin", practice_slug=practice.slug, tree_id=tree.id)
    return f"{base}/{quote(run_id, safe=_SEGMENT_SAFE)}/{quote(page_id, safe=_SEGMENT_SAFE)}"


def _after_answer(practice: Practice, tree: Tree, run_id: str, result: Walk, answers: dict[str, AnswerValue]):
    next_url = _step_url(practice, tree, run_id, result)
    if result.finished:
        returns.after_outcome(run_id, tree.id, result.step)  # self-care: this browser remembers it 14 days
    if not htmx:
        return redirect(next_url, 303)
    if result.finished:
        body = _outcome(practice, tree, run_id, answers, result)
    else:
        step = result.step
        assert isinstance(step, Page)
        body = _render_page(practice, tree, run_id, result, step)
    return htmx_response(body, push_url=next_url)


def _previous_page(result: Walk, shown: Page) -> str | None:
    """The id of the page before ``shown``; None on the first page."""
    pages = [p for p in (*result.pages, result.step) if isinstance(p, Page)]
    index = next((i for i, p in enumerate(pages) if p.id == shown.id), 0)
    return pages[index - 1].id if index > 0 else None


def _previous_url(practice: Practice, tree: Tree, run_id: str | None, result: Walk, shown: Page) -> str:
    previous = _previous_page(result, shown)
    if previous is None or run_id is None:
        return url_for(".start", practice_slug=practice.slug)
    return url_for(".page", practice_slug=practice.slug, tree_id=tree.id, run_id=run_id, page_id=previous)


def _render_page(
    practice: Practice,
    tree: Tree,
    run_id: str | None,
    result: Walk,
    shown: Page,
    form=None,
    *,
    data: dict[str, AnswerValue] | None = None,
    problem: str | None = None,
    status: int | None = None,
):
    """The page with its form; ``problem`` ("unavailable", "too_many") explains why an answer was not saved.

    Without a submitted ``form`` or a problem the page is the same for everyone at
    this place in the tree (``data``: the answers already given on it), so it comes
    from ``pagecache``. Everything the page shows must be in the key below.
    """
    done, total = progress(tree, result)
    position = next((i for i, p in enumerate(result.pages) if p.id == shown.id), done)
    headers = {"Retry-After": "30"} if status in (429, 503) else {}

    def context(for_run: str | None) -> dict[str, Any]:
        shown_form = form
        if shown_form is None:  # a page for everyone: nothing this request sent may show in it
            shown_form = page_form(shown, result.profile, current_locale(), data or {}, from_request=False)
        if for_run is None:
            action = url_for(".begin", practice_slug=practice.slug, tree_id=tree.id)
        else:
            action = url_for(".page", practice_slug=practice.slug, tree_id=tree.id, run_id=for_run, page_id=shown.id)
        return dict(
            practice=practice,
            tree=tree,
            page=shown,
            form=shown_form,
            action=action,
            previous_url=_previous_url(practice, tree, for_run, result, shown),
            step_number=position + 1,
            step_total=max(total, position + 1),
            who_for=result.profile.who_for,
            is_emergency_screen=shown.id == EMERGENCY_PAGE_ID,
            run_id=for_run,
            problem=problem,
        )

    if form is None and problem is None:
        key = (
            tree.id,
            shown.id,
            shown.kind,
            tuple(q.id for q in shown.questions),
            result.profile,
            tuple(sorted((q, ticked(v)) for q, v in (data or {}).items())),
            position,
            total,
            _previous_page(result, shown),
        )
        html = pagecache.render("patient/page.html", key, context, same=(practice, tree), run_id=run_id)
        return html, status or 200, headers
    status = status or (422 if form is not None and form.errors else 200)
    return render_template("patient/page.html", **context(run_id)), status, headers


def _outcome(
    practice: Practice,
    tree: Tree,
    run_id: str,
    answers: dict[str, AnswerValue],
    result: Walk,
    counterfactual: str | None = None,
):
    if not result.finished:
        return redirect(_step_url(practice, tree, run_id, result), 303)
    outcome = result.step
    assert isinstance(outcome, Outcome)
    locale = current_locale()
    last_page = result.pages[-1] if result.pages else None
    library = content()
    served = [m for m in (library.municipality_named(name) for name in practice.municipalities) if m]
    chosen = request.args.get("gemeente")
    municipality = next((m for m in served if m.slug == chosen), served[0] if served else None)
    self_care_page = library.page(outcome.self_care_page, locale) if outcome.self_care_page else None
    sent = sent_request(run_id)
    open_now = is_open(practice.opening_hours, clock.local())
    return render_template(
        "patient/outcome.html",
        practice=practice,
        tree=tree,
        run_id=run_id,
        self_care_page=self_care_page,
        counterfactual=counterfactual,
        asks_counterfactual=asks_counterfactual(outcome),
        heading=outcome_heading(outcome, open_now),
        care_level=care_level(outcome),
        municipality=municipality,
        served=served,
        local_service=municipality.service(outcome.social_service) if municipality and outcome.social_service else None,
        next_steps=next_steps(
            outcome, practice, open_now, self_care_page=self_care_page is not None, request_sent=sent is not None
        ),
        outcome=outcome,
        answered=answer_labels(tree, result, answers, locale),
        raised_reasons=[r.lower() for r in raise_reasons(tree, result, locale)],
        raised_for_unknown=result.raised_for_unknown_only,
        sent=sent,
        change_url=url_for(
            ".page",
            practice_slug=practice.slug,
            tree_id=tree.id,
            run_id=run_id,
            page_id=last_page.id if last_page else EMERGENCY_PAGE_ID,
        ),
    )
