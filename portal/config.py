"""One table of settings: name, default, help.

The same table feeds the app, ``docs/configuration.md`` (a test checks the
two agree) and the error an operator sees when production is misconfigured.
Order of precedence: ``test_config`` > ``VOORDEUR_*`` environment variables >
the instance config file (TOML) > defaults.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


class ConfigError(RuntimeError):
    """The configuration cannot work. The message tells the operator what to set."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "development",
        "`development` or `production`. Production refuses to start "
        "without `SECRET_KEY` and `PUBLIC_URL`, and sends cookies only over HTTPS.",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs session cookies and CSRF tokens. Required in production: "
        "a long random string, the same for every worker. In development a key is generated "
        "once and kept in the instance folder.",
    ),
    Setting("DATABASE", None, "Path of the SQLite file. Default: `voordeur.db` in the instance folder."),
    Setting(
        "RULES_DIR",
        None,
        "Folder with the triage trees. Default: `triage_rules/` of the "
        "checkout, or the copy inside the installed package.",
    ),
    Setting(
        "CONTENT_DIR",
        None,
        "Folder with the self-help pages. Default: `content/` of the "
        "checkout, or the copy inside the installed package.",
    ),
    Setting(
        "SECURE_COOKIES",
        None,
        "Send cookies only over HTTPS. Default: on in production, off in development (so http://127.0.0.1 works).",
        _bool,
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        256 * 1024,
        "Largest request body in bytes; larger requests get 413. The request form, which may carry "
        "3 photos of 10 MB, accepts up to 31 MB whatever this says.",
        int,
    ),
    Setting(
        "SESSION_MINUTES",
        60,
        "A patient's session (CSRF token, language, their own triages) ends this many minutes after their "
        "last activity.",
        int,
    ),
    Setting(
        "ABANDON_AFTER_MINUTES",
        120,
        "A triage without activity for this long is marked abandoned by `voordeur sweep`.",
        int,
    ),
    Setting("TIMEZONE", "Europe/Amsterdam", "Time zone of the practices: opening hours and 'open now' use it."),
    Setting("RULES_CHECK_SECONDS", 2.0, "How often a worker looks for changed tree files.", float),
    Setting(
        "LOGIC_AUTHORS",
        "editor,admin",
        "Roles (comma-separated) whose drafts may change a tree's clinical logic (where an answer leads, "
        "urgencies, red flags, age gates). Others may change wording only. E.g. `admin` when only the "
        "regional organisation's administrators may change logic. A logic change always needs a clinical reviewer.",
    ),
    Setting(
        "RETENTION_DAYS",
        30,
        "Days after closing that a request keeps its personal data; `voordeur purge` removes it "
        "afterwards. The anonymous routing record stays.",
        int,
    ),
    Setting(
        "REQUESTS_PER_CLIENT_HOUR",
        10,
        "Requests to a practice one client address may send per hour (e-consults, appointments, call-backs). "
        "Raise it when many patients share one address (set `PROXIES` behind a proxy first).",
        int,
    ),
    Setting("TRIAGES_PER_CLIENT_HOUR", 300, "Triages one client address may start per hour.", int),
    Setting("STEPS_PER_RUN_HOUR", 200, "Answers one triage may receive per hour (a person needs a few dozen).", int),
    Setting("STAFF_IDLE_MINUTES", 15, "Staff are logged out after this many minutes without activity.", int),
    Setting(
        "STAFF_SESSION_HOURS",
        12,
        "A staff session ends this many hours after login, however active (the idle limit also applies).",
        int,
    ),
    Setting(
        "PUBLIC_URL",
        None,
        "The portal's public address (e.g. `https://voordeur.example.nl`), used for links in e-mails. "
        "Required in production; in development the address of the request is used.",
    ),
    Setting(
        "PROXIES",
        0,
        "How many reverse proxies stand in front of the portal. With 1 or more, the client address and "
        "scheme are taken from that many `X-Forwarded-For`/`X-Forwarded-Proto` hops (rate limits and the "
        "audit log use the address). Leave 0 when clients connect directly.",
        int,
    ),
    Setting(
        "AUDIT_KEY",
        None,
        "Key of the audit log's keyed hash chain; keep it outside the database. Default: derived from "
        "`SECRET_KEY`. Set it on its own if you ever rotate `SECRET_KEY`, or old audit rows stop verifying.",
    ),
    Setting(
        "AUDIT_CHECKPOINT_FILE",
        None,
        "Append-only file that `voordeur audit checkpoint` writes the chain's head to (run it from cron); "
        "`voordeur audit verify` finds rows removed before a checkpoint. Default: "
        "`audit-checkpoints.log` in the instance folder. Keep it on other storage than the database, "
        "ideally append-only (`chattr +a`).",
    ),
    Setting(
        "SMTP_HOST",
        None,
        "Mail server for notifications. Without it no e-mail is sent; patients still see replies on their status page.",
    ),
    Setting("SMTP_PORT", 587, "Mail server port.", int),
    Setting("SMTP_USERNAME", None, "Mail server user name, if it needs one."),
    Setting("SMTP_PASSWORD", None, "Mail server password, if it needs one."),
    Setting("SMTP_STARTTLS", True, "Use STARTTLS with the mail server.", _bool),
    Setting("MAIL_FROM", "voordeur@localhost", "Sender address of notifications."),
    Setting(
        "CONFIG",
        None,
        "Path of a TOML file with any of these settings (names without the "
        "`VOORDEUR_` prefix). Default: `voordeur.toml` in the instance folder, if it exists.",
    ),
)

