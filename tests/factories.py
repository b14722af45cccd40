"""Helpers that make a test read like what a patient does."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bs4 import BeautifulSoup
from flask import Flask

from portal import create_app

ADULT_WOMAN = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}
ADULT_MAN = {"who_for": "self", "age_band": "adult_18_64", "sex": "male"}
NO_RISK = {"risk_group": "none", "second_contact": "no"}


@dataclass
class Patient:
    """Walks a triage through the Flask test client, as a browser without JavaScript would."""

    client: object
    practice: str = "de-linde"
    url: str = ""
    history: list[str] = field(default_factory=list)
    htmx: bool = False

    def start(self, tree: str, emergency: str = "none", danger: str | list[str] | None = "none"):
        """The emergency screen, then (unless ``danger`` is None) the general danger screen with ``danger`` ticked."""
        response = self._post(f"/{self.practice}/triage/{tree}", {"emergency_screen": emergency})
        if danger is not None and self.url.endswith("/general_danger"):
            return self._post(self.url, {"general_danger": danger})
        return response

    def answer(self, **values: str):
        return self._post(self.url, values)

    def _post(self, url: str, data: dict):
        headers = {"HX-Request": "true"} if self.htmx else {}
        response = self.client.post(url, data=data, headers=headers)
        location = response.headers.get("Location") or response.headers.get("HX-Push-Url")
        if location:
            self.history.append(location)
            self.url = location
        return response

    def page(self):
        return self.client.get(self.url)

    @property
    def run_id(self) -> str:
        return self.url.split("/")[4]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


# --- staff -------------------------------------------------------------------------------

STAFF_PASSWORD = "correct horse battery staple"


@cache
def staff_password_hash() -> str:
    """The portal's own argon2id hash of STAFF_PASSWORD, made once per test process.

    argon2id is slow on purpose (about 0.1 s of CPU a hash); the accounts the tests
    make all have this password, so they share one real hash. Logging in still
    verifies the password against it in full.
    """
    from portal.staff.credentials import hash_password

    return hash_password(STAFF_PASSWORD)


def gen_staff(db, *, role: str = "assistant", practices=("de-linde",), email: str | None = None):
    """A staff account with a confirmed TOTP secret, as after enrolment."""
    import pyotp

    from portal.storage.staff import confirm_totp, create_staff, get_staff, set_totp_secret

    email = email or f"{role}.{'-'.join(practices)}@example.nl"
    staff = create_staff(
        db,
        email=email,
        name=f"{role.title()} {practices[0]}",
        role=role,
        practices=list(practices),
        password_hash=staff_password_hash(),
    )
    set_totp_secret(db, staff.id, pyotp.random_base32())
    confirm_totp(db, staff.id)
    return get_staff(db, staff.id)


def login(client, staff, password: str = STAFF_PASSWORD):
    """Password, then the current TOTP code, as the authenticator app would show it.

    A code is accepted once (replay protection), and tests log in many times
    within one 30-second step: forget the used step first, as if the next code
    had come.
    """
    import pyotp

    from portal.storage.db import open_db

    database = open_db(client.application.config["VOORDEUR"]["DATABASE"])
    database.execute("UPDATE staff SET totp_last_step = NULL WHERE id = ?", [staff.id])
    database.conn.commit()
    database.close()
    client.post("/staff/login", data={"email": staff.email, "password": password})
    return client.post("/staff/2fa", data={"code": pyotp.TOTP(staff.totp_secret).now()})


def econsult_run(client, practice: str = "de-linde") -> Patient:
    """A finished triage that ends in an e-consult (a cough of three weeks or longer)."""
    patient = Patient(client, practice=practice)
    patient.start("hoesten")
    patient.answer(**ADULT_WOMAN)
    patient.answer(breath_signs="none")
    patient.answer(today_signs="none")
    patient.answer(duration="over_3_weeks")
    patient.answer(**NO_RISK)
    assert patient.url.endswith("/uitkomst"), patient.url
    return patient


def request_url(patient: Patient) -> str:
    return patient.url.rsplit("/", 1)[0] + "/verzoek"


ECONSULT_FORM = {
    "name": "Anna de Vries",
    "birth_day": "17",
    "birth_month": "5",
    "birth_year": "1980",
    "for_whom": "self",
    "phone": "06 12345678",
    "email": "",
    "message": "Ik hoest al vier weken, vooral 's nachts.",
    "idempotency_key": "key-1",
    # "Verstuur" on the check-your-answers page; without it a valid form shows that page first.
    "action": "send",
}


def send_econsult(client, practice: str = "de-linde", **overrides):
    """A finished e-consult triage and a sent request; returns (patient, response).

    Each triage gets its own idempotency key, as each form the portal renders does.
    """
    patient = econsult_run(client, practice)
    data = {**ECONSULT_FORM, "idempotency_key": f"key-{patient.run_id}", **overrides}
    response = client.post(request_url(patient), data=data)
    return patient, response


def self_care_run(client, practice: str = "de-linde") -> Patient:
    """A finished sore-throat triage that ends in self-care."""
    patient = Patient(client, practice=practice)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    for question in ("alarm_signs", "today_signs"):
        patient.answer(**{question: "none"})
    patient.answer(duration="under_1_week")
    patient.answer(**NO_RISK)
    return patient


def worries_run(
    client, practice: str = "de-linde", *, low_mood: str = "no", topic: str | None = None, profile=ADULT_WOMAN
) -> Patient:
    """The worries tree: low mood 'yes' ends at the POH-GGZ, otherwise a topic picks the social service."""
    patient = Patient(client, practice=practice)
    patient.start("zorgen")
    patient.answer(**profile)
    patient.answer(dark_thoughts="no")
    patient.answer(unsafe_home="no")
    patient.answer(low_mood=low_mood)
    if topic:
        patient.answer(topic=topic)
    return patient


def made_whole(path: Path) -> Path:
    """Check ``path``'s write-ahead log into the file itself, so a plain copy of it is the whole database."""
    from portal.storage.db import open_db

    db = open_db(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return path


def private_copy(source: Path, folder: Path) -> Path:
    """A test's own copy of a prepared database (made once per module, copied per test)."""
    path = folder / "voordeur.db"
    shutil.copy2(source, path)
    return path


def app_settings(database: Path, rules_dir: Path, content_dir: Path, folder: Path, **overrides: object) -> dict:
    """The settings of an app the tests build: its database, triage files and content, a secret,
    no settings file, content looked at on every request, the audit checkpoints in ``folder``;
    ``overrides`` change or add settings (the ``app`` fixture adds ``WTF_CSRF_ENABLED=False``)."""
    return {
        "DATABASE": str(database),
        "RULES_DIR": str(rules_dir),
        "CONTENT_DIR": str(content_dir),
        "SECRET_KEY": "test-secret",
        "CONFIG": None,
        "RULES_CHECK_SECONDS": 0,
        "AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.log"),
        "TESTING": True,
        **overrides,
    }


def app_on_a_copy(folder: Path, database: Path, content: tuple[Path, Path], **overrides: object) -> tuple[Flask, Path]:
    """An app with the tests' settings (``app_settings``) on a copy of ``database`` in ``folder``,
    reading the triage files and content of ``content`` (rules, content): for a module that
    prepares its data once through the portal itself. Returns the app and the copy's path."""
    path = folder / "voordeur.db"
    shutil.copy2(database, path)
    rules_dir, content_dir = content
    return create_app(app_settings(path, rules_dir, content_dir, folder, **overrides)), path
