"""The ``voordeur`` command: a Flask CLI group over the library functions.

Every command is a thin layer: parse options, call a function that the tests
also call, print what happened.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .vocabulary import Role

F = TypeVar("F", bound=Callable[..., Any])


def _create_app() -> Flask:
    """The app a command runs in, made without its content: that is loaded on first use
    (``portal.contentlib.init_app`` says why), or first thing by a command marked ``reads_content``."""
    from . import create_app
    from .config import ConfigError
    from .contentlib import ON_FIRST_USE

    try:
        return create_app({ON_FIRST_USE: True})
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def reads_content(command: F) -> F:
    """Mark a command (below ``with_appcontext``) that reads the trees, pages or social maps: its
    app loads and checks them, logging each refused file, before the command starts, as every
    command's app did when it was made. Commands without the mark get them on first use, if at all."""

    @wraps(command)
    def load_first(*args: Any, **kwargs: Any) -> Any:
        from .contentlib import load

        load(current_app._get_current_object())  # type: ignore[attr-defined]
        return command(*args, **kwargs)

    return load_first  # type: ignore[return-value]


def _db():
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
    _record_shipped_content()


def _record_shipped_content() -> None:
    """Publish new and changed shipped tree and page files as versions (``portal.editor.commands``)."""
    from .editor.commands import echo_recorded, record_shipped

    db = _db()
    try:
        echo_recorded(record_shipped(db))
    finally:
        db.close()


@click.command("demo")
@click.option("--sessions", type=int, default=0, help="Also add this many synthetic triages (for evaluation).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed for the synthetic triages.")
@with_appcontext
@reads_content
def demo_command(sessions: int, seed: int) -> None:
    """Migrate and load the demo practices (idempotent); --sessions adds synthetic routing data."""
    import time

    from .demo import load_demo

    path = current_app.config["VOORDEUR"]["DATABASE"]
    migrate_database(path)
    _record_shipped_content()
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


def _synthetic(db, practices: list[str], sessions: int, seed: int) -> None:
    from .evaluation.synthetic import ROW_COLUMNS, generate
    from .rulebook import rules
    from .storage import stats

    trees = rules().trees
    rows = generate(trees, practices, sessions, end=date.today(), seed=seed)
    # Straight into the routing log, each day rolled up as soon as it is complete.
    with click.progressbar(length=sessions, label="Synthetic triages") as bar:
        stats.bulk_load(db, ROW_COLUMNS, rows, progress=bar.update)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date for review-date warnings.")
@with_appcontext
@reads_content
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
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="assistant: the inbox; practice_manager: the inbox and the reply templates; editor: the workbench; "
    "evaluator: the evaluation dashboards; admin: all of these and the audit log.",
)
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
            password_hash = hash_password(password, user_inputs=(email, name))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        staff = create_staff(
            db,
            email=email,
            name=name,
            role=role,
            practices=list(practices),
            password_hash=password_hash,
            must_change_password=not password_stdin,
        )
    finally:
        db.close()
    click.echo(f"Created {staff.email} ({staff.role}) for {', '.join(staff.practices)}")
    if not password_stdin:
        click.echo(f"One-time password (shown once; it must be changed at the first login): {password}")


def _staff_or_fail(db, email: str):
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
    from .storage import audit, sessions
    from .storage.staff import set_active

    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        set_active(db, staff.id, False)
        sessions.end_all(db, staff.id, reason="disabled", now=datetime.now(UTC))
        audit.append(db, action="admin:disable", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"Disabled {email}")


@users_group.command("reset-2fa")
@click.argument("email")
@with_appcontext
def users_reset_2fa_command(email: str) -> None:
    """Remove the second factor: the account enrols a new one at its next login; its sessions end."""
    from .storage import audit, sessions
    from .storage.staff import reset_totp

    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        reset_totp(db, staff.id)
        sessions.end_all(db, staff.id, reason="2fa-reset", now=datetime.now(UTC))
        audit.append(db, action="admin:reset-2fa", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"Second factor of {email} removed; it is set up again at the next login")


