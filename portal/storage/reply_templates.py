"""Reply templates: a practice's ready-made answers, kept by its practice manager.

Text only, with placeholders (``portal/inbox/placeholders.py``) that are filled
from the request when an assistant picks one; no personal data is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from .audit import NO_ORIGIN, Origin
from .audit import append as audit
from .db import immediate


@dataclass(frozen=True)
class ReplyTemplate:
    id: int
    practice: str
    title: str
    body_nl: str
    body_en: str
    page: str | None
    created_at: str
    updated_at: str

    def body(self, locale: str) -> str:
        """The body in the patient's language where it exists, else the Dutch one."""
        return self.body_en if locale == "en" and self.body_en.strip() else self.body_nl


@dataclass(frozen=True)
class TemplateText:
    """What the practice manager writes; the same for a new and a changed template."""

    title: str
    body_nl: str
    body_en: str = ""
    page: str | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def for_practice(db: Database, practice: str) -> list[ReplyTemplate]:
    """The practice's templates by title, as the reply form lists them."""
    rows = db.query("SELECT * FROM reply_templates WHERE practice = ? ORDER BY title COLLATE NOCASE, id", [practice])
    return [ReplyTemplate(**row) for row in rows]


def get(db: Database, practice: str, template_id: int) -> ReplyTemplate | None:
    """One template of this practice; another practice's id is 'not found'."""
    rows = list(db.query("SELECT * FROM reply_templates WHERE id = ? AND practice = ?", [template_id, practice]))
    return ReplyTemplate(**rows[0]) if rows else None


def _columns(text: TemplateText) -> dict[str, Any]:
    return {
        "title": text.title.strip(),
        "body_nl": text.body_nl.strip(),
        "body_en": text.body_en.strip(),
        "page": text.page or None,
    }


def create(
    db: Database, practice: str, text: TemplateText, *, staff_id: int, now: datetime, origin: Origin | None = None
) -> ReplyTemplate:
    """Add a template; the audit row names it by id (the text is not personal data, but not needed there)."""
    with immediate(db):
        values = _columns(text)
        cursor = db.execute(
            "INSERT INTO reply_templates (practice, title, body_nl, body_en, page, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [practice, values["title"], values["body_nl"], values["body_en"], values["page"], _iso(now), _iso(now)],
        )
        template_id = int(cursor.lastrowid or 0)
        audit(
            db,
            action=f"template:create:{template_id}",
            staff_id=staff_id,
            practice=practice,
            now=now,
            **(origin or NO_ORIGIN),
        )
    found = get(db, practice, template_id)
    assert found is not None
    return found


def update(
    db: Database,
    template: ReplyTemplate,
    text: TemplateText,
    *,
    staff_id: int,
    now: datetime,
    origin: Origin | None = None,
) -> None:
    with immediate(db):
        values = _columns(text)
        db.execute(
            "UPDATE reply_templates SET title = ?, body_nl = ?, body_en = ?, page = ?, updated_at = ? WHERE id = ?",
            [values["title"], values["body_nl"], values["body_en"], values["page"], _iso(now), template.id],
        )
        audit(
            db,
            action=f"template:update:{template.id}",
            staff_id=staff_id,
            practice=template.practice,
            now=now,
            **(origin or NO_ORIGIN),
        )


def delete(
    db: Database, template: ReplyTemplate, *, staff_id: int, now: datetime, origin: Origin | None = None
) -> None:
    """Remove a template. Replies sent with it keep their text and link: they were copied."""
    with immediate(db):
        db.execute("DELETE FROM reply_templates WHERE id = ?", [template.id])
        audit(
            db,
            action=f"template:delete:{template.id}",
            staff_id=staff_id,
            practice=template.practice,
            now=now,
            **(origin or NO_ORIGIN),
        )
