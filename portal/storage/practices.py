"""Practices: name, phone numbers, opening hours, huisartsenpost, municipality."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Practice:
    slug: str
    name: str
    phone: str
    municipality: str
    hap_name: str
    hap_phone: str
    opening_hours: dict[str, list[list[str]]] = field(default_factory=dict)
    address: str = ""
    municipality_phone: str = ""
    is_demo: bool = False
    econsult_daily_cap: int | None = None
    other_municipalities: tuple[str, ...] = ()

    @property
    def municipalities(self) -> tuple[str, ...]:
        """Every municipality the practice serves; the first is its own."""
        return (self.municipality, *self.other_municipalities)


def _row(practice: Practice) -> dict[str, Any]:
    row = asdict(practice)
    row["opening_hours"] = json.dumps(practice.opening_hours, sort_keys=True)
    row["other_municipalities"] = json.dumps(list(practice.other_municipalities))
    row["is_demo"] = int(practice.is_demo)
    return row


def _practice(row: dict[str, Any]) -> Practice:
    row = dict(row)
    row["opening_hours"] = json.loads(row["opening_hours"])
    row["other_municipalities"] = tuple(json.loads(row["other_municipalities"]))
    row["is_demo"] = bool(row["is_demo"])
    return Practice(**row)


def save_practice(db: Database, practice: Practice) -> None:
    """Insert or replace: saving the same practice twice gives the same row."""
    db.table("practices").upsert(_row(practice), pk="slug")


def get_practice(db: Database, slug: str) -> Practice | None:
    rows = list(db.query("SELECT * FROM practices WHERE slug = ?", [slug]))
    return _practice(rows[0]) if rows else None


def list_practices(db: Database) -> list[Practice]:
    return [_practice(r) for r in db.query("SELECT * FROM practices ORDER BY name")]
