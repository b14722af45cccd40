"""Flask's signed-cookie session: the same cookies, made with less work.

The session is opened and re-signed on every request (it slides: it lives
``SESSION_MINUTES`` after the last request), and that was the largest fixed cost
of a patient request. What Flask does each time that changes nothing:

- it builds the itsdangerous serializer twice a request, to open and to save the
  session; the serializer depends only on the keys, so it is built once per key,
  and so is the signer that re-signs a cookie;
- itsdangerous derives the signing key from the secret for every signature
  (``KeyOnceSigner`` does it once), and computes the HMAC through Python's slow
  path, because the digest is given as a Python function (a lazy SHA-1): the
  same HMAC is computed in one call (``hmac.digest``);
- it checks the signature and decodes the payload (base64, zlib, tagged JSON) of a
  cookie it has seen before. A cookie is a deterministic function of the key, the
  payload and the time it was signed, so a cookie this worker has already checked,
  or made itself, is looked up (``KnownCookies``); its age is checked every time,
  exactly as itsdangerous checks it;
- it serialises the session again although, on most requests, it holds exactly
  what the cookie brought. When it does, the cookie's own payload is signed again,
  with a new timestamp: byte for byte what Flask would send, as Flask's encoding
  of the same data is that payload. When the cookie it came in was signed this
  very second with the only key (the page an answer redirects to, as a rule),
  signing again would give the same bytes, so that cookie is sent back as it is;
- it formats the cookie's attributes (the expiry date, path, flags) for every
  response; they are the same for every response in the same second;
- it parses the ``Vary`` header twice to add ``Cookie``, which ``security``
  has already put there (once is enough).

Signing, the timestamp, the expiry check and the cookie's attributes are Flask's
own. One thing is deliberately different: a static file never refreshes the
session cookie. Static files are cached for a year (``portal.assets``), and a
cached ``Set-Cookie`` would hand one patient's session to whoever next gets that
file from a shared cache.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any, ClassVar

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, HMACAlgorithm, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, int_to_bytes, want_bytes
from werkzeug.http import dump_cookie

KNOWN_COOKIES = 4096  # per worker and key: a few MiB at most
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-]+")  # what itsdangerous makes: never quoted by dump_cookie
_MAX_COOKIE = 4093  # werkzeug warns above this; such a cookie goes through dump_cookie to get the warning


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists; everything else is immutable or compared as is)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class OneShotHMAC(HMACAlgorithm):
    """itsdangerous' HMAC, computed by ``hmac.digest`` (one call into OpenSSL).

    ``hmac.new(key, msg, digestmod=f).digest()`` takes Python's slow path when ``f``
    is a Python function, as the lazy SHA-1 of itsdangerous and Flask is; for a digest
    known by name the one-shot call gives the same bytes.
    """

    def __init__(self, name: str, digest_method: Any) -> None:
        super().__init__(digest_method)
        self.name = name

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.name)


_DIGEST_NAMES: dict[Any, str | None] = {}


def _digest_name(digest_method: Any) -> str | None:
    """The hashlib name of a digest function, when it is one hashlib knows by that name (else None)."""
    if digest_method not in _DIGEST_NAMES:
        name = getattr(digest_method(), "name", None)
        _DIGEST_NAMES[digest_method] = name if name in hashlib.algorithms_guaranteed else None
    return _DIGEST_NAMES[digest_method]


class KeyOnceSigner(TimestampSigner):
    """itsdangerous' timestamp signer, deriving the signing key once instead of on every call,
    and signing with ``OneShotHMAC``.

    The key is an HMAC of the secret and the salt; itsdangerous computes it again
    for every signature it makes or checks, and it never changes for the same
    secret, salt and method.
    """

    _derived: ClassVar[dict[tuple[Any, ...], bytes]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = _digest_name(self.digest_method)
        if type(self.algorithm) is HMACAlgorithm and name is not None:
            self.algorithm = OneShotHMAC(name, self.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            derived = self._derived[key] = super().derive_key(secret_key)
        return derived


class KnownCookies:
    """Session cookies whose signature this worker has checked, or that it signed itself.

    value → (signed payload, timestamp, session data). Only a cookie that passed
    itsdangerous' check (or that this worker made with the same key) gets in, so a
    hit is the answer the check would give again; the age is not stored as valid
    but checked against the timestamp on every use. Bounded: the oldest fall out.
    """

    def __init__(self) -> None:
        self.cookies: OrderedDict[str, tuple[bytes, int, dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()  # gunicorn's sync workers need none; a threaded development server does

    def get(self, value: str) -> tuple[bytes, int, dict[str, Any]] | None:
        with self.lock:
            found = self.cookies.get(value)
            if found is not None:
                self.cookies.move_to_end(value)
            return found

    def put(self, value: str, data: dict[str, Any], signed: tuple[bytes, int] | None = None) -> None:
        """Remember ``value``; ``signed``: its payload and timestamp, when the caller just made them."""
        if signed is None:
            payload, stamp, _signature = value.rsplit(".", 2)
            signed = (payload.encode("ascii"), bytes_to_int(base64_decode(stamp)))
        entry = (signed[0], signed[1], data)
        with self.lock:
            self.cookies[value] = entry
            self.cookies.move_to_end(value)
            while len(self.cookies) > KNOWN_COOKIES:
                self.cookies.popitem(last=False)


class _Keys:
    """What is made once per secret key (and fallbacks): the serializer, its signer, the known cookies."""

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        serializer.signer = KeyOnceSigner
        self.serializer = serializer
        self.signer: Signer = serializer.make_signer(serializer.salt)
        self.known = KnownCookies()
        algorithm = self.signer.algorithm
        self._hmac = (self.signer.derive_key(), algorithm.name) if isinstance(algorithm, OneShotHMAC) else None
        self._sep = want_bytes(self.signer.sep)

    def sign(self, payload: bytes) -> tuple[str, int]:
        """``TimestampSigner.sign(payload)`` and the timestamp in it, with the key derived once.

        The same steps as itsdangerous (``payload.timestamp.signature``, each part
        URL-safe base64), without its five Python calls per signature.
        """
        stamp = int(time.time())
        if self._hmac is None:  # not an HMAC hashlib knows by name: itsdangerous signs it
            value = self.signer.sign(payload).decode("ascii")
            return value, bytes_to_int(base64_decode(value.rsplit(".", 2)[1]))
        key, name = self._hmac
        signed = payload + self._sep + base64_encode(int_to_bytes(stamp))
        return (signed + self._sep + base64_encode(hmac.digest(key, signed, name))).decode("ascii"), stamp


class Session(SecureCookieSession):
    """Flask's cookie session, remembering the signed payload it was read from and what it held."""

    loaded: tuple[bytes, dict[str, Any]] | None = None
    cookie: tuple[str, int] | None = None  # the cookie it was opened from, and when that was signed


