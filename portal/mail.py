"""Mail delivery: the sending end of the outbox (``portal.storage.outbox``).

Views never talk SMTP: they queue a row in the same transaction as their write.
``voordeur outbox`` (cron, or the Procfile's ``worker:``) calls
:func:`deliver_due`, which claims due rows, reads the address, reference and
status token from the request *now* (a purged request is never mailed), renders
the text in the patient's language and sends it. A row is marked sent right
after the mail server accepted it, so a later run never sends it again.

The texts never hold medical content: only that a question was sent or that
there is news, the reference and the personal status link. Logs and
``last_error`` name the outbox row and the request by id, never an address.

Without ``VOORDEUR_SMTP_HOST`` nothing is queued or sent; the status page always works.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_app_context, request
from flask_babel import force_locale, get_translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from sqlite_utils import Database

from .config import data_dir
from .storage import outbox
from .triage.model import DEFAULT_LOCALE, LOCALES

log = logging.getLogger("voordeur.mail")

# Outside any request now, but a black-holed server still holds up the run (and
# the rows it claimed) this long per connection step.
SMTP_TIMEOUT_SECONDS = 10.0
BATCH = 20
_TEMPLATES = Path(__file__).parent / "templates" / "mail"


@dataclass(frozen=True)
class Letter:
    """A rendered message: plain text, in the patient's language."""

    subject: str
    body: str


@dataclass
class Summary:
    """What one delivery run did; ``pending`` counts what still waits afterwards."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    pending: int = 0

    def __str__(self) -> str:
        return (
            f"Outbox: {self.sent} sent, {self.failed} failed (tried again later), "
            f"{self.gave_up} given up; {self.pending} waiting"
        )


# --- queueing (in a view) -------------------------------------------------------------------


def order(template: str, locale: str, email: str | None) -> outbox.MailOrder | None:
    """What a view passes to ``submit()``/``reply()`` to queue a mail with its write.

    None without an address or a mail server: then nothing is queued. The link's
    base is ``VOORDEUR_PUBLIC_URL`` (required in production, so a forged Host
    header never ends up in a mail); in development, the request's own address.
    """
    settings = current_app.config["VOORDEUR"]
    if not email or not settings.get("SMTP_HOST"):
        return None
    base = settings.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return outbox.MailOrder(template=template, locale=locale, base_url=base + request.script_root)


# --- rendering -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Plain-text templates: no HTML escaping (a reference or link is not HTML)."""
    return Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=len(LOCALES))
def _packaged_catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(data_dir("translations")), [locale], "messages")


def _catalogue(locale: str) -> NullTranslations:
    """The interface catalogue for ``locale``: through Flask-Babel when an app is active
    (its configured translation folders), else the packaged one."""
    if has_app_context():
        with force_locale(locale):
            return get_translations()
    return _packaged_catalogue(locale)


def _gettext(catalogue: NullTranslations) -> Callable[..., str]:
    """``_("… %(name)s", name=value)``, as in the HTML templates (Jinja's new-style gettext)."""

    def gettext(message: str, **variables: Any) -> str:
        text = catalogue.ugettext(message)
        return text % variables if variables else text

    return gettext


def render(template: str, locale: str, *, reference: str, link: str, practice_name: str | None) -> Letter:
    """Render ``templates/mail/<template>.txt``: its first line is the subject, the rest the body."""
    if template not in outbox.TEMPLATES:
        raise ValueError(f"unknown mail template {template!r}")
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    text = (
        _environment()
        .get_template(f"{template}.txt")
        .render(_=_gettext(_catalogue(locale)), reference=reference, link=link, practice_name=practice_name)
    )
    subject, _blank, body = text.partition("\n\n")
    return Letter(subject=" ".join(subject.split()), body=body.strip() + "\n")


def status_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/status/{token}"


# --- one message -----------------------------------------------------------------------------


def _request_row(db: Database, request_id: int) -> dict[str, Any] | None:
    rows = db.query(
        "SELECT r.email, r.reference, r.status_token, r.purged_at, p.name AS practice_name "
        "FROM requests r LEFT JOIN practices p ON p.slug = r.practice WHERE r.id = ?",
        [request_id],
    )
    return next(iter(rows), None)


def _message_id(item: outbox.OutboxItem, sender: str) -> str:
    """Stable per outbox row: should a crash ever make us send twice, mail clients see one message."""
    digest = hashlib.sha256(f"{item.dedupe_key}|{item.created_at}|{item.base_url}".encode()).hexdigest()[:20]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<voordeur.{item.id}.{digest}@{domain}>"


def compose(settings: Mapping[str, Any], db: Database, item: outbox.OutboxItem, now: datetime) -> EmailMessage | str:
    """The message for this row, or why it must never be sent (a purged request has no address)."""
    row = _request_row(db, item.request_id)
    if row is None or row["purged_at"]:
        return "purged"
    if not row["email"]:
        return "no address"
    letter = render(
        item.template,
        item.locale,
        reference=row["reference"],
        link=status_link(item.base_url, row["status_token"]),
        practice_name=row["practice_name"],
    )
    message = EmailMessage()
    message["From"] = settings["MAIL_FROM"]
    message["To"] = row["email"]
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = _message_id(item, settings["MAIL_FROM"])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message["Content-Language"] = item.locale
    message.set_content(letter.body)
    return message


