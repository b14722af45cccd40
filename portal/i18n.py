"""Language: Dutch by default, English alongside.

The choice is kept in a cookie, so it survives htmx POSTs to URLs that carry
no ``?lang=`` (a query parameter alone would be lost there).
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_babel import Babel, get_locale

from .config import data_dir
from .triage.model import DEFAULT_LOCALE, LOCALES

LANG_COOKIE = "voordeur_lang"
babel = Babel()


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        g.new_locale = chosen
        return chosen
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LOCALES else DEFAULT_LOCALE


def current_locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def _remember_locale(response: Response) -> Response:
    chosen = g.pop("new_locale", None)
    if chosen:
        from flask import current_app

        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(data_dir("translations")))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = current_locale
    app.after_request(_remember_locale)
