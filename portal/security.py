"""Security headers on every response: a strict CSP (no inline script or
style), no framing, no sniffing, no referrer leaking a triage URL to another
site, and no caching of pages that show a patient's answers.

The referrer policy is ``same-origin``, not ``no-referrer``: over HTTPS
Flask-WTF checks that a form POST's Referer is this site (``WTF_CSRF_SSL_STRICT``),
and with ``no-referrer`` browsers send none, so every form failed in production.
``same-origin`` still sends nothing to any other site.

Behind reverse proxies (``VOORDEUR_PROXIES`` > 0) the client address and
scheme come from that many forwarded hops (Werkzeug's ProxyFix), so rate
limits, lockouts and the audit log see the patient's or assistant's address.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

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


def _headers(response: Response, *, secure: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    headers["Vary"] = ", ".join(filter(None, [headers.get("Vary"), "HX-Request", "Cookie"]))
    return response


def client_address() -> str:
    """The client's address as the portal sees it (after ProxyFix, when configured)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    proxies = app.config["VOORDEUR"]["PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)  # type: ignore[method-assign]
    secure = app.config["SESSION_COOKIE_SECURE"]
    app.after_request(lambda response: _headers(response, secure=secure))
