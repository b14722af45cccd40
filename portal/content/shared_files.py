"""The prelude, the search lexicon and the social maps, edited in the browser: what a change is, and the forms' edits.

These files are shared by every tree (the prelude, the lexicon) or by every
practice of a municipality (a social map), so they are versioned like trees and
pages (``storage.content_versions``, ADR 0006) but classified by their own rules:

* **prelude** — every change is *clinical logic*. Its questions are the emergency
  screen, the general danger signs, the profile and the risk questions that every
  patient answers before any tree; even a word there decides whether a patient
  recognises a sign that should send them to 112. So a prelude change always needs
  a clinical reviewer, a release note and a raised ``version:``.
* **lexicon** — a change that can only *add* a way to find a complaint (a new term,
  a tree added to a body part, a label, a ``shared`` reason) is *wording*: the
  complaint a patient found before is still found, and the tree's own questions
  and the emergency screen still decide the urgency. A change that can *take* a
  complaint away from a word (a term removed or moved to another tree, a tree taken
  out of a body part) is *clinical logic*: a patient typing that word may no longer
  reach the tree whose red flags fit their complaint.
* **social map** — phone numbers, opening hours and what a service is for. Not
  triage logic: where a patient goes is decided by the tree (``social_service``).
  It is published at once, with history and audit (see docs/authoring/social-map.md).

The form edits keep every other line of the file as it was (ruamel round trip), so
the draft is the text raw mode would have produced.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import jsonschema
import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..pages.loader import schema
from ..triage.search import normalise
from .changes import LOGIC, NONE, WORDING, Classification, differences, plain
from .tree_texts import dump_round_trip, keep_style, load_round_trip

#: The fields of one social-map service, in the order the files write them.
SERVICE_FIELDS = ("type", "name", "what_nl", "what_en", "how_nl", "how_en", "phone", "address", "web")
TEXT_FIELDS = ("what", "how")
OPTIONAL_FIELDS = ("phone", "address", "web")


class NotEditable(ValueError):
    """The text cannot be read as the form expects: edit it in raw mode."""


# --- classification -------------------------------------------------------------------------


def classify_prelude(old: Any, new: Any) -> Classification:
    """Every change to the prelude is clinical logic (see the module docstring); ``changes`` says where."""
    if old is None:
        return Classification(LOGIC, ("a new prelude",))
    found = differences(plain(old), plain(new))
    return Classification(LOGIC, tuple(found)) if found else Classification(NONE)


def _terms(data: Any) -> set[tuple[str, str, str]]:
    """(tree, language, normalised term) of every term in a lexicon's parsed YAML."""
    found: set[tuple[str, str, str]] = set()
    for tree_id, entry in ((data or {}).get("terms") or {}).items():
        for language, terms in (entry or {}).items():
            found |= {(str(tree_id), str(language), " ".join(normalise(str(t)).split())) for t in terms or ()}
    return found


def _placed(data: Any) -> set[tuple[str, str]]:
    """(body part, tree) of every tree listed in a body part."""
    parts = (data or {}).get("body_parts") or {}
    return {(str(slug), str(tree)) for slug, part in parts.items() for tree in (part or {}).get("trees") or ()}


def classify_lexicon(old: Any, new: Any) -> Classification:
    """Wording when the change can only add ways to find a complaint; logic when it can take one away."""
    if old is None:
        return Classification(LOGIC, ("a new lexicon",))
    old_terms, new_terms = _terms(old), _terms(new)
    taken = [
        f"terms.{tree}.{language}: '{term}' no longer leads to '{tree}'"
        for tree, language, term in sorted(old_terms - new_terms)
    ]
    taken += [f"body_parts.{part}: '{tree}' taken out" for part, tree in sorted(_placed(old) - _placed(new))]
    if taken:
        return Classification(LOGIC, tuple(taken))
    found = differences(plain(old), plain(new))
    return Classification(WORDING, tuple(found)) if found else Classification(NONE)


def classify_social_map(old: str | None, new: str) -> Classification:
    """A social map holds no triage logic: a change is wording (published at once, with history)."""
    if old == new:
        return Classification(NONE)
    return Classification(WORDING, ("a new social map",) if old is None else ())


# --- the lexicon form -------------------------------------------------------------------------


def _load(text: str) -> Any:
    try:
        data = load_round_trip(text)
    except Exception as exc:  # ruamel raises many kinds; raw mode reports the line
        raise NotEditable(str(exc)) from exc
    if not isinstance(data, Mapping):
        raise NotEditable("the file is not a mapping")
    return data