ENV_PREFIX = "VOORDEUR_"


def load_settings(
    instance_path: Path, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve every setting. Raises ConfigError when production lacks a secret key."""
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    file_values = _read_config_file(instance_path, environ, overrides)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = overrides.get(setting.name, environ.get(ENV_PREFIX + setting.name))
        if raw is None:
            raw = file_values.get(setting.name, setting.default)
        values[setting.name] = None if raw is None else setting.parse(raw)
    _apply_defaults(values, instance_path)
    return values


def _read_config_file(instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> dict:
    configured = overrides.get("CONFIG") or environ.get(ENV_PREFIX + "CONFIG")
    path = Path(configured) if configured else instance_path / "voordeur.toml"
    if not path.exists():
        if configured:
            raise ConfigError(f"VOORDEUR_CONFIG points to {path}, which does not exist")
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    known = {s.name for s in SETTINGS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {', '.join(unknown)}")
    return data


def _apply_defaults(values: dict[str, Any], instance_path: Path) -> None:
    production = values["ENV"] == "production"
    if values["ENV"] not in {"development", "production"}:
        raise ConfigError("VOORDEUR_ENV must be 'development' or 'production'")
    if values["SECURE_COOKIES"] is None:
        values["SECURE_COOKIES"] = production
    if values["DATABASE"] is None:
        values["DATABASE"] = str(instance_path / "voordeur.db")
    if values["RULES_DIR"] is None:
        values["RULES_DIR"] = str(data_dir("triage_rules"))
    if values["CONTENT_DIR"] is None:
        values["CONTENT_DIR"] = str(data_dir("content"))
    if not values["SECRET_KEY"]:
        if production:
            raise ConfigError(
                "Voordeur will not start in production without a secret key. Set VOORDEUR_SECRET_KEY "
                "to a long random string (for example: python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))') and use the same value for every worker."
            )
        values["SECRET_KEY"] = _development_key(instance_path)
    if production and not values["PUBLIC_URL"]:
        raise ConfigError(
            "Voordeur will not start in production without its public address: set VOORDEUR_PUBLIC_URL "
            "(for example https://voordeur.example.nl). Links in e-mails use it, never the request's Host header."
        )
    if values["PUBLIC_URL"]:
        values["PUBLIC_URL"] = values["PUBLIC_URL"].rstrip("/")
    if values["AUDIT_KEY"] is None:
        values["AUDIT_KEY"] = hashlib.sha256(b"voordeur-audit:" + values["SECRET_KEY"].encode()).hexdigest()
    if values["AUDIT_CHECKPOINT_FILE"] is None:
        values["AUDIT_CHECKPOINT_FILE"] = str(instance_path / "audit-checkpoints.log")


#: Data folders packaged under another name: ``portal/content`` is code, so ``content/`` ships as ``content_data``.
PACKAGED_AS = {"content": "content_data"}


def data_dir(name: str) -> Path:
    """A top-level data folder: the checkout's copy, else the one packaged in the wheel."""
    checkout = CHECKOUT_DIR / name
    return checkout if checkout.is_dir() else PACKAGE_DIR / PACKAGED_AS.get(name, name)


def _development_key(instance_path: Path) -> str:
    """One key per instance folder, so every gunicorn worker signs cookies alike."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


def settings_markdown_table() -> str:
    """The settings as a Markdown table, as it appears in docs/configuration.md."""
    rows = ["| Variable | Default | What it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = "—" if setting.default is None else f"`{setting.default}`"
        rows.append(f"| `{ENV_PREFIX}{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)