@users_group.command("reset-password")
@click.argument("email")
@with_appcontext
def users_reset_password_command(email: str) -> None:
    """Give an account a new one-time password (shown once, changed at the next login); its sessions
    end and its second factor stays."""
    import secrets

    from .staff.credentials import hash_password
    from .storage import audit, sessions
    from .storage.staff import set_password_hash

    password = secrets.token_urlsafe(12)
    db = _db()
    try:
        staff = _staff_or_fail(db, email)
        set_password_hash(db, staff.id, hash_password(password), must_change=True)
        sessions.end_all(db, staff.id, reason="password-reset", now=datetime.now(UTC))
        audit.append(db, action="admin:reset-password", staff_id=staff.id, result="cli")
    finally:
        db.close()
    click.echo(f"New one-time password for {email} (shown once; it must be changed at the next login): {password}")


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
    """Check the keyed hash chain and the checkpoints: exits 1 when a row was changed or removed."""
    from .storage.audit import verify

    settings = current_app.config["VOORDEUR"]
    db = _db()
    try:
        problems = verify(db, key=settings["AUDIT_KEY"], checkpoint_file=settings["AUDIT_CHECKPOINT_FILE"])
        count = next(iter(db.query("SELECT count(*) AS n FROM audit_log")))["n"]
    finally:
        db.close()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo(f"The audit log is intact ({count} rows)")


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Append the chain's head to VOORDEUR_AUDIT_CHECKPOINT_FILE when it moved (cron-safe)."""
    from .storage.audit import checkpoint

    path = current_app.config["VOORDEUR"]["AUDIT_CHECKPOINT_FILE"]
    db = _db()
    try:
        written = checkpoint(db, checkpoint_file=path)
    finally:
        db.close()
    if written is None:
        click.echo(f"Audit checkpoint: nothing new since the last line of {path}")
    else:
        click.echo(f"Audit checkpoint: row {written[0]} {written[1]} appended to {path}")


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Mark triages without recent activity as abandoned, drop old rate-limit counters and photos of
    request forms never sent, and bring the evaluation rollups up to date (cron-safe)."""
    from .patient.ownership import PROOF_HOURS as PENDING_PHOTO_HOURS  # the form cannot be sent after that
    from .storage import photos as photo_store
    from .storage import stats, throttle
    from .storage.routing import sweep_abandoned

    minutes = current_app.config["VOORDEUR"]["ABANDON_AFTER_MINUTES"]
    db = _db()
    try:
        now = datetime.now(UTC)
        count = sweep_abandoned(db, now, timedelta(minutes=minutes))
        throttle.sweep(db, now)
        # Photos on a request form that was never sent: gone once the form could no longer be sent.
        unsent = photo_store.sweep_pending(db, now - timedelta(hours=PENDING_PHOTO_HOURS))
        # Here, off the web workers: the dashboard then finds at most a quarter of an hour of changes.
        days = stats.refresh(db)
    finally:
        db.close()
    click.echo(f"Marked {count} triage(s) as abandoned")
    click.echo(f"Removed {unsent} photo(s) of request forms never sent")
    click.echo(f"Evaluation rollups: {len(days)} changed day(s) recomputed")


@click.command("export-aggregates")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to.")
@click.option("--instance", "instance_id", required=True, help="This instance's id: a-z, 0-9 and hyphens.")
@click.option("--instance-name", help="A readable name for this instance (default: the id).")
@with_appcontext
def export_aggregates_command(out: Path, instance_id: str, instance_name: str | None) -> None:
    """Write this instance's anonymous aggregates (month x practice, small numbers hidden) as Parquet
    into OUT, for combining several instances in DuckDB (portal/evaluation/duckdb/voordeur.sql)."""
    from .evaluation.aggregates import INSTANCE_ID, Instance, export

    if not INSTANCE_ID.fullmatch(instance_id):
        raise click.BadParameter("use lower-case letters, digits and hyphens", param_hint="--instance")
    db = _db()
    try:
        written = export(db, out, Instance(instance_id, instance_name or instance_id))
    finally:
        db.close()
    for name, rows in written.items():
        click.echo(f"{out / name}: {rows} rows")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn sync workers")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM): serve HTTPS.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM).")
@with_appcontext
@reads_content
def serve_command(host: str, port: int, workers: int, certfile: str | None, keyfile: str | None) -> None:
    """Migrate, then serve the portal with gunicorn (sync workers); HTTPS with --certfile and --keyfile."""
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together")
    from gunicorn.app.base import BaseApplication

    # Migrations run here, in one process, before any worker exists.
    migrate_database(current_app.config["VOORDEUR"]["DATABASE"])
    _record_shipped_content()
    from .warm import compile_templates

    # Every template compiled once, here: each worker forked from this process (at the start and
    # at every restart) loads the bytecode instead of compiling it again (portal/warm.py).
    compile_templates(current_app._get_current_object())  # type: ignore[attr-defined]
    from .hours import load_holidays

    # The holidays package's country tables, loaded here once instead of by each worker's first outcome page.
    load_holidays(datetime.now().year)
    from .staff.credentials import prepare

    # The password checker's word lists and the hash a login with an unknown e-mail address is checked
    # against (~0.9 s of CPU): made here once, so no worker's first login pays for them.
    prepare()

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "accesslog": None,  # URLs carry triage ids: no access log by default
                "control_socket_disable": True,
            }
            if certfile:
                options.update(certfile=certfile, keyfile=keyfile)
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # A fresh app per worker, outside this command's app context: serving
            # the CLI's app would share one pushed context, and so one ``g``
            # (CSRF token, database connection), between all requests.
            from . import create_app
            from .warm import warm_up

            app = create_app()
            warm_up(app)  # templates compiled and start-up objects frozen before the first request
            return app

    scheme = "https" if certfile else "http"
    click.echo(f"Voordeur is serving on {scheme}://{host}:{port}/ (press Ctrl+C to stop)")
    Server().run()


@click.command("outbox")
@click.option("--watch", is_flag=True, help="Keep running and deliver every INTERVAL seconds (a Procfile worker).")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(min=1), help="Seconds between runs.")
@click.option("--status", "show_status", is_flag=True, help="Only show how much mail waits; send nothing.")
@with_appcontext
def outbox_command(watch: bool, interval: int, show_status: bool) -> None:
    """Send the queued e-mail that is due, each message once (cron-safe, also when runs overlap).

    A failed message is tried again after 1, 2, 4 … minutes and given up after 10 attempts.
    """
    from .mail import deliver_due
    from .storage import outbox

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    db = _db()
    try:
        if show_status:
            for key, value in outbox.stats(db, datetime.now(UTC)).items():
                click.echo(f"{key}\t{value}")
            return
        if not app.config["VOORDEUR"]["SMTP_HOST"]:
            waiting = outbox.pending_count(db)
            click.echo(f"No mail server configured (VOORDEUR_SMTP_HOST is not set): nothing sent, {waiting} waiting")
            return
        stop = _stop_signal() if watch else None
        while True:
            summary = deliver_due(app, db, datetime.now(UTC))
            if not watch or summary.sent or summary.failed or summary.gave_up:
                click.echo(str(summary))
            if stop is None or stop.wait(interval):
                break
    finally:
        db.close()


def _stop_signal():
    """An event that SIGTERM/SIGINT set: a worker stops between runs, never halfway through a message."""
    import signal
    import threading

    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_args: stop.set())
    return stop


def init_app(app: Flask) -> None:
    from .editor.commands import content_group
    from .validation_commands import validate_group

    for command in (
        validate_group,
        content_group,
        migrate_command,
        demo_command,
        lint_command,
        sweep_command,
        export_aggregates_command,
        serve_command,
        practices_group,
        users_group,
        purge_command,
        audit_group,
        outbox_command,
    ):
        app.cli.add_command(command)


cli = FlaskGroup(create_app=_create_app, help="Voordeur — the digital front door of a GP practice.")


def main() -> None:
    cli(prog_name="voordeur")


if __name__ == "__main__":
    main()
