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
"""

from __future__ import annotations

import time
from collections import OrderedDict

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

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
    found = _csrf.get(raw) if isinstance(raw, str) else None
    if found is not None:
        setattr(g, field, found[1])  # as generate_csrf caches it: forms in this request use the same
        return found[1]
    token = generate_csrf()
    _csrf.keep(session[field], token)
    return token


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
