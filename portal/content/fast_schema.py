"""Schema errors, found sooner: jsonschema-rs asks "is anything wrong?" before jsonschema says what.

Checking the shipped content against its schemas with jsonschema (pure Python) cost about as
much as parsing it: every process that loads the content paid it (each test process, every
``voordeur`` command, gunicorn's master). Nearly every file is valid, and for a valid file there
is nothing to report, so ``schema_errors`` first asks jsonschema-rs (compiled, ~100x faster)
whether the document is valid. Only when it says no does jsonschema run, so every message and
line an editor sees is jsonschema's, exactly as before.

The one way this could change an answer is jsonschema-rs calling valid what jsonschema refuses.
So the first pass is used only where the two implement the same rules:

- the validator is a plain ``Draft202012Validator`` (no extra keywords), without format checks
  or with jsonschema's own ``FORMAT_CHECKER`` on a schema that uses no format but ``date``;
- the document is plain JSON: dicts with text keys, lists, text, booleans, None, whole numbers
  a double holds exactly and finite floats. YAML can also give tuples (``!!omap``), which
  jsonschema-rs counts as arrays and jsonschema does not, sets, bytes and dates;
- anything the first pass cannot handle (a schema it refuses, text it cannot encode) means
  "ask jsonschema".

Where jsonschema-rs is stricter (a pattern's ``$`` before a final newline, ``\\d`` on non-ASCII
digits) it says "invalid" and jsonschema gives the answer, so that costs time, not correctness.
``tests/unit/test_fast_schema.py`` checks both answers agree on every shipped file and on about
2,400 broken variants of them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.protocols import Validator

#: The formats on which jsonschema's FORMAT_CHECKER and jsonschema-rs agree (checked by the tests).
AGREED_FORMATS = frozenset({"date"})

#: Whole numbers beyond this may be compared as doubles by jsonschema-rs.
_EXACT_INT = 2**53

#: First-pass validators kept; the portal has five schemas.
_KEPT = 32


def schema_errors(validator: Validator, data: Any) -> Iterator[jsonschema.ValidationError]:
    """Every error ``validator`` finds in ``data``: exactly ``validator.iter_errors(data)``,
    but without jsonschema's walk when jsonschema-rs finds the document valid."""
    if _fast_says_valid(validator, data):
        return iter(())
    return validator.iter_errors(data)


def _fast_says_valid(validator: Validator, data: Any) -> bool:
    """True only when jsonschema-rs may answer and says the document is valid."""
    fast = _FAST.get(validator)
    if fast is None or not is_plain_json(data):
        return False
    try:
        return bool(fast.is_valid(data))
    except Exception:  # whatever the first pass cannot do, jsonschema does
        return False


def is_plain_json(value: Any) -> bool:
    """Whether ``value`` holds only what JSON has, so both libraries see the same document."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if isinstance(item, dict):
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif kind is int:
            if not -_EXACT_INT <= item <= _EXACT_INT:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        else:
            return False
    return True


def fast_validator(validator: Validator) -> Any | None:
    """The jsonschema-rs validator answering for ``validator``, or None where only jsonschema may."""
    return _FAST.get(validator)


def _build(validator: Validator) -> Any | None:
    if type(validator) is not jsonschema.Draft202012Validator:
        return None
    checker = validator.format_checker
    if checker is not None and checker is not jsonschema.Draft202012Validator.FORMAT_CHECKER:
        return None
    schema = validator.schema
    if checker is not None and not _formats_in(schema) <= AGREED_FORMATS:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(schema, validate_formats=checker is not None, offline=True)
    except Exception:  # a schema jsonschema-rs refuses is checked by jsonschema alone
        return None


def _formats_in(schema: Any) -> set[str]:
    """Every text under a ``format`` key anywhere in the schema (more than the formats in use
    is fine: it only keeps the first pass away)."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("format")
            if isinstance(value, str):
                found.add(value)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


class _FastValidators:
    """First-pass validators by jsonschema validator. jsonschema validators cannot be hashed,
    so the key is the id, and each entry holds its validator so the id is not reused while
    it lives. Shared by threads, hence the lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[Validator, Any | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, validator: Validator) -> Any | None:
        key = id(validator)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is validator:
                self._entries.move_to_end(key)
                return entry[1]
        fast = _build(validator)
        with self._lock:
            self._entries[key] = (validator, fast)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return fast


_FAST = _FastValidators(_KEPT)
