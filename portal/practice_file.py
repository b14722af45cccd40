"""Practices from a TOML file, for ``voordeur practices import``.

An operator describes each practice once (name, phones, opening hours,
huisartsenpost, municipality); importing is idempotent, so the file can live
in configuration management and be imported on every deploy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import jsonschema

from .content.fast_schema import schema_errors
from .hours import WEEKDAYS, validate_hours
from .storage.practices import Practice

PHONE = {"type": "string", "pattern": r"^[0-9 +()-]{3,20}$"}
PRACTICE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "name", "phone", "municipality", "hap_name", "hap_phone", "opening_hours"],
    "properties": {
        "slug": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9-]{1,40}$",
            "not": {"enum": ["staff", "status", "static", "healthz", "livez"]},
        },
        "name": {"type": "string", "minLength": 2},
        "phone": PHONE,
        "address": {"type": "string"},
        "municipality": {"type": "string", "minLength": 2},
        "municipality_phone": PHONE,
        "hap_name": {"type": "string", "minLength": 2},
        "hap_phone": PHONE,
        "econsult_daily_cap": {"type": "integer", "minimum": 1},
        "other_municipalities": {
            "type": "array",
            "items": {"type": "string", "minLength": 2},
            "uniqueItems": True,
        },
        "opening_hours": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                day: {
                    "type": "array",
                    "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}},
                }
                for day in WEEKDAYS
            },
        },
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(PRACTICE_SCHEMA)


def read_practices(path: Path) -> tuple[list[Practice], list[str]]:
    """The practices in a file, or the reasons it cannot be imported (then nothing is)."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [], [f"{path}: {exc}"]
    entries = data.get("practice")
    if not isinstance(entries, list) or not entries:
        return [], [f"{path}: no [[practice]] tables found"]
    practices, problems = [], []
    for index, entry in enumerate(entries, start=1):
        where = f"{path}: practice {index} ({entry.get('slug', '?')})"
        errors = [e.message for e in schema_errors(_VALIDATOR, entry)]
        errors += validate_hours(entry.get("opening_hours", {})) if not errors else []
        if errors:
            problems += [f"{where}: {message}" for message in errors]
            continue
        entry["other_municipalities"] = tuple(entry.get("other_municipalities", ()))
        practices.append(Practice(**entry))
    slugs = [p.slug for p in practices]
    problems += [f"{path}: slug '{s}' appears twice" for s in sorted({s for s in slugs if slugs.count(s) > 1})]
    return (practices if not problems else []), problems
