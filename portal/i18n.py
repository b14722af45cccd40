"""Language: Dutch by default, English alongside.

The choice is kept in a cookie, so it survives htmx POSTs to URLs that carry
no ``?lang=`` (a query parameter alone would be lost there).
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, get_locale, get_translations

from .config import data_dir
from .triage.model import DEFAULT_LOCALE, LOCALES

LANG_COOKIE = "voordeur_lang"
babel = Babel()


def select_locale() -> str:
    query = request.environ.get("QUERY_STRING", "")
    # Parsing the query string only to find no ``lang`` cost more than the rest of this (every answer
    # POST has none); ``%`` may hide an encoded name, so then it is parsed as well.
    chosen = request.args.get("lang") if "lang" in query or "%" in query else None
    if chosen in LOCALES:
        g.new_locale = chosen
        return chosen
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LOCALES else DEFAULT_LOCALE


def current_locale() -> str:
    """The request's locale, looked up once per request.

    ``select_locale`` already returns one of ``LOCALES``; Flask-Babel's
    ``get_locale`` would parse it into a babel ``Locale`` (~50 µs) only for us to
    turn it back into the same string. Outside a request Flask-Babel's default is used.
    """
    locale = g.get("locale")
    if locale is None:
        locale = g.locale = select_locale() if request else str(get_locale() or DEFAULT_LOCALE)
    return locale


# Templates call gettext a dozen times per page. Flask-Babel resolves the locale
# and catalogue on every call (~25 µs each); the catalogues never change while a
# process runs, so templates use the one Flask-Babel loaded, kept per locale.
_catalogues: dict[str, NullTranslations] = {}


def _catalogue() -> NullTranslations:
    locale = current_locale()
    catalogue = _catalogues.get(locale)
    if catalogue is None:
        catalogue = _catalogues[locale] = get_translations()
    return catalogue


def _template_gettext(message: str) -> str:
    return _catalogue().ugettext(message)


def _template_ngettext(singular: str, plural: str, number: int) -> str:
    return _catalogue().ungettext(singular, plural, number)


def _template_globals() -> dict[str, Any]:
    return {"locale": current_locale()}


def _remember_locale(response: Response) -> Response:
    chosen = g.pop("new_locale", None)
    if chosen:
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
    # Added to the environment by Jinja's i18n extension (Flask-Babel enables it), so no stub knows it.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True
    )
    app.context_processor(_template_globals)
    app.after_request(_remember_locale)
