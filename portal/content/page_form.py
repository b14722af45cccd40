"""A self-help page as form fields (title, summary, one text per section) and back to its Markdown file.

The form editor shows an editor fields instead of front matter and ``##``
headings, but it must produce exactly the draft raw mode would: the text the
page loader reads. So the form never rebuilds a page from scratch when it has
one: ``apply`` changes only the fields that changed, leaving every other line of
the file (the other front matter, comments, spacing) as it was, and a page saved
unchanged is the same text byte for byte. New pages get front matter written
here (``new_page``), with the demo status until a clinician validates them.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ruamel.yaml import YAML

from ..pages.model import OPTIONAL_SECTION, SECTIONS
from .tree_texts import dump_round_trip, keep_style, load_round_trip

#: A section heading, as the loader finds it, without eating the line end (so the body rebuilds exactly).
HEADING = re.compile(r"(?m)^## +(.+?)[ \t]*$")
FENCE = "---\n"
DEMO_STATUS = "demo — requires clinical validation"
#: How long a new page may go before its next review.
REVIEW_PERIOD = timedelta(days=365)


class NotAPage(ValueError):
    """The text has no front matter the form can show: edit it in raw mode."""


@dataclass(frozen=True)
class PageFields:
    """What the form shows: the page's title, summary and section texts (heading → Markdown)."""

    language: str
    title: str
    summary: str
    sections: tuple[tuple[str, str], ...]


def _split(text: str) -> tuple[str, str]:
    """Front matter (between the ``---`` lines, without them) and the body after the closing line."""
    if not text.startswith(FENCE):
        raise NotAPage("the page does not start with front matter")
    end = text.find("\n" + FENCE, len(FENCE) - 1)
    if end < 0:
        raise NotAPage("the front matter is not closed")
    return text[len(FENCE) : end + 1], text[end + 1 + len(FENCE) :]


def _parts(body: str) -> list[str]:
    """``[text before the first heading, heading, text, heading, text, …]``."""
    return HEADING.split(body)


def headings_for(language: str, present: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The sections the form offers: those the page has, then the required and optional ones it lacks."""
    wanted = [*SECTIONS[language], OPTIONAL_SECTION[language]]
    return [*present, *(h for h in wanted if h not in present)]


def read_fields(text: str) -> PageFields:
    """The form's fields of a page's text. Raises ``NotAPage`` when the front matter cannot be read."""
    front, body = _split(text)
    try:
        data = load_round_trip(front)  # kept by text: the save reads the same front matter again
    except Exception as exc:  # ruamel raises many kinds; the raw editor shows the exact problem
        raise NotAPage(str(exc)) from exc
    if not isinstance(data, dict):
        raise NotAPage("the front matter is not a list of fields")
    language = str(data.get("language", "nl"))
    if language not in SECTIONS:
        raise NotAPage(f"unknown language '{language}'")
    parts = _parts(body)
    sections = [(heading, part.strip()) for heading, part in zip(parts[1::2], parts[2::2], strict=True)]
    present = [h for h, _ in sections]
    sections += [(h, "") for h in headings_for(language, present) if h not in present]
    return PageFields(language, str(data.get("title", "")), str(data.get("summary", "")), tuple(sections))


def _clean(value: str) -> str:
    """A browser's text area: Windows line ends, and spaces at the end of lines, mean nothing."""
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").strip().split("\n"))


def _front_with(front: str, title: str, summary: str) -> str:
    """The front matter with a new title and summary; unchanged text when they did not change."""
    data = load_round_trip(front)  # a fresh copy of what read_fields read: changed here, shared with nobody
    changed = False
    for key, value in (("title", " ".join(title.split())), ("summary", " ".join(summary.split()))):
        if str(data.get(key, "")) != value:
            data[key] = keep_style(data.get(key), value)
            changed = True
    if not changed:
        return front
    return dump_round_trip(data)


def _body_with(body: str, sections: list[tuple[str, str]]) -> str:
    """The body with new section texts, in the page's order; an empty section the page lacked stays out."""
    parts = _parts(body)
    texts = {heading: _clean(value) for heading, value in sections}
    for index in range(1, len(parts), 2):
        heading = parts[index]
        if heading in texts and parts[index + 1].strip() != texts[heading]:
            last = index + 2 >= len(parts)
            parts[index + 1] = "\n\n" + texts[heading] + ("\n" if last else "\n\n")
    present = set(parts[1::2])
    added = [(h, texts[h]) for h, _ in sections if h not in present and texts[h]]
    out = ""
    for index, part in enumerate(parts):
        out += f"## {part}" if index % 2 else part
    for heading, value in added:
        out = out.rstrip("\n") + "\n\n" if out.strip() else ""
        out += f"## {heading}\n\n{value}\n"
    return out


def apply(text: str, title: str, summary: str, sections: list[tuple[str, str]]) -> str:
    """The page's text with the form's values: only changed fields change; the rest stays byte for byte."""
    front, body = _split(text)
    return FENCE + _front_with(front, title, summary) + FENCE + _body_with(body, sections)


@dataclass(frozen=True)
class NewPage:
    """What an editor fills in for a page that does not exist yet."""

    slug: str
    language: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    theme: str
    sources: tuple[str, ...]
    reviewer: str
    sections: tuple[tuple[str, str], ...]
    related_trees: tuple[str, ...] = ()


def new_page(page: NewPage, today: date) -> str:
    """The text of a new page, in the layout of the shipped pages, marked as demo until clinically validated."""
    data: dict[str, Any] = {
        "slug": page.slug,
        "language": page.language,
        "title": " ".join(page.title.split()),
        "summary": " ".join(page.summary.split()),
        "keywords": list(page.keywords),
        "theme": page.theme,
    }
    if page.related_trees:
        data["related_trees"] = list(page.related_trees)
    data |= {
        "sources": list(page.sources),
        "status": DEMO_STATUS,
        "reviewer": page.reviewer,
        "reviewed_on": today,  # a date, so it is written unquoted like in the shipped pages
        "review_due": today + REVIEW_PERIOD,
    }
    yaml = YAML()
    yaml.width = 4096
    yaml.default_flow_style = None  # lists on one line: keywords: [a, b]
    out = io.StringIO()
    out.write("# yaml-language-server: $schema=../../portal/pages/schema/page.schema.json\n")
    yaml.dump(data, out)
    front = out.getvalue()
    body = ""
    for heading, value in page.sections:
        cleaned = _clean(value)
        if cleaned:
            body += ("\n" if body else "") + f"## {heading}\n\n{cleaned}\n"
    return FENCE + front + FENCE + body
