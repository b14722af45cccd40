"""The domain's words live in portal/vocabulary.py: the schemas, the database and the catalogue must agree.

A value is stored in several places that cannot import Python — the JSON schemas that
editors' IDEs read, the CHECK constraints in the database — and each label must exist in
both languages. These tests fail when one of them drifts from the enums.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlite_utils import Database

from portal import photos, vocabulary
from portal.storage import content_versions
from portal.storage import stats as stats_store
from portal.storage.migrations import migrate
from portal.vocabulary import (
    LABELS,
    REQUEST_KIND_FOR_ROUTE,
    RequestKind,
    RequestStatus,
    Role,
    Route,
    SocialService,
    Theme,
    Timeframe,
    Urgency,
    member,
)

REPO = Path(__file__).resolve().parents[2]
TREE_SCHEMA = REPO / "portal" / "triage" / "schema" / "tree.schema.json"
PAGE_SCHEMA = REPO / "portal" / "pages" / "schema" / "page.schema.json"
SOCIAL_MAP_SCHEMA = REPO / "portal" / "pages" / "schema" / "social_map.schema.json"
CATALOGUE = REPO / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def enums_of(schema: Any, name: str) -> Iterator[list]:
    """Every ``enum`` list of a property called ``name``, anywhere in a JSON schema."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == name and isinstance(value, dict) and "enum" in value:
                yield value["enum"]
            yield from enums_of(value, name)
    elif isinstance(schema, list):
        for item in schema:
            yield from enums_of(item, name)


def schema_lists(path: Path, name: str) -> list[list]:
    found = list(enums_of(json.loads(path.read_text(encoding="utf-8")), name))
    assert found, f"{path.name} lists no {name!r} values"
    return found


@pytest.mark.parametrize(
    ("path", "name", "enum"),
    [
        (TREE_SCHEMA, "route", Route),  # an outcome's route and a case's expected route
        (TREE_SCHEMA, "urgency", Urgency),
        (TREE_SCHEMA, "timeframe", Timeframe),
        (TREE_SCHEMA, "social_service", SocialService),
        (PAGE_SCHEMA, "theme", Theme),
        (SOCIAL_MAP_SCHEMA, "type", SocialService),
    ],
)
def test_every_list_in_the_json_schemas_equals_its_enum(path, name, enum):
    for listed in schema_lists(path, name):
        assert listed == values(enum), f"{path.name}: {name}"


def test_the_appointment_professionals_in_the_tree_schema_equal_the_enum():
    assert schema_lists(TREE_SCHEMA, "professional") == [values(vocabulary.Professional)]


def check_lists() -> dict[str, list[str]]:
    """``column -> values`` of every ``CHECK (column IN (...))`` in a freshly migrated database."""
    db = Database(memory=True)
    migrate(db)
    found: dict[str, list[str]] = {}
    for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall():
        for column, listed in re.findall(r"CHECK \((\w+) IN \(([^)]*)\)\)", sql):
            values_ = re.findall(r"'([^']*)'", listed)
            # The same column in several tables (the rollups' grain) must list the same values.
            assert found.get(column, values_) == values_, f"two different CHECK lists for {column}"
            found[column] = values_
    return found


def test_the_database_checks_the_same_kinds_statuses_and_roles_as_the_enums():
    assert check_lists() == {
        "kind": values(RequestKind),
        "status": values(RequestStatus),
        "role": values(Role),
        "grain": ["day", *stats_store._COARSER],
        "author": values(vocabulary.MessageAuthor),
        # Versions of trees and pages (issue 14): storage.content_versions names its values.
        "content_kind": list(content_versions.KINDS),
        "language": list(content_versions.LANGUAGES),
        "version_status": list(content_versions.STATUSES),
        "origin": list(content_versions.ORIGINS),
        "classification": list(content_versions.CLASSIFICATIONS),
        "content_type": list(photos.STORED_TYPES),  # a re-encoded photo is a JPEG or a PNG
    }


def catalogue() -> dict[str, Any]:
    with CATALOGUE.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


@pytest.mark.parametrize("enum", list(LABELS), ids=lambda enum: enum.__name__)
def test_every_member_has_each_of_its_labels_in_english_and_dutch(enum):
    dutch = catalogue()
    for labels in LABELS[enum]:
        assert list(labels) == list(enum), "one label per member, in the enum's order"
        for member_, label in labels.items():
            english = str(label)  # outside a request: the source text
            assert english.strip(), member_
            entry = dutch.get(english)
            assert entry is not None, f"{enum.__name__}.{member_.name}: {english!r} is not in messages.po"
            assert entry.string and not entry.fuzzy, f"{enum.__name__}.{member_.name}: {english!r} has no Dutch"


def test_every_enum_of_the_vocabulary_has_labels():
    enums = {value for value in vars(vocabulary).values() if isinstance(value, type) and issubclass(value, StrEnum)}
    assert enums - {StrEnum} == set(LABELS)


def test_the_labels_speak_dutch_in_a_dutch_request(app):
    with app.test_request_context("/?lang=nl"):
        assert str(vocabulary.REQUEST_KIND_LABELS[RequestKind.APPOINTMENT]) == "Afspraakverzoek"
        assert str(vocabulary.ROLE_LABELS[Role.ADMIN]) == "Beheerder"


def test_a_stored_string_finds_its_label():
    # Rows from the database hold plain strings; a StrEnum member equals and hashes like its value.
    assert (
        vocabulary.REQUEST_STATUS_LABELS["in_progress"] is vocabulary.REQUEST_STATUS_LABELS[RequestStatus.IN_PROGRESS]
    )


def test_member_reads_outside_values_and_refuses_anything_else():
    assert member(RequestKind, "callback") is RequestKind.CALLBACK
    for stranger in ("", "CALLBACK", "call-back", None):
        assert member(RequestKind, stranger) is None


def test_every_request_kind_belongs_to_a_route():
    assert sorted(REQUEST_KIND_FOR_ROUTE.values()) == sorted(RequestKind)


def test_a_practice_manager_works_the_inbox_and_only_managers_and_admins_keep_templates():
    assert Role.PRACTICE_MANAGER in vocabulary.INBOX_ROLES
    assert vocabulary.TEMPLATE_ROLES == (Role.PRACTICE_MANAGER, Role.ADMIN)
    assert Role.ASSISTANT not in vocabulary.TEMPLATE_ROLES
