"""The least an answer POST can do in Flask: a yardstick for what the target asks of one.

``bench/post_floor.py`` serves this beside ``bench/hello_app.py`` with the same
gunicorn settings and reports each route as a share of hello world. It is not the
portal: it has none of the portal's code, only Flask and the libraries the stack
fixes (a signed cookie session, Flask-WTF's CSRF check, SQLite), each used the
plain way its documentation shows. What a patient's answer cannot do without:

- ``/answer`` (POST): the session cookie opened and re-signed (a permanent
  session, refreshed on each request, as a browser keeps it alive), the CSRF
  token checked, one answer read from the form, the run read by its id and
  written back in one committed transaction, a 303 to the next question.

The portal's answer does more than this (the run's ownership proof, the rate
limit, the tree walk, security headers, the routing log's columns); so whatever
share ``/answer`` gets, the portal's POST cannot beat it. Three lighter routes
show where the share goes:

- ``/redirect`` (POST): a 303 and nothing else (the body is not even read);
- ``/form-redirect`` (POST): the form read and a 303, no session, no CSRF, no database;
- ``/session-redirect`` (POST): that, with the session opened and re-signed and the CSRF check;
- ``/question`` (GET): the session opened and a small page with the CSRF token rendered.

Each piece is the cheapest way the libraries offer: one SQLite connection per worker
process (not one per request), the page template compiled once, no extension beyond
Flask-WTF's ``CSRFProtect``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, redirect, render_template, request, session
from flask_wtf.csrf import CSRFProtect
from jinja2 import DictLoader

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("FLOOR_SECRET_KEY", "floor-secret-" + "x" * 40),
    PERMANENT_SESSION_LIFETIME=timedelta(hours=2),
    WTF_CSRF_TIME_LIMIT=None,
)
csrf = CSRFProtect(app)
DATABASE = Path(os.environ.get("FLOOR_DATABASE") or Path(tempfile.gettempdir()) / "voordeur-floor.db")
RUN_ID = "run-1"

PAGE = """<!doctype html><html lang="nl"><title>Vraag</title>
<form method="post" action="/answer"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<fieldset><legend>Is er nu een van deze dingen aan de hand?</legend>
<label><input type="radio" name="alarm_signs" value="none"> Nee, geen van deze</label></fieldset>
<button>Volgende</button></form></html>"""
app.jinja_loader = DictLoader({"question.html": PAGE})


def prepare(path: Path = DATABASE) -> None:
    """One run row to answer (called once, before the server starts)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, answers TEXT NOT NULL, steps INTEGER)")
        db.execute("INSERT OR REPLACE INTO runs VALUES (?, '{}', 0)", (RUN_ID,))


_connection: sqlite3.Connection | None = None


def get_db() -> sqlite3.Connection:
    """One connection per worker process, opened on its first answer (cheaper than one per request)."""
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(DATABASE, isolation_level=None, check_same_thread=False)
        _connection.execute("PRAGMA synchronous=NORMAL")
    return _connection


@app.get("/question")
def question() -> str:
    session.permanent = True
    session.setdefault("run", RUN_ID)
    return render_template("question.html")


@app.post("/answer")
def answer():  # type: ignore[no-untyped-def]
    value = request.form["alarm_signs"]
    db = get_db()
    db.execute("BEGIN IMMEDIATE")
    row = db.execute("SELECT answers, steps FROM runs WHERE id = ?", (session["run"],)).fetchone()
    answers = {**json.loads(row[0]), "alarm_signs": value}
    db.execute("UPDATE runs SET answers = ?, steps = ? WHERE id = ?", (json.dumps(answers), row[1] + 1, RUN_ID))
    db.execute("COMMIT")
    return redirect("/question", 303)


@app.post("/session-redirect")
def session_redirect():  # type: ignore[no-untyped-def]
    request.form.get("alarm_signs")
    session.get("run")
    return redirect("/question", 303)


@app.post("/redirect")
@csrf.exempt
def redirect_only():  # type: ignore[no-untyped-def]
    return redirect("/question", 303)


@app.post("/form-redirect")
@csrf.exempt
def form_redirect():  # type: ignore[no-untyped-def]
    request.form.get("alarm_signs")
    return redirect("/question", 303)
