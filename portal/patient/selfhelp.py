"""Self-help pages and the social map, for patients."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from .. import clock
from ..contentlib import content, live_content
from ..i18n import current_locale
from ..pages.model import Page
from ..rulebook import live_trees
from ..storage.db import get_db
from ..storage.feedback import record_feedback
from ..storage.routing import get_run
from ..vocabulary import FeedbackReason, member
from . import bp, pagecache
from .routes import practice_or_404


@bp.get("/<practice_slug>/zelfhulp/")
def selfhelp_index(practice_slug: str):
    practice = practice_or_404(practice_slug)
    locale = current_locale()
    pages = content().in_language(locale)
    query = request.args.get("q", "").strip()[:100]
    theme = request.args.get("thema")
    results = _found_pages(query, locale) if query else None
    by_theme: dict[str, list] = {}
    for page in pages:
        by_theme.setdefault(page.theme, []).append(page)
    return render_template(
        "patient/selfhelp_index.html",
        practice=practice,
        query=query,
        results=results,
        by_theme=by_theme,
        theme=theme if theme in by_theme else None,
    )


def _found_pages(query: str, locale: str) -> list[Page]:
    """Self-help pages for a search, from the one index built when the content loaded (as the start page)."""
    hits = live_content().search_index.search(query, locale, "page")
    return [page for _kind, slug in (h.id for h in hits) if (page := content().page(slug, locale))]


@bp.get("/<practice_slug>/zelfhulp/<slug>")
def selfhelp_page(practice_slug: str, slug: str):
    practice = practice_or_404(practice_slug)
    page = content().page(slug, current_locale())
    if page is None:
        abort(404)
    run_id = request.args.get("run") if get_run(get_db(), request.args.get("run", "")) else None
    trees = tuple(live_trees()[t] for t in page.related_trees if t in live_trees())
    thanks = request.args.get("bedankt") == "1"

    def context(for_run: str | None) -> dict[str, Any]:
        return dict(practice=practice, page=page, preview=False, run_id=for_run, trees=trees, thanks=thanks, tree=None)

    # The same for every patient who opens this page (apart from the run id): from pagecache.
    key = ("selfhelp", page.slug, page.language, thanks)
    return pagecache.render("patient/selfhelp_page.html", key, context, same=(practice, page, trees), run_id=run_id)


@bp.post("/<practice_slug>/zelfhulp/<slug>/feedback")
def selfhelp_feedback(practice_slug: str, slug: str):
    practice = practice_or_404(practice_slug)
    page = content().page(slug, current_locale())
    helped = request.form.get("helped")
    reason = request.form.get("reason") or None
    if page is None or helped not in ("yes", "no") or (reason is not None and member(FeedbackReason, reason) is None):
        abort(400)
    run_id = request.form.get("run") or None
    if run_id and get_run(get_db(), run_id) is None:
        run_id = None
    record_feedback(
        get_db(),
        page=page.slug,
        language=page.language,
        run_id=run_id,
        helped=helped == "yes",
        reason=reason if helped == "no" else None,
        now=clock.now(),
    )
    return redirect(
        url_for(".selfhelp_page", practice_slug=practice.slug, slug=page.slug, bedankt=1) + "#feedback", 303
    )


@bp.get("/<practice_slug>/sociale-kaart/")
def social_map_index(practice_slug: str):
    practice = practice_or_404(practice_slug)
    municipality = content().municipality_named(practice.municipality)
    if municipality is None:
        abort(404)
    return redirect(url_for(".social_map", practice_slug=practice.slug, municipality=municipality.slug), 303)


@bp.get("/<practice_slug>/sociale-kaart/<municipality>")
def social_map(practice_slug: str, municipality: str):
    practice = practice_or_404(practice_slug)
    found = content().municipalities.get(municipality)
    if found is None:
        abort(404)
    return render_template("patient/social_map.html", practice=practice, municipality=found, tree=None)
