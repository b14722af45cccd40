"""The one clock of the web layer and the commands.

Every "now" the portal acts on comes from here: UTC for what is stored, the
practices' time zone (``VOORDEUR_TIMEZONE``) for opening hours, working days
and what people read. One place to ask means one place to change (or to pin
in a test), instead of a ``_now()`` in every blueprint.
The pure cores (triage, statistics, storage) never read a clock: they are
given ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now() -> datetime:
    """This moment in UTC."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """The practices' time zone."""
    return ZoneInfo(current_app.config["VOORDEUR"]["TIMEZONE"])


def local(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) in the practices' time zone."""
    return (moment or now()).astimezone(zone())
