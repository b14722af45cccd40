"""The shortcuts in a request's fixed costs (issue 16) give exactly what the slower paths give.

Cookies read from ``HTTP_COOKIE``, the response body's closing iterator, the
session cookie signed with the key derived once, and the CSRF check that looks at
the method before the exemptions: each is compared with what werkzeug,
itsdangerous or Flask-WTF give for the same input.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from flask import Response as FlaskResponse  # werkzeug's get_app_iter and get_wsgi_headers
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from portal import create_app
from portal.app import PortalRequest, PortalResponse
from portal.cookie_session import _Keys
from tests.factories import Patient

COOKIE_HEADERS = [
    None,
    "",
    "voordeur_session=eyJydW5zIjpbXX0.Z1x2.abc-DEF_ghi",
    "voordeur_session=a.b.c; voordeur_lang=en",
    "a=1; a=2; b=",  # the same name twice: both, in order
    'quoted="a \\"b\\" c"; spaced = x ; =nameless; bare',
    "caf%C3%A9=%E2%82%AC; other=v",
    "raw=caf\xc3\xa9; x=\xe2\x82\xac",  # UTF-8 bytes as WSGI hands them over (latin-1)
]


def _environ(cookie: str | None, **extra: str) -> dict:
    headers = {"Accept": "text/html", "HX-Request": "true", **extra}
    if cookie is not None:
        headers["Cookie"] = cookie
    return EnvironBuilder(path="/x", headers=headers).get_environ()


@pytest.mark.parametrize("cookie", COOKIE_HEADERS)
def test_the_cookies_are_the_ones_werkzeug_reads(cookie):
    ours, theirs = PortalRequest(_environ(cookie)), WerkzeugRequest(_environ(cookie))
    assert list(ours.cookies.items(multi=True)) == list(theirs.cookies.items(multi=True))
    assert type(ours.cookies) is type(theirs.cookies)


def test_a_cookie_header_is_read_whatever_other_headers_hold():
    environ = _environ("voordeur_lang=en", **{"X-Cookie": "voordeur_lang=nl", "Cookie2": "voordeur_lang=nl"})
    assert (
        PortalRequest(environ).cookies.to_dict()
        == WerkzeugRequest(environ).cookies.to_dict()
        == {"voordeur_lang": "en"}
    )


class _Body(list):
    """A response body that records when it is closed."""

    def __init__(self, items: list[bytes], log: list[str]) -> None:
        super().__init__(items)
        self.log = log

    def close(self) -> None:
        self.log.append("body")


def _sent(response_class: type, method: str, status: int, *, passthrough: bool = False) -> tuple:
    """(body sent, closes in order, whether the body was passed through) for one response."""
    log: list[str] = []
    response = response_class(_Body([b"one ", b"two"], log), status=status, direct_passthrough=passthrough)
    response.call_on_close(lambda: log.append("response"))
    app_iter = response.get_app_iter(EnvironBuilder(method=method).get_environ())
    body = b"".join(app_iter)
    if hasattr(app_iter, "close"):
        app_iter.close()
    return body, log, app_iter is response.response


@pytest.mark.parametrize(
    ("method", "status", "passthrough"),
    [
        ("GET", 200, False),
        ("POST", 303, False),
        ("HEAD", 200, False),
        ("GET", 204, False),
        ("GET", 304, False),
        ("GET", 101, False),
        ("GET", 200, True),
        ("HEAD", 200, True),
    ],
)
def test_the_body_sent_and_its_closing_are_werkzeugs(method, status, passthrough):
    ours = _sent(PortalResponse, method, status, passthrough=passthrough)
    assert ours == _sent(FlaskResponse, method, status, passthrough=passthrough)


def test_a_generated_body_is_sent_and_closed_as_werkzeug_does():
    def run(response_class: type) -> tuple[bytes, list[str]]:
        log: list[str] = []

        def generate():
            try:
                yield b"a"
                yield "b"  # text is encoded, as werkzeug encodes it
            finally:
                log.append("generator")

        response = response_class(generate())
        response.call_on_close(lambda: log.append("response"))
        app_iter = response.get_app_iter(EnvironBuilder().get_environ())
        body = b"".join(app_iter)
        app_iter.close()
        return body, log

    assert run(PortalResponse) == run(FlaskResponse) == (b"ab", ["generator", "response"])


def test_every_response_of_the_app_is_a_portal_response(app, client):
    with app.test_request_context("/"):
        assert isinstance(app.make_response("x"), PortalResponse)
    page = client.get("/de-linde/")
    assert page.status_code == 200 and page.get_data()


def _sha512_224(data: bytes = b"") -> object:
    """A digest hashlib has but does not guarantee: the cookie's HMAC then takes itsdangerous' own path."""
    return hashlib.new("sha512_224", data)


@pytest.mark.parametrize("digest", [hashlib.sha1, hashlib.sha256, hashlib.sha512, _sha512_224])
@pytest.mark.parametrize("payload", [b"eyJydW5zIjpbXX0", b".eJyrVkrLz1eyUkpKLFKqBQAfPgRi", b""])
def test_the_session_signature_is_the_one_itsdangerous_makes(monkeypatch, digest, payload):
    secrets = ["an-old-key", "the-current-key"]
    options = {"key_derivation": "hmac", "digest_method": digest}
    keys = _Keys(URLSafeTimedSerializer(secrets, salt="cookie-session", signer_kwargs=options))
    assert (keys._hmac is None) == (digest is _sha512_224)
    for now in (1_700_000_000.2, 1_700_000_000.9, 1_800_000_001.0):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        value, stamp = keys.sign(payload)
        assert value == TimestampSigner(secrets, salt="cookie-session", **options).sign(payload).decode("ascii")
        assert stamp == int(now)


def test_the_app_signs_an_unchanged_session_as_flask_does(app, client, monkeypatch):
    Patient(client).start("keelpijn")
    value = client.get_cookie("voordeur_session").value
    interface = app.session_interface
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={value}"}) as ctx:
        opened = interface.open_session(app, ctx.request)
    monkeypatch.setattr(time, "time", lambda: opened.cookie[1] + 61.0)  # a minute later: signed anew
    with app.test_request_context("/"):
        ours = interface._signed(app, opened)
        flasks = SecureCookieSessionInterface().get_signing_serializer(app).dumps(dict(opened))
    assert ours == flasks != value
    payload, stamp, data = interface._for(app).known.get(ours)
    assert (payload.decode(), data) == (value.rsplit(".", 2)[0], dict(opened))
    assert stamp == opened.cookie[1] + 61


@pytest.fixture
def csrf_app(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    from portal.extensions import csrf

    @app.route("/test-exempt", methods=["GET", "POST"])
    @csrf.exempt
    def exempt_view() -> str:
        return "exempt"

    @app.route("/test-checked", methods=["GET", "POST"])
    def checked_view() -> str:
        return "checked"

    return app


def test_the_csrf_check_still_skips_exempt_views_and_safe_methods_only(csrf_app):
    client = csrf_app.test_client()
    assert client.post("/test-exempt", data={"a": "1"}).get_data(as_text=True) == "exempt"
    assert client.get("/test-exempt").status_code == 200
    assert client.get("/test-checked").get_data(as_text=True) == "checked"
    assert client.post("/test-checked", data={"a": "1"}).status_code == 400
    assert client.put("/test-checked", data={"a": "1"}).status_code == 405  # no endpoint: not checked, as before


def _response(response_class: type, case: dict) -> object:
    response = response_class(case.get("body", [b"<p>page</p>"]), status=case.get("status", 200))
    for name, value in case.get("headers", []):
        response.headers.add(name, value)
    response.autocorrect_location_header = case.get("autocorrect", False)
    return response


HEADER_CASES = [
    {},
    {"status": 303, "headers": [("Location", "/de-linde/triage/keelpijn/abc/alarm_signs")]},
    {"status": 302, "headers": [("Location", "/zoek?q=café&x=ü#deel"), ("Content-Location", "/pagína")]},
    {"status": 301, "headers": [("Location", "https://bücher.example/ä")], "autocorrect": True},
    {"status": 303, "headers": [("Location", "../elders")], "autocorrect": True},
    {"status": 204, "headers": [("Content-Length", "10"), ("X-Kept", "1")]},
    {"status": 304, "headers": [("Content-Type", "text/html"), ("ETag", '"x"'), ("Expires", "0")]},
    {"status": 101},
    {"headers": [("Content-Length", "3")]},
    {"body": (chunk for chunk in [b"a", b"b"])},  # streamed: no Content-Length added
    {"headers": [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"), ("Vary", "Cookie")]},
]


@pytest.mark.parametrize("case", HEADER_CASES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_headers_sent_are_werkzeugs(case, method):
    environ = EnvironBuilder(path="/de-linde/vraag", method=method, base_url="http://voordeur.test/").get_environ()
    ours = _response(PortalResponse, case).get_wsgi_headers(environ)
    if "body" in case:  # a generator is used up by the first response: make the second its own
        case = {**case, "body": (chunk for chunk in [b"a", b"b"])}
    theirs = _response(FlaskResponse, case).get_wsgi_headers(environ)
    assert type(ours) is type(theirs) and ours.to_wsgi_list() == theirs.to_wsgi_list()


def test_the_headers_copy_is_the_responses_own(app):
    response = PortalResponse(b"x", headers={"X-One": "1"})
    before = response.headers.to_wsgi_list()
    sent = response.get_wsgi_headers(EnvironBuilder().get_environ())
    sent["X-One"] = "changed"
    sent.add("X-Two", "2")
    assert response.headers.to_wsgi_list() == before and ("X-One", "1") in before and ("X-Two", "2") not in before


class _OtherHeaders(Headers):
    """Any other kind of header list: the security headers go in through ``extend``."""


@pytest.mark.parametrize("path", ["/de-linde/", "/static/voordeur.css"])
@pytest.mark.parametrize("preset", [[], [("Vary", "Accept-Encoding"), ("X-Frame-Options", "SAMEORIGIN")]])
def test_the_security_headers_are_the_ones_extend_adds(app, path, preset):
    from portal import security

    fixed = security._fixed_headers(secure=True)
    with app.test_request_context(path):
        quick, slow = PortalResponse(b"x"), PortalResponse(b"x")
        slow.headers = _OtherHeaders([("Content-Type", "text/plain; charset=utf-8"), *preset])
        quick.headers = Headers([("Content-Type", "text/plain; charset=utf-8"), *preset])
        security._headers(quick, fixed=fixed)
        security._headers(slow, fixed=fixed)
    assert quick.headers.to_wsgi_list() == slow.headers.to_wsgi_list()
    assert len(quick.headers.to_wsgi_list()) >= 8
