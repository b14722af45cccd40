"""Passwords (argon2id) and the TOTP second factor: thin wrappers over argon2-cffi and pyotp."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
ISSUER = "Voordeur"
MIN_PASSWORD_LENGTH = 12


MIN_STRENGTH = 3  # zxcvbn's score 0–4: 3 is "safely unguessable" for an online attack

# Why a password is refused, by code; the web form shows its own translated texts.
PASSWORD_PROBLEMS = {
    "blank": "a password cannot be only spaces",
    "short": f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
    "padded": "a password cannot start or end with a space",
    "guessable": "this password is too common or too easy to guess: use a few unrelated words",
}


def password_problem(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why this password may not be used (a key of PASSWORD_PROBLEMS), or None.

    Length alone let "huisarts1234" and whitespace through. zxcvbn scores a
    password against lists of common and breached passwords, names, keyboard
    patterns and dates (and the account's own e-mail and name), offline.
    """
    if not password.strip():
        return "blank"
    if len(password) < MIN_PASSWORD_LENGTH:
        return "short"
    if password != password.strip():
        return "padded"
    from zxcvbn import zxcvbn  # its word lists: ~0.15 s of CPU, so imported by the processes that check one

    verdict = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])
    if verdict["score"] < MIN_STRENGTH:
        return "guessable"
    return None


def hash_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> str:
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise ValueError(PASSWORD_PROBLEMS[problem])
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so a wrong e-mail address
    takes as long as a wrong password.

    Made on first use, not at import: hashing costs ~0.8 s of CPU (slow on purpose), and every
    process that builds the app imports this module, also each `voordeur` command and test process
    that never checks a login. `voordeur serve` makes it before its workers fork (``prepare``).
    """
    return _hasher.hash("not-a-real-password-for-timing")


def prepare() -> None:
    """Make now what a login or a password change would otherwise pay for first: the dummy hash and
    zxcvbn's word lists (`voordeur serve`, in the master before the workers fork)."""
    _dummy_hash()
    import zxcvbn  # noqa: F401


def check_nothing(password: str) -> bool:
    check_password(_dummy_hash(), password)
    return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step a code belongs to (one step of clock drift either side), or None.

    The caller records the step, so the same code cannot be used twice
    (``storage.staff.use_totp_step``); pyotp's ``verify`` does not say which step matched.
    """
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(UTC)
    current = totp.timecode(moment)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(secret: str, code: str) -> bool:
    return totp_step(secret, code) is not None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI, made here: no third-party QR service.

    segno's ``svg_data_uri`` keeps the SVG namespace; ``svg_inline`` (for SVG inside
    HTML) leaves it out, and an ``<img>`` then showed nothing.
    """
    import segno  # only the enrolment page draws a QR code

    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#0b0c0c", light="#ffffff")
