"""Compressed responses (Flask-Compress: brotli or gzip), only where compression cannot leak a secret.

BREACH: when one response both reflects something an attacker chooses (a search
query, a URL parameter) and carries a secret, the compressed length tells the
attacker, guess by guess, how much of their input matches the secret. Flask-WTF's
CSRF tokens are not masked per response: the first part of the signed token is
the session's raw token, the same on every page of that session, so a compressed
page with a token and any reflected input would give it away. The run proof and a
patient's answers are secrets of the same kind. So compression is:

- on for static files (CSS, JavaScript, SVG): public and the same for everyone;
  compressed once per file version and algorithm, then served from memory (as is a
  public page that comes from ``pagecache``, once per rendering);
- on for the HTML pages in ``PUBLIC_PAGES`` (the practice list, a practice's start
  page and its search results, the self-help index, the social map): they hold no
  token and nothing of the patient. Even there a response is sent uncompressed when
  a CSRF token was issued while building it, so a form added to one of these pages
  later turns compression off for it instead of opening the hole;
- off for everything else: question pages, outcomes, requests, self-help pages
  (their feedback form carries a token), error pages and every staff page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request
from flask_compress import Compress

from . import assets

PUBLIC_PAGES = frozenset({"patient.index", "patient.start", "patient.selfhelp_index", "patient.social_map"})
SETTINGS = {
    "COMPRESS_REGISTER": False,  # this module decides per response
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"],
    "COMPRESS_STREAMS": False,
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_BR_LEVEL": 4,  # Flask-Compress's default: fast enough per request
    "COMPRESS_LEVEL": 6,
}


_BODY_KEY = "voordeur_compress_body_key"
CACHED_BODIES = 256  # compressed bodies kept per worker (static files and public pages)


def same_body_as(key: str) -> None:
    """This response's body is exactly the one ``key`` names (a page from ``pagecache``):
    its compressed form may come from the cache. ``key`` must change whenever the body does."""
    setattr(g, _BODY_KEY, key)


class _Bodies:
    """Flask-Compress's cache backend: the last CACHED_BODIES compressed bodies (its DictCache never forgets)."""

    def __init__(self) -> None:
        self.data: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()  # for a threaded development server

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.data.get(key)
            if found is not None:
                self.data.move_to_end(key)
            return found

    def set(self, key: str, value: bytes) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > CACHED_BODIES:
                self.data.popitem(last=False)


def _body_key(_request: object) -> str:
    return getattr(g, _BODY_KEY)


def _static_key() -> str:
    """A static file's cache key: its path and the version of what is on disk now."""
    filename = (request.view_args or {}).get("filename", "")
    return f"static:{filename}:{assets.versions(current_app).version(filename)}"


def _holds_a_secret() -> bool:
    """A CSRF token (and with it, on patient pages, the run proof) was put in this response."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    fresh = Compress()  # compresses every response anew
    fresh.init_app(app)
    cached = Compress()  # keeps the compressed body under the key this request set
    cached.init_app(app)
    cached.cache, cached.cache_key = _Bodies(), _body_key

    def compress(response: Response) -> Response:
        # Only whole 200 answers: never a 206 range or a 304 without a body.
        if response.status_code != 200:
            return response
        if request.endpoint == "static":
            # send_file streams the file; read it (small) so that it can be compressed and kept.
            response.direct_passthrough = False
            response.make_sequence()
            same_body_as(_static_key())
            return cached.after_request(response)
        if request.endpoint in PUBLIC_PAGES and not _holds_a_secret():
            return (cached if g.get(_BODY_KEY) else fresh).after_request(response)
        return response

    app.after_request(compress)
