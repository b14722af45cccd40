"""The Flask application factory."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from functools import partial
from inspect import iscoroutinefunction
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler used below)
from flask import Flask, Request, Response, current_app
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import remove_entity_headers
from werkzeug.sansio.http import parse_cookie
from werkzeug.urls import iri_to_uri
from werkzeug.utils import cached_property
from werkzeug.wsgi import ClosingIterator, get_current_url

from . import assets
from .config import SETTINGS, load_settings
from .extensions import csrf, htmx
from .storage import audit

FORM = "application/x-www-form-urlencoded"
SMALL_FORM_BYTES = 64 * 1024  # a triage answer is ~300 bytes; anything larger takes werkzeug's path


class PortalRequest(Request):
    """Flask's request, reading a small URL-encoded form with less machinery.

    Every answer is such a form, and werkzeug's way to it (a form parser object,
    the parsed content type, a limited stream around the input) cost more than
    splitting the body, ~80 µs of a ~1 ms answer. For a browser's plain
    ``application/x-www-form-urlencoded`` body of known, small length this reads
    the body and splits it exactly as werkzeug's parser does (``parse_qsl``, blank
    values kept, the same error handler; an undecodable body is an empty form, as
    werkzeug's silent parser gives), and a body that ends early is
    ``ClientDisconnected``, as werkzeug's limited stream raises. Everything else
    (multipart, a content type with parameters, no or a large length, over
    ``MAX_CONTENT_LENGTH``, a chunked body, debug mode) goes through werkzeug.
    """

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        body = self._small_form_body()
        if body is None:
            super()._load_form_data()
            return
        try:
            items = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:
            items = []
        storage = self.parameter_storage_class
        self.__dict__.update(stream=io.BytesIO(b""), form=storage(items), files=storage())

    def _small_form_body(self) -> bytes | None:
        """The whole body of a small plain URL-encoded form; None when werkzeug should parse it."""
        environ = self.environ
        if (
            environ.get("CONTENT_TYPE") != FORM
            or "wsgi.input_terminated" in environ
            or "stream" in self.__dict__
            or getattr(self, "_cached_data", None) is not None
            or self.shallow
            or current_app.debug
        ):
            return None
        length = self.content_length
        limit = self.max_content_length
        if length is None or length > SMALL_FORM_BYTES or (limit is not None and length > limit):
            return None
        stream, chunks, remaining = environ["wsgi.input"], [], length
        while remaining > 0:
            try:
                chunk = stream.read(remaining)
            except (OSError, ValueError) as error:
                raise ClientDisconnected() from error
            if not chunk:
                raise ClientDisconnected()
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """werkzeug's ``cookies``, read from ``HTTP_COOKIE`` instead of searching every header.

        werkzeug joins ``headers.getlist("Cookie")``, which walks the whole environ
        (~10 µs a request, and every request opens the session from a cookie); in
        WSGI that list is ``HTTP_COOKIE`` alone, or nothing.
        """
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)  # type: ignore[return-value]


class _ClosingIterator(ClosingIterator):
    """werkzeug's ``ClosingIterator`` for one close callback, without its ``typing.cast``.

    Its ``__init__`` builds ``typing.Callable[[], bytes]`` for a cast on every
    response (a few µs through ``typing``); the iterator, the callbacks and their
    order (the iterable's own ``close`` first) are the same.
    """

    def __init__(self, iterable: Iterable[bytes], callback: Callable[[], None]) -> None:
        self._next = partial(next, iter(iterable))
        iterable_close = getattr(iterable, "close", None)
        self._callbacks = [iterable_close, callback] if iterable_close else [callback]


class PortalResponse(Response):
    """Flask's response, sent with less work: the same status, headers and body as werkzeug sends.

    - ``get_app_iter`` wraps the body in ``_ClosingIterator`` (see there);
    - ``get_wsgi_headers`` copies the header list as it is. werkzeug copies it
      through ``Headers.add``, checking every name and value again (~15 µs for a
      page's dozen headers), although each was checked when it was added.
    """

    def get_wsgi_headers(self, environ: dict[str, Any]) -> Headers:
        """werkzeug 3.1's ``get_wsgi_headers``, step by step, but for the copy."""
        if type(self.headers) is not Headers:  # a subclass may keep more than the list
            return super().get_wsgi_headers(environ)
        headers = Headers()
        headers._list = list(self.headers._list)
        location: str | None = None
        content_location: str | None = None
        content_length: str | int | None = None
        status = self.status_code
        for key, value in headers._list:
            ikey = key.lower()
            if ikey == "location":
                location = value
            elif ikey == "content-location":
                content_location = value
            elif ikey == "content-length":
                content_length = value
        if location is not None:
            location = iri_to_uri(location)
            if self.autocorrect_location_header:
                current_url = iri_to_uri(get_current_url(environ, strip_querystring=True))
                location = urljoin(current_url, location)
            headers["Location"] = location
        if content_location is not None:
            headers["Content-Location"] = iri_to_uri(content_location)
        if 100 <= status < 200 or status == 204:
            headers.remove("Content-Length")
        elif status == 304:
            remove_entity_headers(headers)
        if (
            self.automatically_set_content_length
            and self.is_sequence
            and content_length is None
            and status not in (204, 304)
            and not (100 <= status < 200)
        ):
            headers["Content-Length"] = str(sum(len(x) for x in self.iter_encoded()))
        return headers

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        """werkzeug's ``get_app_iter``, step by step: no body for HEAD, 1xx, 204 and 304."""
        status = self.status_code
        iterable: Iterable[bytes]
        if environ["REQUEST_METHOD"] == "HEAD" or 100 <= status < 200 or status in (204, 304):
            iterable = ()
        elif self.direct_passthrough:
            return self.response  # type: ignore[return-value]
        else:
            iterable = self.iter_encoded()
        return _ClosingIterator(iterable, self.close)


class Portal(Flask):
    """Flask, remembering which functions are plain ``def`` functions.

    Flask asks ``inspect.iscoroutinefunction`` about every hook, context
    processor and view on every request (a dozen a request, ~1.5 µs each). The
    answer for a function never changes; a coroutine function is still wrapped
    as Flask wraps it, every time.
    """

    _SYNC_KNOWN = 4096  # bound methods are new objects each time: keep the set bounded
    request_class = PortalRequest
    response_class = PortalResponse

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._sync:
                return func
        except TypeError:  # unhashable: ask every time
            return super().ensure_sync(func)
        if iscoroutinefunction(func):
            return self.async_to_sync(func)
        if len(self._sync) >= self._SYNC_KNOWN:
            self._sync.clear()
        self._sync.add(func)
        return func


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints. Nothing else happens here;
    in particular no migrations (they run as their own step)."""
    app = Portal("portal", instance_relative_config=True)
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

    from . import cli, contentlib, errors, i18n, security
    from .editor.routes import bp as editor_bp
    from .evaluation.routes import bp as evaluation_bp
    from .health import bp as health_bp
    from .inbox.routes import bp as inbox_bp
    from .patient import bp as patient_bp
    from .staff.routes import bp as staff_bp
    from .storage import db

    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    contentlib.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(staff_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(evaluation_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(patient_bp)
    assets.init_app(app)
    app.jinja_env.globals["static_url"] = _static_url
    from . import signed_tokens

    signed_tokens.init_app(app)

    from . import vocabulary

    app.jinja_env.globals["vocabulary"] = vocabulary

    return app


def _static_url(filename: str) -> str:
    """``url_for('static', ...)`` without a trip through the router (called often per page),
    with the file's content hash, so the browser may keep it for a year (``portal.assets``)."""
    from flask import current_app, request

    return assets.versions(current_app).url(request.script_root, filename)
