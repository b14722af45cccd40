"""Notification e-mail. Never any medical content: only that there is news, and a link.

Without ``VOORDEUR_SMTP_HOST`` nothing is sent; the status page always works.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any


def send(settings: dict[str, Any], *, to: str, subject: str, body: str) -> bool:
    """Send one plain-text message. Returns False when no mail server is configured."""
    host = settings.get("SMTP_HOST")
    if not host:
        return False
    message = EmailMessage()
    message["From"] = settings["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(host, settings["SMTP_PORT"], timeout=10) as smtp:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls()
        if settings.get("SMTP_USERNAME"):
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"] or "")
        smtp.send_message(message)
    return True
