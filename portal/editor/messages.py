"""The checker's most common messages in the editor's words, in the editor's language.

The checks (``portal.triage``, ``portal.pages``) write one plain English message per
problem, the same for the command line, CI and the workbench. In the browser an
editor reads a translated sentence that says what it means for patients ("Het
antwoord “yes” leidt nergens heen"), with the checker's own text kept beside it
so nothing is lost when asking for help. Messages not listed here are shown as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from .routes import bp

Rewrite = Callable[[re.Match[str]], str]

#: (pattern of the checker's message, the sentence an editor reads). Most common first.
REWRITES: tuple[tuple[re.Pattern[str], Rewrite], ...] = (
    (
        re.compile(r"^answer '(?P<answer>[^']+)' leads to unknown node '(?P<target>[^']+)'$"),
        lambda m: _(
            "The answer “%(answer)s” leads nowhere: there is no question or outcome called “%(target)s”.",
            answer=m["answer"],
            target=m["target"],
        ),
    ),
    (
        re.compile(r"^emergency sign '(?P<answer>[^']+)' leads to unknown node '(?P<target>[^']+)'$"),
        lambda m: _(
            "The 112 sign “%(answer)s” leads nowhere: there is no outcome called “%(target)s”.",
            answer=m["answer"],
            target=m["target"],
        ),
    ),
    (
        re.compile(r"^'(?P<node>[^']+)' cannot be reached from 'start'$"),
        lambda m: _("No answer leads to “%(node)s”: patients never get there.", node=m["node"]),
    ),
    (
        re.compile(r"^the English text \('en'\) is missing"),
        lambda m: _("The English text is missing. Every text needs Dutch and English."),
    ),
    (
        re.compile(r"^the Dutch text \('nl'\) is missing"),
        lambda m: _("The Dutch text is missing. Every text needs Dutch and English."),
    ),
    (
        re.compile(r"^case '(?P<case>[^']+)': (?P<problem>.+)$"),
        lambda m: _("The case “%(case)s” no longer gives the expected result.", case=m["case"]),
    ),
    (
        re.compile(r"^red flag '(?P<flag>[^']+)' has no case$"),
        lambda m: _("The red flag “%(flag)s” has no case yet: add a case that ticks it.", flag=m["flag"]),
    ),
    (
        re.compile(r"^the section '## (?P<name>.+)' is missing$"),
        lambda m: _("The section “%(name)s” is missing.", name=m["name"]),
    ),
    (
        re.compile(r"^the link to page '(?P<page>[^']+)' leads nowhere$"),
        lambda m: _("The link to the page “%(page)s” leads nowhere: that page does not exist.", page=m["page"]),
    ),
    (
        re.compile(r"^the link to triage '(?P<tree>[^']+)' leads nowhere$"),
        lambda m: _("The link to the questions “%(tree)s” leads nowhere: that tree does not exist.", tree=m["tree"]),
    ),
    (
        re.compile(r"^review was due on (?P<date>[0-9-]+)$"),
        lambda m: _("The review was due on %(date)s: check the text and set the next date.", date=m["date"]),
    ),
    (
        re.compile(r"^there is no en version yet"),
        lambda m: _("There is no English version yet: English readers see the Dutch page with a short notice."),
    ),
)


def in_editor_words(message: str) -> str | None:
    """The sentence an editor reads for a checker's message, or None when it has none."""
    for pattern, rewrite in REWRITES:
        found = pattern.match(message)
        if found:
            return rewrite(found)
    return None


@bp.app_template_filter("in_editor_words")
def _in_editor_words(message: str) -> str | None:
    return in_editor_words(message)