def lexicon_terms(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(tree, language, terms) of every entry, in file order: what the form lists."""
    data = _load(text)
    rows = []
    for tree_id, entry in (data.get("terms") or {}).items():
        for language in ("nl", "en"):
            rows.append((str(tree_id), language, tuple(str(t) for t in ((entry or {}).get(language) or ()))))
    return rows


def _add(data: Any, tree_id: str, language: str, term: str) -> bool:
    """Add ``term`` in place (a new block at the end when the tree has none yet); True when it was not there."""
    terms = data.get("terms")
    if not isinstance(terms, CommentedMap):
        raise NotEditable("the lexicon has no terms")
    entry = terms.get(tree_id)
    if entry is None:
        entry = CommentedMap()
        terms[tree_id] = entry
    words = entry.get(language)
    if words is None:
        words = CommentedSeq()
        words.fa.set_flow_style()
        entry[language] = words
    if term in words:
        return False
    words.append(term)
    return True


def _remove(data: Any, tree_id: str, language: str, term: str) -> bool:
    """Remove ``term`` in place; True when it was there."""
    words = ((data.get("terms") or {}).get(tree_id) or {}).get(language)
    if words is None or term not in words:
        return False
    words.remove(term)
    return True


def add_term(text: str, tree_id: str, language: str, term: str) -> str:
    """The lexicon with ``term`` added to ``tree_id``'s ``language`` list (a new block at the end when the tree
    has none yet). A term already there is not added twice."""
    data = _load(text)
    _add(data, tree_id, language, term)
    return dump_round_trip(data)


def remove_term(text: str, tree_id: str, language: str, term: str) -> str:
    """The lexicon without ``term`` under ``tree_id``'s ``language`` list (unchanged when it is not there)."""
    data = _load(text)
    if not _remove(data, tree_id, language, term):
        return text
    return dump_round_trip(data)


def change_terms(
    text: str, tree_id: str, removed: Iterable[tuple[str, str]], added: Mapping[str, Iterable[str]]
) -> str:
    """The lexicon with ``removed`` ((language, term) pairs) taken from ``tree_id`` and then ``added``
    (terms by language) added to it, as ``remove_term`` and ``add_term`` one after another would give;
    unchanged text when nothing changes. What the form saves: the lexicon is read and written once, not
    once per word (each reading ~0.4 s and each writing ~0.25 s of CPU for the demo lexicon)."""
    data = _load(text)
    changed = False
    for language, term in removed:
        changed |= _remove(data, tree_id, language, term)
    for language, terms in added.items():
        for term in terms:
            changed |= _add(data, tree_id, language, term)
    return dump_round_trip(data) if changed else text


# --- the social-map form ------------------------------------------------------------------------


