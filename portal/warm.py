"""A served worker made ready before its first request (``voordeur serve``; ``bench/evaluation.py``
does the same to its app, so it measures what a worker does).

Two costs otherwise land on whichever request comes first or happens to be unlucky:

- Compiling a template. The evaluation dashboard with its macros and base pages takes 100–200 ms
  to compile; without this, the first request to each page after a worker starts pays for it.
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

from flask import Flask
from jinja2 import TemplateError


def warm_up(app: Flask) -> None:
    """Compile every template of ``app``, then take the objects alive now out of the collector's view."""
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml")):
        # A template that does not compile fails its own request, as it would have without this.
        with suppress(TemplateError):
            app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()
