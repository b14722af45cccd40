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
@click.option("--sessions", type=int, default=0, help="Also add this many synthetic triages (for evaluation).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed for the synthetic triages.")
@with_appcontext
def demo_command(sessions: int, seed: int) -> None:
    """Migrate and load the demo practices (idempotent); --sessions adds synthetic routing data."""
    import time

    from .demo import load_demo

    path = current_app.config["VOORDEUR"]["DATABASE"]
    migrate_database(path)
    db = _db()
    try:
        slugs = load_demo(db)
        click.echo(f"Demo practices in {path}: {', '.join(slugs)}")
        if sessions:
            started = time.monotonic()
            _synthetic(db, slugs, sessions, seed)
            click.echo(f"Added {sessions:,} synthetic triages in {time.monotonic() - started:.1f} s")
    finally:
        db.close()


def _synthetic(db, practices: list[str], sessions: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    from .evaluation.synthetic import ROW_COLUMNS, generate
    from .rulebook import rules
    from .storage import stats
    from .storage.routing import insert_many

    trees = rules().trees
    rows = generate(trees, practices, sessions, end=date.today(), seed=seed)
    with click.progressbar(length=sessions, label="Synthetic triages") as bar:
        insert_many(db, ROW_COLUMNS, rows, progress=bar.update)
    click.echo("Rebuilding the daily statistics …")
    stats.rebuild(db)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date for review-date warnings.")
@with_appcontext
def lint_command(paths: tuple[Path, ...], today: datetime | None) -> None:
    """Check triage trees, self-help pages and social maps (all of them without PATHS).

    Prints every problem as file:line: message. Exits 1 when there are errors.
    """
    from .lint import lint_all
    from .triage.problems import errors

    settings = current_app.config["VOORDEUR"]
    rules_dir, content_dir = Path(settings["RULES_DIR"]), Path(settings["CONTENT_DIR"])
    targets = list(paths) or [rules_dir, content_dir]
    day = today.date() if today else date.today()
    problems = lint_all(targets, day, rules_dir=rules_dir, content_dir=content_dir)
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


@click.group("users")
def users_group() -> None:
    """Staff accounts: create, list, disable, reset the second factor."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["assistant", "editor", "evaluator", "admin"]))
@click.option("--practice", "practices", multiple=True, required=True, help="Repeat for several practices.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create_command(email: str, name: str, role: str, practices: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff account. Without --password-stdin a one-time password is generated and shown once.

    The second factor (TOTP) is set up at the first login.
    """
    import secrets

    from .staff.credentials import hash_password
    from .storage.practices import get_practice
    from .storage.staff import create_staff, find_staff

    db = _db()
    try:
        unknown = [p for p in practices if get_practice(db, p) is None]
        if unknown:
            raise click.ClickException(f"unknown practice(s): {', '.join(unknown)}")
        if find_staff(db, email):
            raise click.ClickException(f"{email} already has an account")
        password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        staff = create_staff(
            db, email=email, name=name, role=role, practices=list(practices), password_hash=password_hash
        )
    finally:
        db.close()
    click.echo(f"Created {staff.email} ({staff.role}) for {', '.join(staff.practices)}")
    if not password_stdin:
        click.echo(f"One-time password (shown once): {password}")


def _staff_or_fail(db, email: str):  # type: ignore[no-untyped-def]
    from .storage.staff import find_staff

    staff = find_staff(db, email)
    if staff is None:
        raise click.ClickException(f"no account for {email}")
    return staff


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def users_disable_command(email: str) -> None:
    """Disable an account: it can no longer log in; existing sessions end at once."""
    from .storage import audit
    from .storage.staff import set_active

    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        set_active(db, staff.id, False)
        audit.append(db, action="admin:disable", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"Disabled {email}")


@users_group.command("reset-2fa")
@click.argument("email")
@with_appcontext
def users_reset_2fa_command(email: str) -> None:
    """Remove the second factor: the account enrols a new one at its next login."""
    from .storage import audit
    from .storage.staff import reset_totp

    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        reset_totp(db, staff.id)
        audit.append(db, action="admin:reset-2fa", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"Second factor of {email} removed; it is set up again at the next login")


@users_group.command("reset-password")
@click.argument("email")
@with_appcontext
def users_reset_password_command(email: str) -> None:
    """Give an account a new one-time password (shown once); its second factor stays."""
    import secrets

    from .staff.credentials import hash_password
    from .storage import audit
    from .storage.staff import set_password_hash

    password = secrets.token_urlsafe(12)
    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        set_password_hash(db, staff.id, hash_password(password))
        audit.append(db, action="admin:reset-password", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"New one-time password for {email} (shown once): {password}")


@users_group.command("list")
@with_appcontext
def users_list_command() -> None:
    """List staff accounts."""
    from .storage.staff import list_staff

    db = _db()
    try:
        for staff in list_staff(db):
            state = "active" if staff.active else "disabled"
            factor = "2fa" if staff.totp_confirmed else "no 2fa yet"
            click.echo(f"{staff.email}\t{staff.role}\t{','.join(staff.practices)}\t{state}\t{factor}")
    finally:
        db.close()


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Remove personal data from requests closed longer than VOORDEUR_RETENTION_DAYS ago (cron-safe)."""
    from .storage.requests import purge_closed

    days = current_app.config["VOORDEUR"]["RETENTION_DAYS"]
    now = datetime.now(UTC)
    db = _db()
    try:
        count = purge_closed(db, now - timedelta(days=days), now)
    finally:
        db.close()
    click.echo(f"Removed personal data from {count} request(s) closed more than {days} days ago")


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the hash chain: exits 1 when a row was changed or removed."""
    from .storage.audit import verify

    db = _db()
    try:
        problems = verify(db)
        count = next(iter(db.query("SELECT count(*) AS n FROM audit_log")))["n"]
    finally:
        db.close()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo(f"The audit log is intact ({count} rows)")


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
        users_group,
        purge_command,
        audit_group,
    ):
        app.cli.add_command(command)


cli = FlaskGroup(create_app=_create_app, help="Voordeur — the digital front door of a GP practice.")


def main() -> None:
    cli(prog_name="voordeur")


if __name__ == "__main__":
    main()
