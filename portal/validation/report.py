"""A validation round as Markdown: the figures docs/safety/validation.md records for each round."""

from __future__ import annotations

from collections.abc import Iterable

from .destinations import LABELS, Destination
from .scoring import RoundScore, Tally

#: Short column names for the confusion matrix (the full names are in the legend).
SHORT = {
    Destination.NOW: "now",
    Destination.TODAY: "today",
    Destination.APPOINTMENT_OR_ECONSULT: "appt/e-consult",
    Destination.SELF_CARE: "self-care",
    Destination.SOCIAL_DOMAIN: "social",
    Destination.NOT_FINISHED: "not finished",
}


def percent(count: int, whole: int) -> str:
    return f"{count / whole:.0%}".replace("%", " %") if whole else "–"


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _tally_row(tally: Tally) -> list[object]:
    return [
        tally.n,
        f"{tally.appropriate} ({percent(tally.appropriate, tally.n)})",
        tally.exact,
        f"{tally.emergencies_caught}/{tally.emergencies}" if tally.emergencies else "–",
        tally.under,
        tally.over,
        tally.sideways,
        tally.not_finished,
    ]


TALLY_HEADER = ["n", "appropriate", "exact", "emergencies caught", "under", "over", "sideways", "not finished"]


def markdown(result: RoundScore, *, title: str, made_on: str, vignettes_file: str, results_file: str) -> str:
    """The whole report. ``made_on`` is the date it was made (the caller's clock, not this module's)."""
    total = result.total
    lines = [
        f"# Validation report: {title}",
        "",
        f"Made on {made_on} from `{vignettes_file}` and `{results_file}`. "
        "Method and definitions: docs/safety/validation.md.",
        "",
        "Tree versions played: "
        + (
            ", ".join(f"{tree} v{'/'.join(map(str, sorted(v)))}" for tree, v in sorted(result.tree_versions.items()))
            or "none"
        )
        + "; prelude v"
        + ("/".join(map(str, sorted(result.prelude_versions))) or "–")
        + ".",
        "",
        "## Summary",
        "",
        f"- Scored: {total.n} vignettes"
        + (f"; not scored: {len(result.errors)} (see Problems)" if result.errors else "")
        + (f"; not played: {len(result.not_played)}" if result.not_played else "")
        + ".",
        f"- Appropriate (expected or acceptable): {total.appropriate} of {total.n} "
        f"({percent(total.appropriate, total.n)}); "
        f"on `expected_nl` alone: {total.exact} ({percent(total.exact, total.n)}).",
        f"- Emergencies (`112_or_huisartsenpost_now`): {total.emergencies_now} of {total.emergencies} reached U1/U2; "
        f"{total.emergencies_caught} of {total.emergencies} with acceptable alternatives.",
        f"- Under-triage: {total.under} ({percent(total.under, total.n)}); over-triage: {total.over} "
        f"({percent(total.over, total.n)}); sideways: {total.sideways}; not finished: {total.not_finished}.",
        f"- Needed a doctor today or sooner but got self-care or the social domain: {total.doctor_needed_got_none}.",
        "",
        "## Targets",
        "",
        *table(
            ["target", "result", "met"],
            ([t.name, t.value, "yes" if t.met else "**no**"] for t in result.targets()),
        ),
        "",
        "## Confusion matrix",
        "",
        "Rows: `expected_nl`; columns: where the run ended. "
        + "; ".join(f"{SHORT[d]} = `{d.value}`" for d in (*LABELS, Destination.NOT_FINISHED))
        + ".",
        "",
    ]
    columns = [*LABELS, Destination.NOT_FINISHED]
    lines += table(
        ["expected \\ reached", *(SHORT[c] for c in columns), "total"],
        (
            [
                SHORT[row],
                *(result.confusion.get((row, c), 0) for c in columns),
                sum(result.confusion.get((row, c), 0) for c in columns),
            ]
            for row in LABELS
        ),
    )
    lines += ["", "## Per tree", ""]
    lines += table(["tree", *TALLY_HEADER], ([tree, *_tally_row(t)] for tree, t in result.per_tree.items()))
    lines += ["", "## Per tree version", ""]
    lines += table(
        ["tree", "version", *TALLY_HEADER],
        ([tree, version, *_tally_row(t)] for (tree, version), t in result.per_version.items()),
    )
    missed = [s for s in result.scored if not s.appropriate]
    lines += ["", "## Not appropriate", ""]
    if missed:
        lines += table(
            ["vignette", "tree", "outcome", "reached", "expected", "acceptable", "verdict"],
            (
                [
                    s.vignette.id,
                    f"{s.run.tree_id} v{s.run.tree_version}",
                    s.run.outcome_node or "–",
                    s.reached.value,
                    s.vignette.expected.value,
                    ", ".join(sorted(a.value for a in s.vignette.acceptable)) or "–",
                    s.verdict.replace("_", " "),
                ]
                for s in missed
            ),
        )
    else:
        lines.append("None.")
    if result.errors or result.warnings or result.not_played:
        lines += ["", "## Problems", ""]
        lines += [f"- Error: {e}" for e in result.errors]
        lines += [f"- Warning: {w}" for w in result.warnings]
        if result.not_played:
            lines.append(f"- Not played (no entry in the results): {', '.join(result.not_played)}")
    return "\n".join(lines) + "\n"
