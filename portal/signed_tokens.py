"""Signed tokens made once and handed out again, instead of signed anew for every page.

Every patient page carries a CSRF token and, inside a triage, a signed proof of
the run (``patient.ownership``). Flask-WTF and itsdangerous sign them afresh for
each response: three HMAC signatures per page with the session cookie, a large
share of a triage step. The same signature serves just as well on the next page:

- the CSRF token has no time limit here (``WTF_CSRF_TIME_LIMIT=None``, WCAG 2.2.1),
  so a signature of the session's raw token made earlier is as valid as a new
  one. It is handed out only to a request whose session holds that raw token;
- a run proof is valid for ``PROOF_HOURS``; one made in the last ten minutes is
  reused, so it is always valid for nearly that long.

The tokens are exactly what the libraries make (their own functions sign them);
only *when* they were signed differs. Kept per worker, bounded.

Checking a posted CSRF token unsigns it again (Flask-WTF's ``validate_csrf``), on
every POST. ``CSRFProtect`` first compares the token with the one handed out for
this session's raw token (same key, no time limit): when they are equal, unsigning
it would give that raw token, so it is valid. Any other token is checked by
Flask-WTF as before, and remembered when it passes.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict

from flask import Flask, current_app, g, request, session
from flask_wtf import csrf as flask_wtf_csrf
from flask_wtf.csrf import generate_csrf, same_origin, validate_csrf
from wtforms import ValidationError

SIZE = 10_000
PROOF_REUSE_SECONDS = 600


class _Bounded(OrderedDict[str, tuple[float, str]]):
    """The newest SIZE entries (the oldest fall out)."""

    def keep(self, key: str, value: str) -> None:
        self[key] = (time.monotonic(), value)
        if len(self) > SIZE:
            self.popitem(last=False)


_csrf: _Bounded = _Bounded()
_proofs: _Bounded = _Bounded()


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf()``, reusing the signature already made for this session's raw token."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None or field in g:
        return generate_csrf()
    raw = session.get(field)
    found = _csrf.get(_csrf_key(raw)) if isinstance(raw, str) else None
    if found is not None:
        setattr(g, field, found[1])  # as generate_csrf caches it: forms in this request use the same
        return found[1]
    token = generate_csrf()
    _csrf.keep(_csrf_key(session[field]), token)
    return token


def _csrf_key(raw: str) -> str:
    """The cache key of a session's raw token: with the key that signs it."""
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return f"{secret!r}\0{raw}"


def _handed_out(token: str | None) -> bool:
    """``token`` is the one made for this session's raw token (so ``validate_csrf`` would accept it)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if not token or not isinstance(raw, str) or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return False
    found = _csrf.get(_csrf_key(raw))
    return found is not None and hmac.compare_digest(found[1], token)


class CSRFProtect(flask_wtf_csrf.CSRFProtect):
    """Flask-WTF's ``CSRFProtect`` (its ``protect``, step by step), recognising a token handed out here.

    Exemptions, methods, the error responses, the referrer check over HTTPS and
    ``g.csrf_valid`` are Flask-WTF's; only the token check first compares with the
    token made for this session (``_handed_out``) before unsigning it.
    """

    def protect(self, apply_exemptions: bool = False) -> None:
        # The method first: a GET is never checked, so looking for an exemption first
        # (Flask-WTF's order; each check only returns) was wasted on every page.
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        token = self._get_csrf_token()
        if not _handed_out(token):
            try:
                validate_csrf(token)
            except ValidationError as e:
                flask_wtf_csrf.logger.info(e.args[0])
                self._error_response(e.args[0])
            if current_app.config.get("WTF_CSRF_TIME_LIMIT") is None:  # valid as long as the session: keep it
                _csrf.keep(_csrf_key(session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")]), token)
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            good_referrer = f"https://{request.host}/"
            if not same_origin(request.referrer, good_referrer):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # mark this request as CSRF valid


def run_proof(run_id: str, secret_key: str | None = None) -> str:
    """``ownership.proof``, reusing a proof of the same run made in the last ten minutes."""
    from .patient.ownership import proof

    if secret_key is not None:
        return proof(run_id, secret_key)
    key = f"{current_app.config['SECRET_KEY']}\0{run_id}"
    found = _proofs.get(key)
    if found is not None and time.monotonic() - found[0] < PROOF_REUSE_SECONDS:
        return found[1]
    made = proof(run_id)
    _proofs.keep(key, made)
    return made


def init_app(app: Flask) -> None:
    """Templates (and the page cache, which fills in from these globals) use the reusing versions.

    Flask-WTF also puts ``csrf_token`` in every template context; a context
    processor registered after it overrides that one.
    """
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["run_proof"] = run_proof
    app.context_processor(lambda: {"csrf_token": csrf_token})