def slug_for(name: str) -> str:
    """The slug of a new social map from the municipality's name: 'Zuiderdam (demo)' → 'zuiderdam-demo'."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug if re.fullmatch(r"[a-z][a-z0-9-]{1,62}", slug) else f"gemeente-{slug}".strip("-")[:63]


def services(text: str) -> list[dict[str, str]]:
    """Every service of a social map as form fields (``what_nl``, …), in file order."""
    data = _load(text)
    return [_fields(service) for service in data.get("services") or ()]


def _fields(service: Mapping[str, Any]) -> dict[str, str]:
    fields = {"type": str(service.get("type", "")), "name": str(service.get("name", ""))}
    for name in TEXT_FIELDS:
        for language in ("nl", "en"):
            fields[f"{name}_{language}"] = str((service.get(name) or {}).get(language, ""))
    for name in OPTIONAL_FIELDS:
        fields[name] = str(service.get(name) or "")
    return fields


def _service(fields: Mapping[str, str], old: Mapping[str, Any] | None) -> CommentedMap:
    """A service mapping from form fields, in the files' key order; an empty optional field is left out.
    A value keeps the quotes it had (``old``); names, numbers and addresses are quoted, as in the shipped files."""
    old = old or {}
    service = CommentedMap()
    service["type"] = fields["type"].strip()
    service["name"] = _scalar(old.get("name"), fields["name"].strip(), quote=True)
    for name in TEXT_FIELDS:
        text = CommentedMap()
        for language in ("nl", "en"):
            text[language] = _scalar((old.get(name) or {}).get(language), fields[f"{name}_{language}"].strip())
        service[name] = text
    for name in OPTIONAL_FIELDS:
        value = fields.get(name, "").strip()
        if value:
            service[name] = _scalar(old.get(name), value, quote=True)
    return service


def _scalar(old: Any, new: str, quote: bool = False) -> Any:
    """``new`` written so that the portal reads it back as this text: in the old value's style, quoted when
    asked, or plain only when PyYAML reads it plain as the same text (not ``yes`` → True, not ``0123`` → 83)."""
    if isinstance(old, str) and type(old) is not str:
        return keep_style(old, new)
    if quote or "\n" in new:
        return DoubleQuotedScalarString(new)
    try:
        plain_ok = yaml.safe_load(f"k: {new}") == {"k": new}
    except yaml.YAMLError:
        plain_ok = False
    return new if plain_ok else DoubleQuotedScalarString(new)


def put_service(text: str, fields: Mapping[str, str], replacing: str | None) -> str:
    """The social map with the service of type ``replacing`` replaced by ``fields`` (or ``fields`` added at the
    end when ``replacing`` is None)."""
    data = _load(text)
    listed = data.get("services")
    if not isinstance(listed, list):
        raise NotEditable("the social map has no list of services")
    index = next((i for i, s in enumerate(listed) if replacing is not None and s.get("type") == replacing), None)
    if index is None:
        listed.append(_service(fields, None))
    else:
        listed[index] = _service(fields, listed[index])
    return dump_round_trip(data)


def drop_service(text: str, service_type: str) -> str:
    """The social map without the service of ``service_type``."""
    data = _load(text)
    listed = data.get("services") or []
    kept = [s for s in listed if s.get("type") != service_type]
    if len(kept) == len(listed):
        return text
    for index in reversed(range(len(listed))):
        if listed[index].get("type") == service_type:
            del listed[index]
    return dump_round_trip(data)


def mark_checked(text: str, today: date) -> str:
    """The social map with ``checked_on`` set to ``today`` (the editor checked the numbers and times)."""
    data = _load(text)
    data["checked_on"] = today.isoformat()
    return dump_round_trip(data)


def new_social_map(name: str, fields: Mapping[str, str], today: date) -> str:
    """The text of a new social map for ``name`` with its first service."""
    slug = slug_for(name)
    header = (
        "# yaml-language-server: $schema=../../portal/pages/schema/social_map.schema.json\n"
        f"municipality: {_quoted(name)}\nslug: {slug}\nchecked_on: {today.isoformat()}\nservices: []\n"
    )
    data = _load(header)
    data["services"] = CommentedSeq([_service(fields, None)])
    return dump_round_trip(data)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: Why a field of a service is not accepted, as a code the view puts in words.
REQUIRED, TOO_SHORT, PHONE, WEB, TYPE, DUPLICATE = "required", "too_short", "phone", "web", "type", "duplicate"


def service_errors(
    fields: Mapping[str, str], other_types: Iterable[str] = (), service_types: Iterable[str] = ()
) -> dict[str, str]:
    """Which fields of one service break the social-map schema (the same JSON Schema the files are checked
    with), or repeat a type the map already lists: field → code."""
    errors: dict[str, str] = {}
    service = plain(_service({name: fields.get(name, "") for name in SERVICE_FIELDS}, None))
    item_schema = schema("social_map")["properties"]["services"]["items"]
    validator = jsonschema.Draft202012Validator({**item_schema, "$defs": schema("social_map")["$defs"]})
    for error in validator.iter_errors(service):
        where = [str(step) for step in error.absolute_path]
        if error.validator == "required":
            missing = error.message.split("'")[1]
            field = "_".join([*where, missing])
            errors.setdefault(field, REQUIRED)
            continue
        field = "_".join(where)
        if field == "type" or error.validator == "enum":
            errors.setdefault("type", TYPE)
        elif field == "phone":
            errors.setdefault(field, PHONE)
        elif field == "web":
            errors.setdefault(field, WEB)
        elif error.validator == "minLength":
            errors.setdefault(field, REQUIRED if not str(error.instance).strip() else TOO_SHORT)
        else:
            errors.setdefault(field or "type", TYPE)
    known = set(service_types)
    if known and fields.get("type") and fields.get("type") not in known:
        errors.setdefault("type", TYPE)
    if fields.get("type") in set(other_types):
        errors.setdefault("type", DUPLICATE)
    return errors
