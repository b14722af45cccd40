"""The ``voordeur`` command: a Flask CLI group over the library functions.

Every command is a thin layer: parse options, call a function that the tests
also call, print what happened.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from . import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def _db():  # type: ignore[no-untyped-def]
    from .storage.db import open_db

    return open_db(current_app.config["VOORDEUR"]["DATABASE"])


def migrate_database(db_path: str) -> list[str]:
    from .storage.db import open_db
    from .storage.migrations import migrate

    db = open_db(db_path)
    try:
        return migrate(db)
    finally:
        db.close()


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply pending database migrations (run before starting workers)."""
    path = current_app.config["VOORDEUR"]["DATABASE"]
    applied = migrate_database(path)
    click.echo(f"Database {path}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Migrate and load the demo practices. Running it twice gives the same data."""
    from .demo import load_demo

    path = current_app.config["VOORDEUR"]["DATABASE"]
    migrate_database(path)
    db = _db()
    try:
        slugs = load_demo(db)
    finally:
        db.close()
    click.echo(f"Demo practices in {path}: {', '.join(slugs)}")


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date for review-date warnings.")
@with_appcontext
def lint_command(paths: tuple[Path, ...], today: datetime | None) -> None:
    """Check triage files: schema, references, reachability, cases, translations.

    Prints every problem as file:line: message. Exits 1 when there are errors.
    """
    from .triage.problems import errors
    from .triage.rules import lint

    targets = list(paths) or [Path(current_app.config["VOORDEUR"]["RULES_DIR"])]
    problems = lint(targets, (today.date() if today else date.today()))
    for problem in problems:
        click.echo(str(problem))
    failed = errors(problems)
    warnings = len(problems) - len(failed)
    click.echo(f"{len(failed)} error(s), {warnings} warning(s)", err=True)
    if failed:
        sys.exit(1)


@click.group("practices")
def practices_group() -> None:
    """Manage the practices this portal serves."""


@practices_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def practices_import_command(path: Path) -> None:
    """Add or update practices from a TOML file with [[practice]] tables (idempotent)."""
    from .practice_file import read_practices
    from .storage.practices import save_practice

    practices, problems = read_practices(path)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        sys.exit(1)
    migrate_database(current_app.config["VOORDEUR"]["DATABASE"])
    db = _db()
    try:
        for practice in practices:
            save_practice(db, practice)
    finally:
        db.close()
    click.echo(f"Imported {len(practices)} practice(s): {', '.join(p.slug for p in practices)}")


@practices_group.command("list")
@with_appcontext
def practices_list_command() -> None:
    """List the practices and their URLs."""
    from .storage.practices import list_practices

    db = _db()
    try:
        for practice in list_practices(db):
            click.echo(f"{practice.slug}\t/{practice.slug}/\t{practice.name}")
    finally:
        db.close()


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Mark triages without recent activity as abandoned (safe to run from cron)."""
    from .storage.routing import sweep_abandoned

    minutes = current_app.config["VOORDEUR"]["ABANDON_AFTER_MINUTES"]
    db = _db()
    try:
        count = sweep_abandoned(db, datetime.now(UTC), timedelta(minutes=minutes))
    finally:
        db.close()
    click.echo(f"Marked {count} triage(s) as abandoned")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn sync workers")
@with_appcontext
def serve_command(host: str, port: int, workers: int) -> None:
    """Migrate, then serve the portal with gunicorn (sync workers)."""
    from gunicorn.app.base import BaseApplication

    # Migrations run here, in one process, before any worker exists.
    migrate_database(current_app.config["VOORDEUR"]["DATABASE"])

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "accesslog": None,  # URLs carry triage ids: no access log by default
                "control_socket_disable": True,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # A fresh app per worker, outside this command's app context: serving
            # the CLI's app would share one pushed context, and so one ``g``
            # (CSRF token, database connection), between all requests.
            from . import create_app

            return create_app()

    click.echo(f"Voordeur is serving on http://{host}:{port}/ (press Ctrl+C to stop)")
    Server().run()


def init_app(app: Flask) -> None:
    for command in (
        migrate_command,
        demo_command,
        lint_command,
        sweep_command,
        serve_command,
        practices_group,
    ):
        app.cli.add_command(command)


cli = FlaskGroup(create_app=_create_app, help="Voordeur — the digital front door of a GP practice.")


def main() -> None:
    cli(prog_name="voordeur")


if __name__ == "__main__":
    main()
