"""The floor app (`bench/floor_app.py`) does the work it is said to do, so its share means something.

`bench/post_floor.py` reports the least answer POST a Flask app can make as a share of hello
world. That figure would be worthless if the floor skipped a part of the work: these tests
check that its answer checks the CSRF token, refreshes the signed session, writes the answer
in the database, and redirects, and that the lighter routes are what their names say.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import floor_app
from patient_steps import _hidden


@pytest.fixture
def floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    database = tmp_path / "floor.db"
    floor_app.prepare(database)
    monkeypatch.setattr(floor_app, "DATABASE", database)
    monkeypatch.setattr(floor_app, "_connection", None)
    yield database
    if floor_app._connection is not None:
        floor_app._connection.close()


def _stored(database: Path) -> tuple[dict, int]:
    with sqlite3.connect(database) as db:
        answers, steps = db.execute("SELECT answers, steps FROM runs WHERE id = ?", (floor_app.RUN_ID,)).fetchone()
    return json.loads(answers), steps


def test_the_least_answer_post_checks_the_token_writes_the_answer_and_redirects(floor: Path) -> None:
    client = floor_app.app.test_client()
    page = client.get("/question")
    assert page.status_code == 200 and "Set-Cookie" in page.headers
    token = _hidden(page.get_data(as_text=True), "csrf_token")

    refused = client.post("/answer", data={"alarm_signs": "none"})
    assert refused.status_code == 400  # no CSRF token: Flask-WTF refuses it
    assert _stored(floor) == ({}, 0)

    for count in (1, 2):
        answered = client.post("/answer", data={"csrf_token": token, "alarm_signs": "none"})
        assert answered.status_code == 303 and answered.headers["Location"] == "/question"
        assert "Set-Cookie" in answered.headers  # the permanent session is re-signed on each answer
        assert _stored(floor) == ({"alarm_signs": "none"}, count)


def test_the_lighter_routes_do_what_their_names_say(floor: Path) -> None:
    client = floor_app.app.test_client()
    token = _hidden(client.get("/question").get_data(as_text=True), "csrf_token")
    fields = {"csrf_token": token, "alarm_signs": "none"}

    assert client.post("/session-redirect", data={"alarm_signs": "none"}).status_code == 400  # CSRF checked
    checked = client.post("/session-redirect", data=fields)
    assert checked.status_code == 303 and "Set-Cookie" in checked.headers
    for plain in ("/form-redirect", "/redirect"):
        answer = floor_app.app.test_client().post(plain, data={"alarm_signs": "none"})
        assert answer.status_code == 303 and "Set-Cookie" not in answer.headers
    assert _stored(floor) == ({}, 0)  # only /answer writes
