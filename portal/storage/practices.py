"""Practices: name, phone numbers, opening hours, huisartsenpost, municipality."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from .audit import NO_ORIGIN, Origin
from .audit import append as audit
from .db import immediate, unchanged_read


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


# A row as read (column names, values) → its Practice (rows hold only str, int, None).
_DECODED: dict[tuple[tuple[str, ...], tuple[Any, ...]], Practice] = {}


def _practice(row: dict[str, Any]) -> Practice:
    """The Practice of a row; a row read before gives the Practice made then (every patient request
    reads one: decoding it again cost more than the query). Nobody changes a Practice in place."""
    return _known((tuple(row), tuple(row.values())))


def _known(key: tuple[tuple[str, ...], tuple[Any, ...]]) -> Practice:
    found = _DECODED.get(key)
    if found is None:
        if len(_DECODED) >= 1024:
            _DECODED.clear()
        found = _DECODED[key] = _decode(dict(zip(*key, strict=True)))
    return found


def _decode(row: dict[str, Any]) -> Practice:
    row = dict(row)
    row["opening_hours"] = json.loads(row["opening_hours"])
    row["other_municipalities"] = tuple(json.loads(row["other_municipalities"]))
    row["is_demo"] = bool(row["is_demo"])
    return Practice(**row)


def save_practice(db: Database, practice: Practice) -> None:
    """Insert or replace: saving the same practice twice gives the same row."""
    db.table("practices").upsert(_row(practice), pk="slug")


def changed_fields(before: Practice, after: Practice) -> tuple[str, ...]:
    """The names of the settings that differ, in the model's order: what the audit row records."""
    old, new = asdict(before), asdict(after)
    return tuple(name for name in old if old[name] != new[name])


def update_practice(
    db: Database, before: Practice, after: Practice, *, staff_id: int, now: datetime, origin: Origin | None = None
) -> tuple[str, ...]:
    """Save a practice changed in the browser, with an audit row naming the changed fields (never their values).

    The row is written with the same columns as ``save_practice``, but in one
    transaction with the audit row: a change is never saved without its record.
    Patient pages read the practice again once the database changed, so it shows at once.
    """
    changed = changed_fields(before, after)
    if not changed:
        return changed
    row = _row(after)
    with immediate(db):
        db.execute(
            f"INSERT OR REPLACE INTO practices ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        audit(
            db,
            action="practice:settings",
            staff_id=staff_id,
            practice=after.slug,
            now=now,
            detail=json.dumps(list(changed), separators=(",", ":")),
            **(origin or NO_ORIGIN),
        )
    return changed


def get_practice(db: Database, slug: str) -> Practice | None:
    """The practice (every patient request reads it): read again only after a practice changed."""
    return unchanged_read(db, ("practice", slug), lambda: _read_practice(db, slug), mark="practices")


def _read_practice(db: Database, slug: str) -> Practice | None:
    """The row as a plain tuple (building a dict of it cost more than the query)."""
    cursor = db.conn.execute("SELECT * FROM practices WHERE slug = ?", [slug])
    row = cursor.fetchone()
    return _known((tuple(column[0] for column in cursor.description), row)) if row is not None else None


def list_practices(db: Database) -> list[Practice]:
    return [_practice(r) for r in db.query("SELECT * FROM practices ORDER BY name")]
