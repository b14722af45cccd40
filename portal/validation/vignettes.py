"""Reading the vignette file and a round's results file.

Both are written by people, so every problem is collected and reported with
the vignette it concerns, never just the first one, and nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .destinations import LABELS, Destination


class ValidationFileError(ValueError):
    """A vignette or results file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + f"\n{path}: ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Vignette:
    """A story with the destination a GP triagist would choose, and the other defensible ones."""

    id: str
    expected: Destination
    acceptable: frozenset[Destination] = frozenset()

    def appropriate(self, reached: Destination) -> bool:
        return reached == self.expected or reached in self.acceptable


def _destination(value: Any, vignette: str, field: str, problems: list[str]) -> Destination | None:
    if value in LABELS:
        return Destination(value)
    known = ", ".join(LABELS)
    problems.append(f"vignette {vignette}: {field} '{value}' is not a destination ({known})")
    return None


def parse_vignettes(entries: Any, path: str = "<vignettes>") -> tuple[Vignette, ...]:
    """Vignettes from the parsed YAML (a list of mappings with ``id``, ``expected_nl``, ``acceptable_nl``)."""
    if not isinstance(entries, list):
        raise ValidationFileError(path, ["the file must hold a list of vignettes"])
    problems: list[str] = []
    vignettes: list[Vignette] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping) or not entry.get("id"):
            problems.append(f"entry {number} has no id")
            continue
        vignette_id = str(entry["id"])
        if vignette_id in seen:
            problems.append(f"vignette {vignette_id}: the id is used twice")
        seen.add(vignette_id)
        expected = _destination(entry.get("expected_nl"), vignette_id, "expected_nl", problems)
        others = entry.get("acceptable_nl") or []
        if not isinstance(others, list):
            problems.append(f"vignette {vignette_id}: acceptable_nl must be a list")
            others = []
        acceptable = {_destination(value, vignette_id, "acceptable_nl", problems) for value in others}
        if expected is not None:
            vignettes.append(Vignette(vignette_id, expected, frozenset(a for a in acceptable if a is not None)))
    if problems:
        raise ValidationFileError(path, problems)
    return tuple(vignettes)


def parse_results(entries: Any, path: str = "<results>") -> dict[str, str | None]:
    """vignette id → run id, as the readers recorded them. An empty run id stays None (reported later)."""
    if entries is None:
        return {}
    if not isinstance(entries, Mapping):
        raise ValidationFileError(path, ["the file must map each vignette id to its run id (d001: RUN_ID)"])
    results: dict[str, str | None] = {}
    for vignette_id, run_id in entries.items():
        results[str(vignette_id)] = str(run_id).strip() if run_id not in (None, "") else None
    return results


def load_vignettes(path: Path) -> tuple[Vignette, ...]:
    return parse_vignettes(_read(path), str(path))


def load_results(path: Path) -> dict[str, str | None]:
    return parse_results(_read(path), str(path))


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFileError(str(path), [f"cannot be read: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise ValidationFileError(str(path), [f"is not valid YAML: {exc}"]) from None
