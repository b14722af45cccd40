"""Liveness and health for load balancers, uptime checks and the benchmark."""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import rulebook
from .storage import outbox
from .storage.db import StorageUnavailable, get_db, probe_write

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """Liveness: the process answers. No database, no files."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/healthz")
def healthz():
    """The database takes writes, trees are loaded, and how much mail waits.

    A read alone said "ok" while a full or read-only disk refused every patient's
    answer; so this writes one row, and answers 503 when it cannot.
    """
    book = rulebook.rules()
    try:
        probe_write(get_db())
    except StorageUnavailable as exc:
        return jsonify(status="unavailable", reason=str(exc)), 503, {"Retry-After": "30"}
    waiting = outbox.pending_count(get_db())
    return jsonify(status="ok", trees=len(book.trees), refused=len(book.refused()), outbox_waiting=waiting)
