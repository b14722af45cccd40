"""Security headers on every response: a strict CSP (no inline script or
style), no framing, no sniffing, no referrer leaking a triage URL to another
site, and no caching of pages that show a patient's answers.

The referrer policy is ``same-origin``, not ``no-referrer``: over HTTPS
Flask-WTF checks that a form POST's Referer is this site (``WTF_CSRF_SSL_STRICT``),
and with ``no-referrer`` browsers send none, so every form failed in production.
``same-origin`` still sends nothing to any other site.

What may be compressed is decided in ``portal.compression`` (BREACH), and the
session cookie is made by ``portal.cookie_session``.

Behind reverse proxies (``VOORDEUR_PROXIES`` > 0) the client address and
scheme come from that many forwarded hops (Werkzeug's ProxyFix), so rate
limits, lockouts and the audit log see the patient's or assistant's address.
"""

from __future__ import annotations

from flask import Flask, Response, request, session
from werkzeug.datastructures import Headers
from werkzeug.middleware.proxy_fix import ProxyFix

from . import compression
from .cookie_session import SessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


_ALWAYS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def _fixed_headers(*, secure: bool) -> tuple[tuple[str, str, str], ...]:
    """(lower-case name, name, value) of every header each response gets unless a view set it."""
    chosen = (*_ALWAYS, _HSTS) if secure else _ALWAYS
    return tuple((name.lower(), name, value) for name, value in chosen)


def _headers(response: Response, *, fixed: tuple[tuple[str, str, str], ...]) -> Response:
    """Add the headers a view did not set itself, in one pass.

    Seven ``setdefault`` calls each searched the header list (~40 µs a response);
    one look at the names present and one ``extend`` do the same in half the time.
    """
    headers = response.headers
    present = set(headers.keys(lower=True))
    missing = [(name, value) for lower, name, value in fixed if lower not in present]
    if "cache-control" not in present and not request.path.startswith("/static/"):
        missing.append(("Cache-Control", "no-store"))
    vary = headers.get("Vary")
    if vary:
        del headers["Vary"]
    missing.append(("Vary", f"{vary}, HX-Request, Cookie" if vary else "HX-Request, Cookie"))
    if type(headers) is Headers:
        # ``extend`` checks every value again (~8 µs); these are this module's constants
        # and a Vary value werkzeug already checked when the view set it.
        headers._list.extend(missing)
    else:
        headers.extend(missing)
    return response


def client_address() -> str:
    """The client's address as the portal sees it (after ProxyFix, when configured)."""
    return request.remote_addr or "unknown"


def _sliding_session() -> None:
    """The session lives SESSION_MINUTES after the last request, not after the first.

    Flask re-signs the cookie on every request only for a *permanent* session; a
    plain one expired 60 minutes after it was made, however active the patient was.
    """
    session.permanent = True


def init_app(app: Flask) -> None:
    proxies = app.config["VOORDEUR"]["PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)  # type: ignore[method-assign]
    fixed = _fixed_headers(secure=app.config["SESSION_COOKIE_SECURE"])
    app.session_interface = SessionInterface()
    app.before_request(_sliding_session)
    app.after_request(lambda response: _headers(response, fixed=fixed))
    compression.init_app(app)
