"""Rendered pages kept per worker, for the pages that many patients see alike.

A question page is the same HTML for every patient at the same place in the same
tree (same practice, language, profile, chosen answer, step) except for three
values: the run id (in the form's URL and the "previous question" link), the
CSRF token and the run proof. Rendering the layout and the form through Jinja was
the largest part of a triage step, so a page is rendered once per distinct key,
with placeholders for those three, and they are filled in for each request by
the same ``csrf_token()`` and ``run_proof()`` the templates call
(``portal.signed_tokens``).

Safety rests on the key holding everything the page shows. Callers pass it
explicitly; on top of that, a cached render cannot see ``request``, ``session``,
``g`` or flashed messages (reading them makes the page uncacheable, and it is
rendered normally), htmx is seen only through the two properties in the key,
and whatever context processors add (the locale) joins the key. Values that are
not hashable, such as the practice, are compared for equality on every hit.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, NoReturn, cast

from flask import Flask, current_app, render_template, request
from jinja2 import FileSystemLoader

from .. import compression
from ..extensions import htmx

# Letters and digits only, so URL quoting and HTML escaping leave them as they are.
RUN_ID = "run0id0placeholder0q7x3k9"
CSRF_TOKEN = "csrf0placeholder0q7x3k9"
RUN_PROOF = "proof0placeholder0q7x3k9"
_PLACEHOLDERS = re.compile(f"({RUN_ID}|{CSRF_TOKEN}|{RUN_PROOF})")
SIZE = 512  # pages per worker: a few MiB
EXTENSION = "voordeur_page_cache"
_STAMP_SECONDS = 1.0  # with template auto-reload (development): how often to look for edited templates


class NotCacheable(Exception):
    """The template read something the cache key does not hold."""


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    raise NotCacheable("the page reads per-request state")


class _Untouchable:
    """Stands in for ``request``, ``session`` and ``g`` while a page is rendered for the cache."""

    def __getattr__(self, name: str) -> NoReturn:
        raise NotCacheable(name)

    __getitem__ = __call__ = __iter__ = __contains__ = __bool__ = __str__ = __len__ = _refuse


class _Htmx:
    """What a cached page may know of htmx: whether this is an htmx request, and a history restore."""

    def __init__(self, active: bool, history_restore_request: bool) -> None:
        self.active = active
        self.history_restore_request = history_restore_request

    def __bool__(self) -> bool:
        return self.active

    def __getattr__(self, name: str) -> NoReturn:
        raise NotCacheable(f"htmx.{name}")


def _run_proof_placeholder(run_id: str, secret_key: str | None = None) -> str:
    if run_id != RUN_ID or secret_key is not None:
        raise NotCacheable("a run proof for another run")
    return RUN_PROOF


def _csrf_placeholder(*args: object, **kwargs: object) -> str:
    if args or kwargs:
        raise NotCacheable("a CSRF token with other settings")
    return CSRF_TOKEN


class Cached:
    """A rendered page: its HTML, its serial number (never reused), and the HTML cut at the placeholders.

    ``parts`` alternates text and placeholders (text, placeholder, text, …), so a
    request's values are put in by one join instead of a search through the whole
    page for each placeholder.
    """

    __slots__ = ("html", "parts", "serial")

    def __init__(self, html: str, serial: int) -> None:
        self.html = html
        self.serial = serial
        self.parts = tuple(_PLACEHOLDERS.split(html))


class PageCache:
    """A small LRU of rendered pages, per app and worker. Each page gets a serial number, never reused."""

    def __init__(self) -> None:
        self.pages: OrderedDict[Hashable, tuple[tuple[Any, ...], Cached]] = OrderedDict()
        self.uncacheable: set[Hashable] = set()
        self.stamp: tuple[float, int] = (float("-inf"), 0)
        self.serials = itertools.count()
        self.lock = threading.Lock()  # gunicorn's sync workers need none; a threaded development server does

    def get(self, key: Hashable, same: tuple[Any, ...]) -> Cached | None:
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or entry[0] != same:
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def refuse(self, key: Hashable) -> None:
        """Remember a page that cannot be cached (bounded, like the pages)."""
        with self.lock:
            if len(self.uncacheable) >= SIZE:
                self.uncacheable.clear()
            self.uncacheable.add(key)

    def put(self, key: Hashable, same: tuple[Any, ...], html: str) -> Cached:
        with self.lock:
            cached = Cached(html, next(self.serials))
            self.pages[key] = (same, cached)
            self.pages.move_to_end(key)
            while len(self.pages) > SIZE:
                self.pages.popitem(last=False)
        return cached


def _cache(app: Flask) -> PageCache:
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions[EXTENSION] = PageCache()
    return cache


def _templates_stamp(app: Flask, cache: PageCache) -> int:
    """With auto-reload, the newest template's mtime (looked up at most once a second); else 0."""
    if not app.jinja_env.auto_reload:
        return 0
    checked, stamp = cache.stamp
    if time.monotonic() - checked < _STAMP_SECONDS:
        return stamp
    loader = app.jinja_loader
    folders = loader.searchpath if isinstance(loader, FileSystemLoader) else []
    stamp = max((p.stat().st_mtime_ns for f in folders for p in Path(f).rglob("*") if p.is_file()), default=0)
    cache.stamp = (time.monotonic(), stamp)
    return stamp