def describe_error(exc: BaseException) -> str:
    """What went wrong, safe to store and log: the error class and SMTP code, never the
    server's text (it often repeats the address)."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{name} {','.join(str(code) for code in sorted({c for c, _ in exc.recipients.values()}))}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} {exc.smtp_code}"
    if isinstance(exc, OSError) and exc.errno:
        return f"{name} errno {exc.errno}"
    underlying = exc.__cause__ or exc.__context__
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(underlying, OSError):
        return f"{name} ({describe_error(underlying)})"  # smtplib hides a timeout behind this one
    return name


def _refused_for_good(exc: smtplib.SMTPException) -> bool:
    """A 5xx refusal of the recipient: this address will not work, however often we try."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and all(code >= 500 for code, _ in exc.recipients.values())


# --- the connection --------------------------------------------------------------------------


def connect(settings: Mapping[str, Any]) -> smtplib.SMTP:
    """An open, authenticated SMTP connection; every step times out after SMTP_TIMEOUT_SECONDS."""
    smtp = smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings.get("SMTP_USERNAME"):
            smtp.login(settings["SMTP_USERNAME"], settings.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT politely; the messages are already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


# --- delivery --------------------------------------------------------------------------------


@contextmanager
def _context(app_or_settings: Flask | Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The settings, inside an app context when given an app (Flask-Babel needs one)."""
    if isinstance(app_or_settings, Flask):
        with app_or_settings.app_context():
            yield app_or_settings.config["VOORDEUR"]
    else:
        yield app_or_settings


def deliver_due(
    app_or_settings: Flask | Mapping[str, Any],
    db: Database,
    now: datetime,
    *,
    limit: int = BATCH,
    lease: timedelta = outbox.DEFAULT_LEASE,
) -> Summary:
    """Send every message that is due, each once; returns what happened.

    Claims ``limit`` rows at a time (concurrent runs never get the same row) and
    stops at the first batch that cannot reach the mail server: the rows wait
    for their next try instead of every row waiting out the timeout.
    """
    summary = Summary()
    with _context(app_or_settings) as settings:
        if settings.get("SMTP_HOST"):
            while items := outbox.claim_due(db, now, lease, limit=limit):
                if not _deliver_batch(settings, db, items, now, summary):
                    break
    summary.pending = outbox.pending_count(db)
    return summary


def _deliver_batch(
    settings: Mapping[str, Any], db: Database, items: list[outbox.OutboxItem], now: datetime, summary: Summary
) -> bool:
    """One connection for the batch. Returns False when the server could not be reached (or went away)."""
    ready: list[tuple[outbox.OutboxItem, EmailMessage]] = []
    for item in items:
        try:
            composed = compose(settings, db, item, now)
        except (TemplateError, ValueError) as exc:
            _failed(db, item, describe_error(exc), now, summary)
            continue
        if isinstance(composed, str):
            _give_up(db, item, composed, now, summary)
        else:
            ready.append((item, composed))
    if not ready:
        return True
    try:
        smtp = connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        for item, _message in ready:
            _failed(db, item, describe_error(exc), now, summary)
        return False
    try:
        for index, (item, message) in enumerate(ready):
            if not outbox.still_ours(db, item):
                continue  # our lease ran out and another run took it over
            try:
                smtp.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                if _refused_for_good(exc):
                    _give_up(db, item, describe_error(exc), now, summary)
                else:
                    _failed(db, item, describe_error(exc), now, summary)
            except (OSError, smtplib.SMTPException) as exc:  # the connection is gone
                for rest, _message in ready[index:]:
                    _failed(db, rest, describe_error(exc), now, summary)
                return False
            else:
                outbox.mark_sent(db, item, now)
                summary.sent += 1
                log.info("outbox %d (request %d): sent", item.id, item.request_id)
    finally:
        _hang_up(smtp)
    return True


def _failed(db: Database, item: outbox.OutboxItem, error: str, now: datetime, summary: Summary) -> None:
    if outbox.mark_failed(db, item, error=error, now=now):
        summary.gave_up += 1
        log.warning(
            "outbox %d (request %d): given up after %d attempts (%s)", item.id, item.request_id, item.attempts, error
        )
    else:
        summary.failed += 1
        log.warning("outbox %d (request %d): attempt %d failed (%s)", item.id, item.request_id, item.attempts, error)


def _give_up(db: Database, item: outbox.OutboxItem, reason: str, now: datetime, summary: Summary) -> None:
    outbox.give_up(db, item, reason=reason, now=now)
    summary.gave_up += 1
    log.info("outbox %d (request %d): given up (%s)", item.id, item.request_id, reason)
