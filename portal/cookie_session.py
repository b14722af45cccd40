"""Flask's signed-cookie session: the same cookies, made with less work.

The session is opened and re-signed on every request (it slides: it lives
``SESSION_MINUTES`` after the last request), and that was the largest fixed cost
of a patient request. Three things Flask does each time change nothing:

- it builds the itsdangerous serializer twice a request, to open and to save the
  session; the serializer depends only on the keys, so it is built once per key,
  and its signer derives the signing key from the secret once (``KeyOnceSigner``);
- it serialises the session again (tagged JSON, zlib, base64) although, on most
  requests, it holds exactly what the cookie brought. When it does, the cookie's
  own payload is signed again, with a new timestamp: byte for byte what Flask
  would send, as Flask's encoding of the same data is that payload;
- it parses the ``Vary`` header twice to add ``Cookie``, which ``security``
  has already put there.

Signing, the timestamp, the expiry check and the cookie's attributes are Flask's
own. One thing is deliberately different: a static file never refreshes the
session cookie. Static files are cached for a year (``portal.assets``), and a
cached ``Set-Cookie`` would hand one patient's session to whoever next gets that
file from a shared cache.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists; everything else is immutable or compared as is)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class KeyOnceSigner(TimestampSigner):
    """itsdangerous' timestamp signer, deriving the signing key once instead of on every call.

    The key is an HMAC of the secret and the salt; itsdangerous computes it again
    for every signature it makes or checks (twice a request for the session
    cookie), and it never changes for the same secret, salt and method.
    """

    _derived: ClassVar[dict[tuple[Any, ...], bytes]] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            derived = self._derived[key] = super().derive_key(secret_key)
        return derived


class Session(SecureCookieSession):
    """Flask's cookie session, remembering the signed payload it was read from and what it held."""

    loaded: tuple[bytes, dict[str, Any]] | None = None


class SessionInterface(SecureCookieSessionInterface):
    session_class = Session

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if key not in self._serializers:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                serializer.signer = KeyOnceSigner
            self._serializers[key] = serializer
        return self._serializers[key]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        session = super().open_session(app, request)
        value = request.cookies.get(self.get_cookie_name(app))
        if isinstance(session, Session) and session and value:  # a valid cookie: its signature was checked
            session.loaded = (value.rsplit(".", 2)[0].encode("ascii"), _copy(dict(session)))
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's ``save_session``, but with the payload and the ``Vary`` header spared (see above)."""
        name = self.get_cookie_name(app)
        options: dict[str, Any] = dict(
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
            httponly=self.get_cookie_httponly(app),
        )
        if session.accessed:
            _vary_on_cookie(response)
        if not session:
            if session.modified:
                response.delete_cookie(name, **options)
                _vary_on_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        response.set_cookie(name, self._signed(app, session), expires=expires, **options)
        _vary_on_cookie(response)

    def _signed(self, app: Flask, session: SessionMixin) -> str:
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # a session was opened, so there is a secret key
        data = dict(session)
        loaded = getattr(session, "loaded", None)
        if loaded is not None and loaded[1] == data:
            # What Serializer.dumps does after encoding the payload: sign it with the current key.
            return serializer.make_signer(serializer.salt).sign(loaded[0]).decode("utf-8")
        return serializer.dumps(data)


def _vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")`` without parsing and rewriting the header when it is there."""
    present = response.headers.get("Vary", "")
    if "cookie" not in (part.strip().lower() for part in present.split(",")):
        response.vary.add("Cookie")