def _processor_values(explicit: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What the context processors add to the page (the locale): part of the key.

    (A processor's value for a name the view also passes is shadowed by the
    view's; it joins the key all the same, which costs nothing but a miss.)"""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    added: dict[str, Any] = {}
    # What Flask's update_template_context does, without copying the context twice.
    for blueprint in (None, *reversed(request.blueprints)):
        for processor in app.template_context_processors.get(blueprint, ()):
            added.update(app.ensure_sync(processor)())
    return tuple(sorted((name, value) for name, value in added.items() if name not in explicit))


def render(
    template: str,
    key: Hashable,
    build: Callable[[str | None], Mapping[str, Any]],
    *,
    same: tuple[Any, ...] = (),
    run_id: str | None = None,
) -> str:
    """``render_template(template, **build(run_id))``, from the cache when the same page was rendered before.

    ``key`` (hashable) and ``same`` (compared with ``==``) must together hold
    everything the page shows except the run id: ``build`` makes the context for
    a run id (it is given ``RUN_ID`` for a render to cache, and must use it in the
    context and in URLs), and is called only when the page is not cached. Template
    name, endpoint, script root, host, htmx and the context processors' values are
    added to the key here.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PAGE_CACHE", True):  # off: every page rendered anew (tests compare the two)
        return render_template(template, **build(run_id))
    cache = _cache(app)
    active = bool(htmx)
    overrides = {
        "request": _Untouchable(),
        "session": _Untouchable(),
        "g": _Untouchable(),
        "get_flashed_messages": _refuse,
        "htmx": _Htmx(active, active and htmx.history_restore_request),
        "csrf_token": _csrf_placeholder,
        "run_proof": _run_proof_placeholder,
    }
    try:
        full_key = (
            template,
            key,
            run_id is None,
            request.endpoint,
            request.script_root,
            request.host,
            active,
            active and htmx.history_restore_request,
            _processor_values(overrides),
            _templates_stamp(app, cache),
        )
        hash(full_key)
    except TypeError:  # something unhashable in the key: render as usual
        return render_template(template, **build(run_id))
    found = cache.get(full_key, same)
    if found is None:
        if full_key in cache.uncacheable:
            return render_template(template, **build(run_id))
        try:
            html = render_template(template, **{**build(None if run_id is None else RUN_ID), **overrides})
        except NotCacheable:
            cache.refuse(full_key)
            return render_template(template, **build(run_id))
        found = cache.put(full_key, same, html)
    if len(found.parts) == 1:
        if run_id is None:
            # Nothing of this request in it: its compressed form may be reused as well.
            compression.same_body_as(f"page:{found.serial}")
        return found.html
    return _fill(found.parts, run_id)


def _fill(parts: tuple[str, ...], run_id: str | None) -> str:
    """Put this request's CSRF token, run proof and run id in place of the placeholders
    (``parts``: text and placeholders, alternating, as ``Cached`` cuts a page)."""
    made = current_app.jinja_env.globals
    values: dict[str, str] = {}
    if CSRF_TOKEN in parts:
        values[CSRF_TOKEN] = cast(Callable[[], str], made["csrf_token"])()
    if run_id is not None:
        if RUN_PROOF in parts:
            values[RUN_PROOF] = cast(Callable[[str], str], made["run_proof"])(run_id)
        values[RUN_ID] = run_id
    filled = list(parts)
    for index in range(1, len(filled), 2):
        filled[index] = values.get(filled[index], filled[index])
    return "".join(filled)
