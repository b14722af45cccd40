"""``voordeur validate``: validation rounds, scoring and replay (a thin layer over ``portal.validation``).

    voordeur validate session --practice de-linde --label "ronde 2026-12-01"   # prints the start URL
    voordeur validate rounds | close ROUND
    voordeur validate VIGNETTES.yaml RESULTS.yaml [--out report.md]           # score a round
    voordeur validate --replay [VIGNETTES.yaml RESULTS.yaml]                   # walk recorded answers again

The method and how to read the figures: docs/safety/validation.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from .cli import reads_content

COMMANDS_FIRST = ("session", "rounds", "close", "score")


class _ScoreByDefault(click.Group):
    """``voordeur validate FILES…`` and ``voordeur validate --replay`` mean ``voordeur validate score …``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["score", *args]
        return super().parse_args(ctx, args)


@click.group("validate", cls=_ScoreByDefault, no_args_is_help=True)
def validate_group() -> None:
    """Validation rounds: start one for blind readers, score it, replay it against the current trees."""


def _db():
    from .storage.db import open_db

    return open_db(current_app.config["VOORDEUR"]["DATABASE"])


@validate_group.command("session")
@click.option("--practice", required=True, help="Slug of the practice whose start page the readers use.")
@click.option("--label", required=True, help='What the round is, e.g. "ronde 2026-12-01" (no reader names).')
@click.option("--days", type=click.IntRange(1, 90), default=14, show_default=True, help="How long the link works.")
@click.option(
    "--base-url",
    help="Address of the running portal (default: the PUBLIC_URL setting, else http://127.0.0.1:5000).",
)
@with_appcontext
def session_command(practice: str, label: str, days: int, base_url: str | None) -> None:
    """Create a validation round and print its start URL for the readers."""
    from . import clock
    from .patient.validation import start_token
    from .storage.practices import get_practice
    from .storage.validation import create_round

    db = _db()
    try:
        if get_practice(db, practice) is None:
            raise click.ClickException(f"there is no practice '{practice}' (see `voordeur practices list`)")
        if not label.strip():
            raise click.ClickException("give the round a label, e.g. --label 'ronde 2026-12-01'")
        found = create_round(db, practice=practice, label=label.strip(), now=clock.now(), days=days)
    finally:
        db.close()
    base = (base_url or current_app.config["VOORDEUR"].get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    token = start_token(found.id, current_app.config["SECRET_KEY"])
    with current_app.test_request_context(base_url=base):
        url = url_for("patient.join_round", practice_slug=practice, token=token, _external=True)
    click.echo(f"Round {found.id} ({found.label}) for {practice}, open until {found.expires_at} UTC.")
    click.echo("Every triage started in a browser session that opened this link is marked and left out of")
    click.echo("the evaluation figures. Readers start each story afresh with this link:")
    click.echo(url)


@validate_group.command("rounds")
@with_appcontext
def rounds_command() -> None:
    """List the validation rounds with their runs started and finished."""
    from .storage.validation import list_rounds

    db = _db()
    try:
        for found, started, finished in list_rounds(db):
            state = f"closed {found.closed_at}" if found.closed_at else f"open until {found.expires_at}"
            click.echo(
                f"{found.id}  {found.practice}  {found.label!r}  {state}  {started} started, {finished} finished"
            )
    finally:
        db.close()


@validate_group.command("close")
@click.argument("round_id")
@with_appcontext
def close_command(round_id: str) -> None:
    """Close a round: its link stops working; its runs stay marked."""
    from . import clock
    from .storage.validation import close_round

    db = _db()
    try:
        if not close_round(db, round_id, clock.now()):
            raise click.ClickException(f"there is no open round '{round_id}' (see `voordeur validate rounds`)")
    finally:
        db.close()
    click.echo(f"Round {round_id} closed.")


@validate_group.command("score")
@click.argument("vignettes", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("results", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the Markdown report here.")
@click.option("--replay", is_flag=True, help="Walk the recorded answers again through the current trees.")
@click.option("--round", "round_id", help="With --replay and no files: only this round's runs.")
@click.option("--title", help="Title of the report (default: the round's label).")
@with_appcontext
@reads_content
def score_command(
    vignettes: Path | None,
    results: Path | None,
    out: Path | None,
    replay: bool,
    round_id: str | None,
    title: str | None,
) -> None:
    """Score a round (VIGNETTES RESULTS), or with --replay check recorded runs against the current trees.

    RESULTS maps each vignette id to the run id its reader recorded (d001: RUN_ID). Exits 1 when a
    result cannot be scored (each is named), or when a replay turns an appropriate vignette into a
    not appropriate one.
    """
    from . import clock
    from .validation.vignettes import ValidationFileError, load_results, load_vignettes

    if (vignettes is None) != (results is None) or (vignettes is None and not replay):
        raise click.UsageError("give both VIGNETTES and RESULTS (only --replay works without them)")
    try:
        stories = load_vignettes(vignettes) if vignettes else None
        recorded = load_results(results) if results else None
    except ValidationFileError as exc:
        for problem in exc.problems:
            click.echo(f"Error: {exc.path}: {problem}", err=True)
        sys.exit(2)
    db = _db()
    try:
        if replay:
            text, lines, failed = _replay(db, stories, recorded, round_id)
        else:
            assert stories is not None and recorded is not None and vignettes and results
            text, lines, failed = _score(
                db, stories, recorded, title, clock.local().date().isoformat(), vignettes, results
            )
    finally:
        db.close()
    if out is not None:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
    for line in lines:
        click.echo(line, err=True)
    if failed:
        sys.exit(1)


def _played(db, run_ids: list[str]) -> dict:
    """The runs the routing log has, as the scorer sees them; their paths are recorded on the way."""
    from .storage.validation import runs
    from .validation.scoring import PlayedRun

    found = runs(db, run_ids)
    _keep_paths(db, list(found.values()))
    return {
        run_id: PlayedRun(
            run_id=run.id,
            tree_id=run.tree_id,
            tree_version=run.tree_version,
            prelude_version=run.prelude_version,
            route=run.route,
            urgency=run.urgency,
            outcome_node=run.outcome_node,
            validation_round=run.validation_round,
        )
        for run_id, run in found.items()
    }


def _keep_paths(db, runs: list) -> None:
    """Record what each reader saw while the tree version they played is still live (replay needs it)."""
    from .rulebook import live_trees
    from .storage.validation import save_path
    from .validation.replay import snapshot

    trees = live_trees()
    for run in runs:
        tree = trees.get(run.tree_id)
        if run.validation_round is None or run.outcome_node is None or tree is None:
            continue
        if (tree.version, tree.prelude.version) != (run.tree_version, run.prelude_version):
            continue
        pages = snapshot(tree, run.answers)
        if pages is not None:
            save_path(db, run.id, run.tree_version, run.prelude_version, [list(p) for p in pages])


def _score(db, stories, recorded, title, today: str, vignettes: Path, results: Path) -> tuple[str, list[str], bool]:
    """The report, the lines for the operator (summary, warnings, errors), and whether a result failed."""
    from .storage.validation import get_round
    from .validation.report import markdown
    from .validation.scoring import score

    played = _played(db, [run_id for run_id in recorded.values() if run_id])
    result = score(stories, recorded, played)
    if title is None:
        rounds = {p.validation_round for p in played.values() if p.validation_round}
        labels = sorted(r.label for r in (get_round(db, round_id) for round_id in rounds) if r)
        title = ", ".join(labels) or results.name
    text = markdown(result, title=title, made_on=today, vignettes_file=str(vignettes), results_file=str(results))
    total = result.total
    summary = (
        f"Scored {total.n} vignettes: {total.appropriate} appropriate, emergencies caught "
        f"{total.emergencies_caught}/{total.emergencies}, under-triage {total.under}, over-triage {total.over}."
    )
    lines = [summary, *(f"Warning: {w}" for w in result.warnings), *(f"Error: {e}" for e in result.errors)]
    return text, lines, bool(result.errors)


def _replay(db, stories, recorded, round_id: str | None) -> tuple[str, list[str], bool]:
    """The replay table, the lines for the operator, and whether it failed (an unknown run, a regression)."""
    from .rulebook import live_trees
    from .storage.validation import paths, runs, validation_run_ids
    from .validation.destinations import destination
    from .validation.replay import MOVED, NEW_PLAY, SAME, Recorded, replay
    from .validation.report import table

    if recorded is not None:
        labelled = {run_id: vignette_id for vignette_id, run_id in recorded.items() if run_id}
    else:
        labelled = {run_id: run_id for run_id in validation_run_ids(db, round_id)}
    found = runs(db, list(labelled))
    _keep_paths(db, list(found.values()))
    seen = paths(db, list(found))
    by_id = {v.id: v for v in stories or ()}
    trees = live_trees()
    rows, regressions, counts = [], [], {SAME: 0, MOVED: 0, NEW_PLAY: 0}
    missing = [
        f"Error: {name}: run '{run_id}' is not in the routing log"
        for run_id, name in labelled.items()
        if run_id not in found
    ]
    for run_id, name in labelled.items():
        run = found.get(run_id)
        if run is None:
            continue
        outcome = replay(
            trees.get(run.tree_id),
            Recorded.of(run, seen.get(run.id)),
        )
        counts[outcome.status] += 1
        before = destination(run.route, run.urgency)
        after = destination(outcome.route, outcome.urgency) if outcome.status != NEW_PLAY else None
        verdict = ""
        vignette = by_id.get(name)
        if vignette is not None and after is not None:
            was, now = vignette.appropriate(before), vignette.appropriate(after)
            verdict = f"{'appropriate' if was else 'not appropriate'} → {'appropriate' if now else 'not appropriate'}"
            if was and not now:
                regressions.append(f"Regression: {name} was appropriate ({before.value}), now {after.value}")
        current = trees.get(run.tree_id)
        rows.append(
            [
                name,
                f"{run.tree_id} v{run.tree_version}" + (f" → v{current.version}" if current else " (removed)"),
                {SAME: "same outcome", MOVED: "outcome moved", NEW_PLAY: "needs a new blind play"}[outcome.status],
                before.value + (f" → {after.value}" if after is not None and after != before else ""),
                verdict or "–",
                outcome.reason or "–",
            ]
        )

    lines = [
        "# Replay of validation runs against the current trees",
        "",
        f"{len(rows)} runs: {counts[SAME]} same outcome, {counts[MOVED]} outcome moved, "
        f"{counts[NEW_PLAY]} need a new blind play. Method: docs/safety/validation.md (Replay).",
        "",
        *table(
            ["vignette" if recorded is not None else "run", "tree", "replay", "destination", "vignette", "why"], rows
        ),
    ]
    return "\n".join(lines) + "\n", [*missing, *regressions], bool(missing or regressions)
