"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, session

from .config import SETTINGS, load_settings
from .extensions import csrf, htmx
from .storage import audit


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints. Nothing else happens here;
    in particular no migrations (they run as their own step)."""
    app = Flask("portal", instance_relative_config=True)
    test_config = dict(test_config or {})
    setting_names = {s.name for s in SETTINGS}
    settings = load_settings(
        Path(app.instance_path), overrides={k: v for k, v in test_config.items() if k in setting_names}
    )
    audit.configure(settings["AUDIT_KEY"], settings["AUDIT_CHECKPOINT_FILE"])
    secure = settings["SECURE_COOKIES"]
    app.config.update(
        VOORDEUR=settings,
        SECRET_KEY=settings["SECRET_KEY"],
        MAX_CONTENT_LENGTH=settings["MAX_CONTENT_LENGTH"],
        SESSION_COOKIE_NAME="voordeur_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings["SESSION_MINUTES"]),
        # No time limits for patients (WCAG 2.2.1): the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=secure,
        TEMPLATES_AUTO_RELOAD=settings["ENV"] == "development",
    )
    app.config.update({k: v for k, v in test_config.items() if k not in setting_names})

    from . import cli, contentlib, errors, i18n, rulebook, security
    from .editor.routes import bp as editor_bp
    from .evaluation.routes import bp as evaluation_bp
    from .inbox.routes import bp as inbox_bp
    from .patient import requests as _patient_requests  # noqa: F401 (adds the request routes to patient_bp)
    from .patient import selfhelp as _patient_selfhelp  # noqa: F401 (adds the self-help routes to patient_bp)
    from .patient.routes import bp as patient_bp
    from .staff.routes import bp as staff_bp
    from .storage import db, outbox

    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    rulebook.init_app(app)
    contentlib.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(staff_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(evaluation_bp)
    app.register_blueprint(patient_bp)
    app.jinja_env.globals["static_url"] = _static_url
    from .patient.ownership import proof

    app.jinja_env.globals["run_proof"] = proof

    @app.before_request
    def sliding_session() -> None:
        """The session lives SESSION_MINUTES after the last request, not after the first.

        Flask re-signs a cookie on every request only for a *permanent* session; a
        plain one expired 60 minutes after it was made, however active the patient was.
        """
        session.permanent = True

    from .patient import labels

    app.jinja_env.globals["labels"] = labels

    @app.get("/livez")
    def livez():  # type: ignore[no-untyped-def]
        """Liveness: the process answers. No database, no files (also the benchmark's baseline)."""
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        """For load balancers and uptime checks: the database takes writes, trees are loaded.

        A read alone said "ok" while a full or read-only disk refused every patient's
        answer; so this writes one row, and answers 503 when it cannot.
        """
        book = rulebook.rules()
        try:
            db.probe_write(db.get_db())
        except db.StorageUnavailable as exc:
            return jsonify(status="unavailable", reason=str(exc)), 503, {"Retry-After": "30"}
        waiting = outbox.pending_count(db.get_db())
        return jsonify(status="ok", trees=len(book.trees), refused=len(book.refused()), outbox_waiting=waiting)

    return app


def _static_url(filename: str) -> str:
    """``url_for('static', ...)`` without a trip through the router (called often per page)."""
    from flask import request

    return f"{request.script_root}/static/{filename}"
