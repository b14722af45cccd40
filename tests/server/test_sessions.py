"""The real server (gunicorn, two workers) as a client without a browser sees it."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_each_visitor_gets_their_own_session_and_csrf_token(server):
    # Regression: serving the CLI's app shared one app context (and one ``g``)
    # between requests, so no session cookie was set and every POST failed CSRF.
    tokens = set()
    for _ in range(6):
        opener = _opener()
        with opener.open(f"{server}/de-linde/triage/keelpijn") as response:
            assert "voordeur_session=" in (response.headers.get("Set-Cookie") or "")
            tokens.add(_token(response.read().decode()))
    assert len(tokens) == 6


def test_a_triage_step_posted_with_its_token_is_accepted_by_either_worker(server):
    for _ in range(10):
        opener = _opener()
        with opener.open(f"{server}/de-linde/triage/keelpijn") as response:
            token = _token(response.read().decode())
        data = urllib.parse.urlencode({"csrf_token": token, "emergency_screen": "none"}).encode()
        with opener.open(f"{server}/de-linde/triage/keelpijn", data=data) as response:
            assert response.status == 200 and response.url.endswith("/general_danger")
