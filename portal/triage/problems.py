"""A problem found in a content file, reported as ``file:line: severity: [rule] message``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class RuleKind(StrEnum):
    """What a rule protects; the first letter of its id.

    Only an integrity rule may hold other rules back, and then only the rules
    that follow paths, which cannot run on a broken graph. Every other rule
    always runs, so one slip never hides another.
    """

    INTEGRITY = "I"
    SAFETY = "S"
    POLICY = "P"
    COVERAGE = "C"

    @property
    def label(self) -> str:
        return self.name.lower()


#: ``S-red-flag-urgent``: a kind letter, then lower-case words joined by hyphens.
RULE_ID = re.compile(r"^[ISPC]-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing an editor must fix (error) or look at (warning).

    Editors are not programmers: the message names the field in their words and
    the line their editor can jump to. ``rule`` is the id of the check that found
    it, so the hazard log, the tests and an editor's question all point at the
    same rule; problems found before the checks (YAML, schema) have none.
    """

    path: Path
    line: int
    message: str
    severity: Severity = Severity.ERROR
    # Not compared: sorting and de-duplicating stay as they were, and None never meets a str.
    rule: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        tag = f"[{self.rule}] " if self.rule else ""
        return f"{self.path}:{self.line}: {self.severity}: {tag}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class Rule:
    """One check with a stable id, a one-line summary for the docs and its severity.

    The severity lives here, not at each place a problem is raised, so a rule
    cannot be an error in one spot and a warning in another.
    """

    id: str
    summary: str
    severity: Severity = Severity.ERROR
    #: While this rule fails, the rules that follow paths wait: they would walk a broken graph.
    stops: bool = False
    #: This rule follows paths through the graph, so it waits until the rules that stop pass.
    follows_paths: bool = False

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} must look like 'S-red-flag-urgent'")
        if self.stops and self.kind is not RuleKind.INTEGRITY:
            raise ValueError(f"rule {self.id!r}: only an integrity rule may stop the rules that follow paths")

    @property
    def kind(self) -> RuleKind:
        return RuleKind(self.id[0])

    def problem(self, path: Path, line: int, message: str) -> Problem:
        return Problem(path, line, message, self.severity, self.id)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]
