"""Pages and social-map services, as loaded from ``content/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..triage.model import Text

#: Required sections, in this order. The safety net ("when to contact the
#: practice") is what makes self-help safe; the linter refuses a page without it.
SECTIONS = {
    "nl": ("Wat is het?", "Wat kunt u zelf doen?", "Wanneer contact opnemen met de praktijk?"),
    "en": ("What is it?", "What can you do yourself?", "When to contact the practice"),
}
OPTIONAL_SECTION = {"nl": "Meer hulp", "en": "More help"}
SAFETY_NET_INDEX = 2


@dataclass(frozen=True)
class Section:
    heading: str
    html: str  # sanitised
    is_safety_net: bool = False


@dataclass(frozen=True)
class Page:
    slug: str
    language: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    synonyms: tuple[str, ...]
    theme: str
    related_trees: tuple[str, ...]
    related_outcomes: tuple[str, ...]
    sources: tuple[str, ...]
    status: str
    reviewer: str
    reviewed_on: date
    review_due: date
    sections: tuple[Section, ...]
    body_text: str  # plain text, for search
    path: Path


@dataclass(frozen=True)
class Service:
    type: str
    name: str
    what: Text
    how: Text
    phone: str | None = None
    address: str | None = None
    web: str | None = None


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str
    checked_on: date
    services: tuple[Service, ...]
    path: Path

    def service(self, service_type: str) -> Service | None:
        return next((s for s in self.services if s.type == service_type), None)