class SessionInterface(SecureCookieSessionInterface):
    session_class = Session

    def __init__(self) -> None:
        self._keys: dict[tuple[Any, ...], _Keys | None] = {}
        self._attributes: tuple[tuple[Any, ...], str] | None = None

    def _for(self, app: Flask) -> _Keys | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if key not in self._keys:
            serializer = super().get_signing_serializer(app)
            self._keys[key] = _Keys(serializer) if serializer is not None else None
        return self._keys[key]

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = self._for(app)
        return keys.serializer if keys is not None else None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's ``open_session``; a cookie seen before is not checked and decoded again (its age is)."""
        keys = self._for(app)
        if keys is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = keys.known.get(value)
        if known is None:
            try:
                data = keys.serializer.loads(value, max_age=max_age)
            except BadSignature:
                return self.session_class()
            keys.known.put(value, _copy(data))
            known = keys.known.get(value)
            assert known is not None
        else:
            age = int(time.time()) - known[1]  # as itsdangerous' TimestampSigner.unsign
            if age > max_age or age < 0:
                return self.session_class()
        session = self.session_class(_copy(known[2]))
        if session:
            session.loaded = (known[0], known[2])  # known[2] is never changed: only compared
            session.cookie = (value, known[1])
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's ``save_session``, but with the payload, the attributes and the ``Vary`` header spared."""
        name = self.get_cookie_name(app)
        # Flask adds "Cookie" to Vary when the session was accessed and again when it sets or
        # deletes the cookie; once is the same header.
        if not session:
            if session.modified:
                response.delete_cookie(name, **self._options(app))
                _vary_on_cookie(response)
            elif session.accessed:
                _vary_on_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            if session.accessed:
                _vary_on_cookie(response)
            return
        expires = self.get_expiration_time(app, session)
        value = self._signed(app, session)
        if expires is not None and _PLAIN_VALUE.fullmatch(value):
            header = f"{name}={value}; {self._attributes_for(app, name, expires)}"
            if len(header) <= _MAX_COOKIE:
                response.headers.add("Set-Cookie", header)
                _vary_on_cookie(response)
                return
        response.set_cookie(name, value, expires=expires, **self._options(app))
        _vary_on_cookie(response)

    def _options(self, app: Flask) -> dict[str, Any]:
        return dict(
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
            httponly=self.get_cookie_httponly(app),
        )

    def _attributes_for(self, app: Flask, name: str, expires: datetime) -> str:
        """What ``dump_cookie`` puts after ``name=value; ``, made once per second (the expiry's precision)."""
        options = self._options(app)
        key = (name, int(expires.timestamp()), tuple(options.items()))
        if self._attributes is None or self._attributes[0] != key:
            made = dump_cookie(name, "", expires=expires, **options)
            self._attributes = (key, made.split("; ", 1)[1])
        return self._attributes[1]

    def _signed(self, app: Flask, session: SessionMixin) -> str:
        keys = self._for(app)
        assert keys is not None  # a session was opened, so there is a secret key
        data = dict(session)
        loaded = getattr(session, "loaded", None)
        if loaded is not None and loaded[1] == data:
            cookie = getattr(session, "cookie", None)
            if cookie is not None and cookie[1] == int(time.time()) and len(keys.serializer.secret_keys) == 1:
                # Signed this second with the only key: signing again gives these very bytes
                # (the answer's redirect and the page it leads to usually share a second).
                return cookie[0]
            # What Serializer.dumps does after encoding the payload: sign it with the current key.
            value, stamp = keys.sign(loaded[0])
            keys.known.put(value, loaded[1], (loaded[0], stamp))
        else:
            value = keys.serializer.dumps(data)
            keys.known.put(value, _copy(data))
        return value


def _vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")`` without parsing and rewriting the header when it is there."""
    present = response.headers.get("Vary", "")
    if "cookie" not in (part.strip().lower() for part in present.split(",")):
        response.vary.add("Cookie")
