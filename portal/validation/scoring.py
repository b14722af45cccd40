"""Scoring a validation round: each played vignette against its expected and acceptable destinations.

Definitions (docs/safety/validation.md explains them for readers of the report):

- *appropriate*: the run reached ``expected_nl`` or one of ``acceptable_nl``;
- *under-triage*: not appropriate, and less urgent than ``expected_nl`` (by ``RANK``);
  *over-triage*: not appropriate, and more urgent; *sideways*: not appropriate at the
  same rank (self-care instead of the social domain, or the other way round);
  *not finished*: the run has no outcome; it counts as not appropriate;
- *emergencies*: vignettes whose ``expected_nl`` is ``112_or_huisartsenpost_now``; *caught*
  when the run reached it or a destination its ``acceptable_nl`` names;
- *needed a doctor today or sooner, got none*: ``expected_nl`` is now or today, the run is not
  appropriate, and it ended at self-care or the social domain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .destinations import DOCTOR_TODAY_OR_SOONER, NO_DOCTOR, RANK, Destination, destination
from .vignettes import Vignette

#: The targets of issue 10 on the development set.
TARGET_APPROPRIATE = 0.90
TARGET_OVER_TRIAGE = 0.15


@dataclass(frozen=True)
class PlayedRun:
    """What the routing log says about one run: enough to score it, nothing about the person."""

    run_id: str
    tree_id: str
    tree_version: int
    prelude_version: int
    route: str | None
    urgency: str | None
    outcome_node: str | None = None
    validation_round: str | None = None


@dataclass(frozen=True)
class Scored:
    vignette: Vignette
    run: PlayedRun

    @property
    def reached(self) -> Destination:
        return destination(self.run.route, self.run.urgency)

    @property
    def appropriate(self) -> bool:
        return self.vignette.appropriate(self.reached)

    @property
    def verdict(self) -> str:
        """``appropriate``, ``under``, ``over``, ``sideways`` or ``not_finished``."""
        reached = self.reached
        if self.appropriate:
            return "appropriate"
        if reached is Destination.NOT_FINISHED:
            return "not_finished"
        difference = RANK[reached] - RANK[self.vignette.expected]
        return "under" if difference > 0 else "over" if difference < 0 else "sideways"


@dataclass
class Tally:
    """Counts over a set of scored vignettes (all, one tree, one tree version)."""

    n: int = 0
    appropriate: int = 0
    exact: int = 0
    under: int = 0
    over: int = 0
    sideways: int = 0
    not_finished: int = 0
    emergencies: int = 0
    emergencies_now: int = 0  # reached 112_or_huisartsenpost_now itself
    emergencies_caught: int = 0  # … or a destination acceptable_nl names
    doctor_needed_got_none: int = 0

    def add(self, scored: Scored) -> None:
        self.n += 1
        reached, vignette = scored.reached, scored.vignette
        self.appropriate += scored.appropriate
        self.exact += reached == vignette.expected
        verdict = scored.verdict
        if verdict != "appropriate":
            setattr(self, verdict, getattr(self, verdict) + 1)
        if vignette.expected is Destination.NOW:
            self.emergencies += 1
            self.emergencies_now += reached is Destination.NOW
            self.emergencies_caught += scored.appropriate
        if vignette.expected in DOCTOR_TODAY_OR_SOONER and not scored.appropriate and reached in NO_DOCTOR:
            self.doctor_needed_got_none += 1

    def share(self, count: int) -> float | None:
        return count / self.n if self.n else None


@dataclass(frozen=True)
class Target:
    name: str
    met: bool
    value: str


@dataclass(frozen=True)
class RoundScore:
    scored: tuple[Scored, ...]
    total: Tally
    per_tree: dict[str, Tally]
    per_version: dict[tuple[str, int], Tally]
    confusion: Counter[tuple[Destination, Destination]]
    errors: tuple[str, ...] = ()  # a result that could not be scored: the round is incomplete
    warnings: tuple[str, ...] = ()
    not_played: tuple[str, ...] = ()  # vignettes without an entry in the results file
    tree_versions: dict[str, set[int]] = field(default_factory=dict)
    prelude_versions: set[int] = field(default_factory=set)

    def targets(self) -> list[Target]:
        """Issue 10's targets, each met or not, on the scored vignettes."""
        total = self.total
        appropriate = total.share(total.appropriate)
        over = total.share(total.over)
        return [
            Target(
                "appropriate ≥ 90 %",
                appropriate is not None and appropriate >= TARGET_APPROPRIATE,
                f"{total.appropriate}/{total.n}",
            ),
            Target(
                "every 112_or_huisartsenpost_now case caught",
                total.emergencies_caught == total.emergencies,
                f"{total.emergencies_caught}/{total.emergencies}",
            ),
            Target(
                "no case that needs a doctor today or sooner ends at self-care",
                total.doctor_needed_got_none == 0,
                str(total.doctor_needed_got_none),
            ),
            Target("over-triage ≤ 15 %", over is not None and over <= TARGET_OVER_TRIAGE, f"{total.over}/{total.n}"),
        ]


def score(
    vignettes: Sequence[Vignette],
    results: Mapping[str, str | None],
    runs: Mapping[str, PlayedRun],
) -> RoundScore:
    """Score every vignette that has a run. ``runs`` holds the runs found in the routing log.

    A result that cannot be scored is an error that names its vignette (no run id, a run
    id the routing log does not know, a vignette the file does not have); a vignette the
    results do not mention is listed as not played.
    """
    by_id = {v.id: v for v in vignettes}
    errors = [
        f"vignette {vignette_id}: in the results, but not in the vignette file"
        for vignette_id in results
        if vignette_id not in by_id
    ]
    warnings: list[str] = []
    scored: list[Scored] = []
    for vignette in vignettes:
        if vignette.id not in results:
            continue
        run_id = results[vignette.id]
        if run_id is None:
            errors.append(f"vignette {vignette.id}: no run id recorded")
            continue
        run = runs.get(run_id)
        if run is None:
            errors.append(f"vignette {vignette.id}: run '{run_id}' is not in the routing log")
            continue
        if run.validation_round is None:
            warnings.append(
                f"vignette {vignette.id}: run '{run_id}' was not played in a validation session "
                "(it counts in the evaluation figures)"
            )
        scored.append(Scored(vignette, run))
    return _tally(scored, errors, warnings, [v.id for v in vignettes if v.id not in results])


def _tally(scored: list[Scored], errors: list[str], warnings: list[str], not_played: list[str]) -> RoundScore:
    total = Tally()
    per_tree: dict[str, Tally] = {}
    per_version: dict[tuple[str, int], Tally] = {}
    confusion: Counter[tuple[Destination, Destination]] = Counter()
    tree_versions: dict[str, set[int]] = {}
    for item in scored:
        run = item.run
        total.add(item)
        per_tree.setdefault(run.tree_id, Tally()).add(item)
        per_version.setdefault((run.tree_id, run.tree_version), Tally()).add(item)
        confusion[(item.vignette.expected, item.reached)] += 1
        tree_versions.setdefault(run.tree_id, set()).add(run.tree_version)
    return RoundScore(
        scored=tuple(scored),
        total=total,
        per_tree=dict(sorted(per_tree.items())),
        per_version=dict(sorted(per_version.items())),
        confusion=confusion,
        errors=tuple(errors),
        warnings=tuple(warnings),
        not_played=tuple(not_played),
        tree_versions=tree_versions,
        prelude_versions={item.run.prelude_version for item in scored},
    )
