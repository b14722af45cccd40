"""Friendly error pages in the patient's language, never a stack trace.

During an htmx request the page is rendered in the partial layout, so the script can swap it
into the panel (the title, the message and the 112 advice) instead of leaving the patient
looking at a page where nothing happened.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from .storage.db import StorageUnavailable


class BadInput(BadRequest):
    """A 400 whose description is a translated message for the person who sent the request.

    Werkzeug's own 400s carry English texts meant for developers; only these are shown.
    """


def _page(title: str, message: str, status: int, headers: dict[str, str] | None = None):
    return render_template("error.html", title=title, message=message), status, headers or {}


# Patient forms whose text must survive a lost session: the CSRF check failed
# (the session lapsed or cookies were cleared), so the view renders the form again
# with what was sent. Its own CSRF validation fails too, so nothing is saved, and
# the new page carries a fresh token: pressing the button again sends it.
KEEPS_WHAT_WAS_TYPED = frozenset({"patient.begin", "patient.page", "patient.send_request"})


def _render_again():
    try:
        view = current_app.view_functions[request.endpoint]
        response = current_app.make_response(view(**(request.view_args or {})))
    except HTTPException:  # e.g. not this browser's triage: nothing to show again
        response = None
    if response is None or response.status_code < 400:  # never act on a request that failed CSRF
        return _page(_("Please try again"), _("The page was open for a long time. Go back and send it again."), 400)
    response.status_code = 400
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        if request.method == "POST" and request.endpoint in KEEPS_WHAT_WAS_TYPED:
            return _render_again()
        return _page(
            _("Please try again"),
            _("The page was open for a long time or cookies are blocked. Go back, reload the page and send it again."),
            400,
        )

    @app.errorhandler(400)
    def bad_request(error: HTTPException):
        if isinstance(error, BadInput) and error.description:
            message = error.description
        else:
            message = _("The page received something it cannot use. Go back, check what you entered and try again.")
        return _page(_("Please check what you entered"), message, 400)

    @app.errorhandler(403)
    def forbidden(_error: HTTPException):
        return _page(_("No access"), _("You do not have access to this page."), 403)

    @app.errorhandler(405)
    def method_not_allowed(error: HTTPException):
        # RFC 9110 requires the Allow header on a 405; a handler's own response would drop it.
        methods = error.valid_methods if isinstance(error, MethodNotAllowed) else None
        return _page(
            _("This does not work here"),
            _("This page cannot be opened this way. Go back and use the buttons on the page."),
            405,
            {"Allow": ", ".join(methods)} if methods else None,
        )

    @app.errorhandler(404)
    def not_found(_error: HTTPException):
        return _page(_("Page not found"), _("This page does not exist (any more)."), 404)

    @app.errorhandler(413)
    def too_large(_error: HTTPException):
        if request.endpoint == "patient.send_request":  # photos: say which limit, and that the text is not lost
            return _page(
                _("Your photos are too large"),
                _(
                    "Together your photos are too large to send. You can send at most 3 photos of at most 10 MB "
                    "each. Go back: what you typed is usually still there. Choose fewer or smaller photos, or "
                    "send a screenshot of a photo."
                ),
                413,
            )
        return _page(_("Too much at once"), _("What you sent is too large. Please send less."), 413)

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(_error: StorageUnavailable):
        # A lock held too long, a full or read-only disk: not our bug, and it passes.
        # Forms catch this themselves and show what was typed; this is for everything else.
        return _page(
            _("Please try again in a moment"),
            _("We cannot save anything right now. Wait a moment and try again. In an emergency, always call 112."),
            503,
            {"Retry-After": "30"},
        )

    @app.errorhandler(429)
    def too_many(_error: HTTPException):
        return _page(
            _("Too many at once"),
            _(
                "Many requests came from your connection in a short time. Wait a few minutes and try again. "
                "In an emergency, always call 112."
            ),
            429,
            {"Retry-After": "60"},
        )

    @app.errorhandler(500)
    def server_error(_error: Exception):
        return _page(
            _("Something went wrong"),
            _("Sorry, something went wrong on our side. In an emergency, always call 112."),
            500,
        )
