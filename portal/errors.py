"""Friendly error pages in the patient's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _page(title: str, message: str, status: int):  # type: ignore[no-untyped-def]
    return render_template("error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(
            _("Please try again"),
            _("The page was open for a long time or cookies are blocked. Go back, reload the page and send it again."),
            400,
        )

    @app.errorhandler(404)
    def not_found(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(_("Page not found"), _("This page does not exist (any more)."), 404)

    @app.errorhandler(413)
    def too_large(_error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(_("Too much at once"), _("What you sent is too large. Please send less."), 413)

    @app.errorhandler(500)
    def server_error(_error: Exception):  # type: ignore[no-untyped-def]
        return _page(
            _("Something went wrong"),
            _("Sorry, something went wrong on our side. In an emergency, always call 112."),
            500,
        )
