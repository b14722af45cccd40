"""Against a real gunicorn with two workers: lockout holds across workers, and no
acknowledged request is lost or doubled when a worker is killed mid-flight."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.patient.ownership import proof
from portal.storage.db import open_db
from portal.storage.routing import Progress, start_run
from tests.conftest import start_live_server, stop_live_server
from tests.factories import STAFF_PASSWORD

ECONSULT_ANSWERS = {
    "emergency_screen": "none",
    "general_danger": ["none"],
    "who_for": "self",
    "age_band": "adult_18_64",
    "sex": "female",
    "breath_signs": ["none"],
    "today_signs": ["none"],
    "duration": "over_3_weeks",
    "risk_group": "none",
    "second_contact": "no",
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _session(base: str, path: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like session (cookie jar) and the CSRF token of the form at ``path``."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(base + path) as response:
        html = response.read().decode()
    return opener, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _post(opener, url: str, data: dict) -> int:
    body = urllib.parse.urlencode(data, doseq=True).encode()
    try:
        with opener.open(url, data=body, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_login_lockout_holds_across_two_workers(live_server):
    live_server.create_staff("lock@example.nl", "assistant")  # as `voordeur users create --password-stdin`
    assert len(live_server.workers()) == 2
    for _ in range(5):  # a new connection each time: the two workers share the attempts
        opener, token = _session(live_server.base, "/staff/login")
        wrong = {"csrf_token": token, "email": "lock@example.nl", "password": "not the password"}
        assert _post(opener, live_server.base + "/staff/login", wrong) == 422
    opener, token = _session(live_server.base, "/staff/login")
    right = {"csrf_token": token, "email": "lock@example.nl", "password": STAFF_PASSWORD}
    assert _post(opener, live_server.base + "/staff/login", right) == 422  # still locked


@pytest.fixture
def fresh_server(tmp_path, demo_database):
    live = start_live_server(tmp_path, database=demo_database)
    yield live
    stop_live_server(live)


def test_no_acknowledged_request_is_lost_or_doubled_when_a_worker_is_killed(fresh_server):
    live = fresh_server
    db = open_db(live.database)
    runs = [
        start_run(
            db,
            practice="de-linde",
            tree_id="hoesten",
            tree_version=2,
            prelude_version=1,
            locale="nl",
            progress=Progress(
                answers=ECONSULT_ANSWERS,
                last_node="econsult_long_cough",
                outcome_node="econsult_long_cough",
                route="econsult",
                urgency="U5",
            ),
            now=datetime.now(UTC),
        )
        for _ in range(200)
    ]
    db.close()
    urls = [f"{live.base}/de-linde/triage/hoesten/{run}/verzoek" for run in runs]
    opener, token = _session(live.base, "/de-linde/triage/hoesten")  # one session, its CSRF token
    acknowledged: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def submit(index: int) -> None:
        key = f"durability-{index}"
        form = {
            "csrf_token": token,
            # The proof each run's own form page carries (these runs were made directly in the database).
            "run_proof": proof(runs[index], live.env["VOORDEUR_SECRET_KEY"]),
            "idempotency_key": key,
            "name": f"Patiënt {index}",
            "birth_day": "1",
            "birth_month": "1",
            "birth_year": "1970",
            "for_whom": "self",
            "phone": "06 12345678",
            "message": f"Vraag nummer {index}",
            "action": "send",  # "Verstuur" on the check-your-answers page
        }
        for _attempt in range(20):  # a client retries with the same key until it gets an answer
            try:
                status = _post(opener, urls[index], form)
            except OSError:
                status = None
            if status == 303:
                with lock:
                    acknowledged.append(key)
                    if len(acknowledged) == 40 and not killed.is_set():
                        killed.set()
                        live.kill_a_worker()
                return
            time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(submit, range(200)))

    assert killed.is_set()
    assert len(acknowledged) == 200
    db = open_db(live.database)
    rows = list(db.query("SELECT idempotency_key, count(*) AS n FROM requests GROUP BY idempotency_key"))
    db.close()
    assert {row["idempotency_key"] for row in rows} == set(acknowledged)
    assert all(row["n"] == 1 for row in rows)
    problems = audit_problems(live)
    assert problems == [], problems  # `voordeur audit verify` would exit 0: the chain is intact


def audit_problems(live) -> list[str]:
    """What `voordeur audit verify` reports for the server's database (nothing: it exits 0), with
    the key and checkpoint file the server's environment gives it, checked from this process.

    A `voordeur` process loads and checks all content before it runs a command (~6 s of CPU);
    the command itself (settings, output, exit code) is tested in tests/app/test_audit_anchoring.py.
    """
    from flask import Flask

    from portal.config import load_settings
    from portal.storage.audit import verify

    # The instance folder the command's app would use (``portal.app.create_app``).
    settings = load_settings(Path(Flask("portal", instance_relative_config=True).instance_path), environ=live.env)
    db = open_db(live.database)
    try:
        return verify(db, key=settings["AUDIT_KEY"], checkpoint_file=settings["AUDIT_CHECKPOINT_FILE"])
    finally:
        db.close()
