"""A served worker made ready before its first request (``voordeur serve``; ``bench/evaluation.py``
does the same to its app, so it measures what a worker does).

Two costs otherwise land on whichever request comes first or happens to be unlucky:

- Compiling a template. The evaluation dashboard with its macros and base pages takes 100–200 ms
  to compile; without this, the first request to each page after a worker starts pays for it.
  All of them (83 in December 2026) take ~1.9 s of CPU to compile, so `voordeur serve` compiles
  them once in the gunicorn master (``compile_templates``) and every worker forked from it, at the
  start and at each restart, loads that bytecode (~0.06 s) instead of compiling again (``COMPILED``).
- Loading each language's data. Babel reads a locale's dates and numbers from disk on first use,
  the translation catalogue is read on first use, and the evaluation dashboard builds its table of
  percentages per language: together some 50–60 ms that the first dashboard after a start paid.
- A full run of Python's cyclic garbage collector. It walks every object alive: the app, its
  trees and its compiled templates, some 140,000 objects (130 ms on the benchmark machine), and a
  request that builds many rows (the dashboard) sets one off every few requests. Frozen after
  start-up, those objects are skipped by the collector. They are still freed by reference
  counting when the app drops them (new content replacing old); only a reference cycle among
  them would stay until the worker ends.
"""

from __future__ import annotations

import gc
from contextlib import suppress
from datetime import date

from babel.dates import format_date
from flask import Flask
from flask_babel import get_translations
from jinja2 import BytecodeCache, TemplateError
from jinja2.bccache import Bucket

from .evaluation.numbers import number_in, percent_in
from .triage.model import LOCALES


class CompiledTemplates(BytecodeCache):
    """Compiled templates (Jinja bytecode) kept in this process's memory, by template name and file.

    Jinja hands bytecode back only when the checksum of the template's source matches the one it
    was compiled from, so a template changed on disk is compiled again, never served stale. A
    worker forked from the process that filled it inherits it.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


#: This process's compiled templates; filled in the `voordeur serve` master before the workers fork.
COMPILED = CompiledTemplates()


def compile_templates(app: Flask) -> None:
    """Compile every template of ``app`` into its bytecode cache (``COMPILED`` unless the app has
    its own): what `voordeur serve` does once before forking, so its workers need not."""
    if app.jinja_env.bytecode_cache is None:
        app.jinja_env.bytecode_cache = COMPILED
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml")):
        # A template that does not compile fails its own request, as it would have without this.
        with suppress(TemplateError):
            app.jinja_env.get_template(name)


def warm_up(app: Flask) -> None:
    """Compile (or load the compiled bytecode of) every template of ``app`` and load every
    language's data, then take the objects alive now out of the collector's view."""
    compile_templates(app)
    for locale in LOCALES:
        _load_language(app, locale)
    gc.collect()
    gc.freeze()


def _load_language(app: Flask, locale: str) -> None:
    """Babel's data for ``locale``, its translation catalogue and the dashboard's number texts,
    read now rather than by the first request in that language."""
    with app.test_request_context(f"/?lang={locale}"):
        get_translations()
        format_date(date(2000, 1, 1), "d MMM yyyy", locale=locale)
        percent_in(locale, 0.5)
        number_in(locale, 1234)
        number_in(locale, 7.5)
