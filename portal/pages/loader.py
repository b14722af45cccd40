"""Read, check and render pages and social-map files.

A page is ``<slug>.<language>.md``: YAML front matter (split off by
python-frontmatter, parsed and checked by the file kernel so every problem has a
line), then Markdown rendered with Python-Markdown and sanitised with nh3 —
no script, iframe, event handler or ``javascript:`` link survives.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import frontmatter
import jsonschema
import markdown
import nh3

from ..content.files import check_yaml, read_text, read_yaml
from ..content.live import Reference
from ..triage.model import Text
from ..triage.problems import Problem, Severity
from .model import OPTIONAL_SECTION, SAFETY_NET_INDEX, SECTIONS, Municipality, Page, Section, Service

PAGE_NAME = re.compile(r"^(?P<slug>[a-z][a-z0-9_]{1,62})\.(?P<language>nl|en)\.md$")
LINK = re.compile(r"\]\((?P<kind>pagina|triage):(?P<target>[a-z0-9_-]+)\)")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "abbr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    text = resources.files("portal.pages").joinpath("schema", f"{name}.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(
        json.loads(text), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema(name: str) -> dict[str, Any]:
    return _validator(name).schema


def sanitise(rendered: str) -> str:
    """Only plain text markup and safe links leave here."""
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=2048)
def render_markdown(body: str) -> str:
    """Markdown → sanitised HTML. Internal links become relative, so one rendering serves every practice.

    Remembered by text: rendering is most of the cost of loading a page, and the same
    sections are rendered again whenever the portal starts or a page's front matter changes.
    """
    body = LINK.sub(lambda m: f"]({'../triage/' if m['kind'] == 'triage' else ''}{m['target']})", body)
    return sanitise(markdown.markdown(body, extensions=["tables", "sane_lists"], output_format="html"))


def _sections(body: str, language: str) -> tuple[tuple[Section, ...], str]:
    required = SECTIONS[language]
    parts = re.split(r"(?m)^## +(.+?)\s*$", body)
    sections = []
    for heading, text in zip(parts[1::2], parts[2::2], strict=True):
        sections.append(
            Section(
                heading=heading,
                html=render_markdown(text),
                is_safety_net=heading == required[SAFETY_NET_INDEX],
            )
        )
    plain = re.sub(r"[#*_>\[\]()`|-]", " ", body)
    return tuple(sections), " ".join(plain.split())


def _check_sections(path: Path, body: str, body_line: int, language: str) -> list[Problem]:
    headings = [
        (m.group(1).strip(), body[: m.start()].count("\n") + body_line)
        for m in re.finditer(r"(?m)^## +(.+?)\s*$", body)
    ]
    names = [h for h, _line in headings]
    required = list(SECTIONS[language])
    problems = []
    allowed = set(required) | {OPTIONAL_SECTION[language]}
    for name, line in headings:
        if name not in allowed:
            problems.append(Problem(path, line, f"unknown section '## {name}'; use {', '.join(sorted(allowed))}"))
    present = [n for n in names if n in required]
    missing = [r for r in required if r not in names]
    for name in missing:
        problems.append(Problem(path, body_line, f"the section '## {name}' is missing"))
    if not missing and present != required:
        problems.append(Problem(path, body_line, f"the sections must come in this order: {', '.join(required)}"))
    first_heading = re.search(r"(?m)^## ", body)
    if body[: first_heading.start() if first_heading else len(body)].strip():
        problems.append(Problem(path, body_line, "text before the first section: start with '## " + required[0] + "'"))
    return problems


def _links(path: Path, body: str, body_line: int) -> list[Reference]:
    return [(m["kind"], m["target"], body[: m.start()].count("\n") + body_line) for m in LINK.finditer(body)]


def _related_outcomes(data: Any) -> list[Reference]:
    """The outcomes the page says link to it, with their lines, for the cross-check."""
    listed = data.get("related_outcomes", [])
    return [("outcome", name, line) for name, line in zip(listed, getattr(listed, "item_lines", ()), strict=True)]


def read_page(path: Path, today: date) -> tuple[Page | None, list[Problem], list[Reference]]:
    """A page, its problems, and what it points at (kind, target, line) for the cross-checks:
    its links (``pagina``, ``triage``) and its related outcomes (``outcome``)."""
    name = PAGE_NAME.match(path.name)
    if not name:
        return None, [Problem(path, 1, "a page file is named <slug>.<nl|en>.md, e.g. keelpijn.nl.md")], []
    text, unreadable = read_text(path)
    if text is None:
        return None, unreadable, []
    if not text.startswith("---"):
        return None, [Problem(path, 1, "the page must start with front matter between two '---' lines")], []
    try:
        front, body = frontmatter.YAMLHandler().split(text)
    except ValueError:
        return None, [Problem(path, 1, "the front matter is not closed with a '---' line")], []
    # The split keeps the newline after the opening '---', so front-matter lines
    # are file lines, and the body starts on the closing '---' line.
    data, problems = check_yaml(path, front, _validator("page"))
    if data is None:
        return None, problems, []
    body_line = front.count("\n") + 1
    for field, expected in (("slug", name["slug"]), ("language", name["language"])):
        if data[field] != expected:
            line = data.key_lines[field]
            problems.append(Problem(path, line, f"{field} is '{data[field]}' but the file name says '{expected}'"))
    problems += _check_sections(path, body, body_line, data["language"])
    if date.fromisoformat(data["review_due"]) < today:
        problems.append(
            Problem(
                path,
                data.key_lines["review_due"],
                f"review was due on {data['review_due']}",
                Severity.WARNING,
            )
        )
    links = _links(path, body, body_line) + _related_outcomes(data)
    if any(p.is_error for p in problems):
        return None, problems, links
    sections, plain = _sections(body, data["language"])
    page = Page(
        slug=data["slug"],
        language=data["language"],
        title=data["title"],
        summary=data["summary"],
        keywords=tuple(data["keywords"]),
        synonyms=tuple(data.get("synonyms", [])),
        theme=data["theme"],
        related_trees=tuple(data.get("related_trees", [])),
        related_outcomes=tuple(data.get("related_outcomes", [])),
        sources=tuple(data["sources"]),
        status=data["status"],
        reviewer=data["reviewer"],
        reviewed_on=date.fromisoformat(data["reviewed_on"]),
        review_due=date.fromisoformat(data["review_due"]),
        sections=sections,
        body_text=html.unescape(plain),
        path=path,
    )
    return page, problems, links


def read_social_map(path: Path, today: date) -> tuple[Municipality | None, list[Problem]]:
    data, problems = read_yaml(path, _validator("social_map"))
    if data is None:
        return None, problems
    if data["slug"] != path.stem:
        problems.append(Problem(path, data.key_lines["slug"], f"slug is '{data['slug']}' but the file is {path.name}"))
    types = [s["type"] for s in data["services"]]
    for index, service_type in enumerate(types):
        if types.index(service_type) != index:
            line = data["services"].item_lines[index]
            problems.append(Problem(path, line, f"service type '{service_type}' appears twice"))
    if any(p.is_error for p in problems):
        return None, problems
    services = tuple(
        Service(
            type=s["type"],
            name=s["name"],
            what=Text(s["what"]["nl"], s["what"]["en"]),
            how=Text(s["how"]["nl"], s["how"]["en"]),
            phone=s.get("phone"),
            address=s.get("address"),
            web=s.get("web"),
        )
        for s in data["services"]
    )
    municipality = Municipality(
        slug=data["slug"],
        name=data["municipality"],
        checked_on=date.fromisoformat(data["checked_on"]),
        services=services,
        path=path,
    )
    return municipality, problems
