#!/usr/bin/env python3
"""CPU time per patient step, in-process, without a server: where to look before a wrk run.

    .venv/bin/python bench/profile_steps.py [--requests 2000] [--profile get|post|htmx|...] [--cprofile]

Calls the portal's WSGI app directly (production settings, a temporary database
with the demo practices) and Flask's hello world the same way, and prints each
step's CPU time per request (``time.thread_time``, so other processes on a busy
machine hardly disturb it) and its share of hello world. What gunicorn adds per
request (accept, parse, write: the same for every step) is not in these figures,
so the shares here are lower than ``bench/patient_steps.py``'s.

The test client is not used for the timing: it adds ~100 µs per request.
``--profile STEP`` runs one step under pyinstrument (``--cprofile``: cProfile,
sorted by own time) and prints where its time goes. ``--two-workers``: another
connection commits before each portal request (outside the timing), as the
second gunicorn worker's answers do; what that costs this worker is counted.
``--calls``: Python function calls per request instead of CPU time (cProfile's
count, the same on every run however busy the machine): a steady before/after
measure of how much code a step runs.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hello_app import app as hello_app  # noqa: E402
from patient_steps import ANSWER, BROWSER, PRACTICE, SEARCH_QUERY, SELF_HELP_PAGE, TREE  # noqa: E402

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def portal_app(workdir: Path):  # type: ignore[no-untyped-def]
    """The portal as ``voordeur serve`` builds it in production, on a fresh demo database."""
    os.environ.update(
        VOORDEUR_ENV="production",
        VOORDEUR_SECRET_KEY="bench-secret-" + "x" * 40,
        VOORDEUR_PUBLIC_URL="http://127.0.0.1",
        VOORDEUR_SECURE_COOKIES="false",
        VOORDEUR_DATABASE=str(workdir / "bench.db"),
        VOORDEUR_AUDIT_CHECKPOINT_FILE=str(workdir / "audit-checkpoints.log"),
        VOORDEUR_STEPS_PER_RUN_HOUR=str(10**9),
    )
    (workdir / "voordeur.toml").write_text("")
    os.environ["VOORDEUR_CONFIG"] = str(workdir / "voordeur.toml")
    from portal import create_app
    from portal.demo import load_demo
    from portal.storage.db import open_db
    from portal.storage.migrations import migrate

    db = open_db(workdir / "bench.db")
    migrate(db)
    load_demo(db)
    db.close()
    return create_app()


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
    assert found, name
    return found.group(1)


def walk_to_question(app) -> tuple[str, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """As a browser would: (question path, cookie header, hidden form fields)."""
    client = app.test_client()
    begin = f"/{PRACTICE}/triage/{TREE}"
    token = _hidden(client.get(begin).text, "csrf_token")
    answer = client.post(begin, data={"csrf_token": token, "emergency_screen": "none"})
    danger = client.post(answer.location, data={"csrf_token": token, "general_danger": "none"})
    profile = {"csrf_token": token, "who_for": "self", "age_band": "adult_18_64", "sex": "female"}
    question = client.post(danger.location, data=profile).location
    html = client.get(question).text
    fields = {"csrf_token": _hidden(html, "csrf_token"), "run_proof": _hidden(html, "run_proof")}
    cookie = client.get_cookie("voordeur_session")
    assert cookie is not None
    return question, f"voordeur_session={cookie.value}", fields


def environs(question: str, cookie: str, fields: dict[str, str]) -> dict[str, tuple[str, dict, int]]:
    """step → (a WSGI environ template, the status it must get)."""
    browser = {**BROWSER, "Cookie": cookie}
    body = urllib.parse.urlencode({**fields, **ANSWER})
    form = {**browser, "Content-Type": "application/x-www-form-urlencoded"}
    htmx = {**form, "HX-Request": "true", "HX-Target": "panel"}

    def env(method: str, path: str, headers: dict[str, str], data: str = "") -> dict:
        return EnvironBuilder(path=path, method=method, headers=headers, data=data or None).get_environ()

    return {
        "hello": ("hello", env("GET", "/", BROWSER), 200),
        "livez": ("portal", env("GET", "/livez", browser), 200),
        "start": ("portal", env("GET", f"/{PRACTICE}/", browser), 200),
        "search": (
            "portal",
            env("GET", f"/{PRACTICE}/?q={SEARCH_QUERY}", {**browser, "HX-Request": "true", "HX-Target": "results"}),
            200,
        ),
        "search_page": ("portal", env("GET", f"/{PRACTICE}/?q={SEARCH_QUERY}", browser), 200),
        "selfhelp": ("portal", env("GET", f"/{PRACTICE}/zelfhulp/{SELF_HELP_PAGE}", browser), 200),
        "get": ("portal", env("GET", question, browser), 200),
        "post": ("portal", env("POST", question, form, body), 303),
        "htmx": ("portal", env("POST", question, htmx, body), 200),
    }


def call(app: WsgiApp, template: dict) -> str:
    environ = dict(template)
    body = template["wsgi.input"].getvalue() if hasattr(template["wsgi.input"], "getvalue") else b""
    environ["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0]


def cpu_per_request(
    apps: dict[str, WsgiApp],
    steps: dict[str, tuple[str, dict, int]],
    requests: int,
    batches: int = 9,
    between: Callable[[], None] | None = None,
) -> dict[str, float]:
    """µs of this thread's CPU per request, for every step: the fastest of ``batches`` interleaved batches.

    Interleaving puts every step through the same spells of load from elsewhere;
    the fastest batch is the one least disturbed by them. ``between`` runs before
    every portal request, outside the timing (the other worker's answer).
    """
    best = dict.fromkeys(steps, float("inf"))
    batch = max(1, requests // batches)
    for _ in range(batches):
        for name, (which, template, _status) in steps.items():
            if between is None or which != "portal":
                start = time.thread_time()
                for _ in range(batch):
                    call(apps[which], template)
                spent = time.thread_time() - start
            else:
                spent = 0.0
                for _ in range(batch):
                    between()
                    start = time.thread_time()
                    call(apps[which], template)
                    spent += time.thread_time() - start
            best[name] = min(best[name], spent / batch * 1e6)
    return best


def calls_per_request(
    apps: dict[str, WsgiApp], steps: dict[str, tuple[str, dict, int]], requests: int
) -> dict[str, float]:
    """Function calls (Python and built-in) per request, for every step, after a warm-up of 50."""
    import cProfile
    import pstats

    counted = {}
    for name, (which, template, _status) in steps.items():
        for _ in range(50):
            call(apps[which], template)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            call(apps[which], template)
        profiler.disable()
        counted[name] = pstats.Stats(profiler).total_calls / requests  # type: ignore[attr-defined]
    return counted


def other_worker(workdir: Path) -> Callable[[], None]:
    """The second gunicorn worker, answering in another triage: a commit on another connection
    before each request, so this worker's caches see what they see under ``voordeur serve``."""
    import sqlite3

    conn = sqlite3.connect(workdir / "bench.db", isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA synchronous = NORMAL")  # as the portal commits an answer
    other = "bench-other-worker"
    conn.execute("CREATE TEMP TABLE copied AS SELECT * FROM triage_runs LIMIT 1")  # a run of its own
    conn.execute("UPDATE copied SET id = ?", [other])
    conn.execute("INSERT INTO triage_runs SELECT * FROM copied")

    def answer() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE triage_runs SET last_active_at = last_active_at WHERE id = ?", [other])
        conn.execute("COMMIT")

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--profile", help="a step to profile: hello, livez, start, search, search_page, selfhelp, get, post, htmx"
    )
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of pyinstrument")
    parser.add_argument("--all", action="store_true", help="pyinstrument: show every frame, libraries too")
    parser.add_argument("--flat", action="store_true", help="pyinstrument: own time per function, not a tree")
    parser.add_argument("--batches", type=int, default=9, help="interleaved batches (the fastest counts)")
    parser.add_argument("--steps", help="only these steps (comma-separated; hello is always measured)")
    parser.add_argument(
        "--two-workers", action="store_true", help="another connection commits before each portal request"
    )
    parser.add_argument("--calls", action="store_true", help="function calls per request instead of CPU time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        portal = portal_app(Path(tmp))
        question, cookie, fields = walk_to_question(portal)
        apps = {"hello": hello_app.wsgi_app, "portal": portal.wsgi_app}
        steps = environs(question, cookie, fields)
        for name, (which, template, expected) in steps.items():
            status = call(apps[which], template)
            assert status.startswith(str(expected)), f"{name}: {status}"
        between = other_worker(Path(tmp)) if args.two_workers else None
        if args.profile:
            which, template, _ = steps[args.profile]
            options = dict(cprofile=args.cprofile, show_all=args.all, flat=args.flat, between=between)
            profile(apps[which], template, args.requests, **options)
            return
        if args.steps:
            wanted = {"hello", *args.steps.split(",")}
            steps = {name: step for name, step in steps.items() if name in wanted}
        if args.calls:
            counted = calls_per_request(apps, steps, min(args.requests, 500))
            print(f"{'step':12} {'calls':>8} {'× hello':>8}")
            for name, value in counted.items():
                print(f"{name:12} {value:8.0f} {counted['hello'] / value:8.2f}")
            return
        micros = cpu_per_request(apps, steps, args.requests, args.batches, between)
        print(f"{'step':12} {'µs CPU':>8} {'× hello':>8}")
        for name, value in micros.items():
            print(f"{name:12} {value:8.0f} {micros['hello'] / value:8.2f}")


def profile(
    app: WsgiApp,
    template: dict,
    requests: int,
    *,
    cprofile: bool,
    show_all: bool,
    flat: bool,
    between: Callable[[], None] | None = None,
) -> None:
    """Where one step's time goes, in per cent of the whole (the share is what survives a busy machine).

    With ``between`` (``--two-workers``) its own time is in the profile too, under ``answer``."""
    if cprofile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.thread_time)  # CPU time: a busy machine does not count
        profiler.enable()
        for _ in range(requests):
            if between is not None:
                between()
            call(app, template)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime")).print_stats(40)
        return
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    with Profiler(interval=0.0005) as profiler:
        for _ in range(requests):
            if between is not None:
                between()
            call(app, template)
    renderer = ConsoleRenderer(unicode=True, show_all=show_all, flat=flat, time="percent_of_total")
    print(profiler.output(renderer))


if __name__ == "__main__":
    main()
