#!/usr/bin/env python3
"""Benchmark: every evaluation view on a large routing log, and a patient's step while an
evaluator works. Not a timed test: it prints figures to record in docs/performance.md.

    .venv/bin/python bench/evaluation.py [--sessions 1000000] [--cache /tmp/voordeur-eval-bench]
                                         [--seconds 20] [--rate 20] [--skip-isolation]

1. Seeding: ``voordeur demo --sessions N`` (the synthetic generator) writes
   ``CACHE/seed-N.db`` once, timed; later runs reuse that file (seeding a million records
   takes minutes on a busy machine). Each run works on a copy, migrated to the current code.
2. Rollups: the migration that introduced them fills them (timed); then an incremental
   refresh after new runs today and a decision on a run from 30 days ago.
3. Views, in-process through the Flask test client: the first request and the slowest of
   three more (the rollups are already fresh, as the evaluation process keeps them).
4. Isolation: ``voordeur serve`` twice on the same database, as the Procfile runs them — the
   patient process (``web:``, 2 workers) and the evaluation process (``evaluation:``, 1 worker,
   ``nice -n 10``). The patient's htmx answer step is sent open-loop at ``--rate`` per second
   (bench/fixed_rate.py: latency counted from when each request was due) for ``--seconds``:
   alone; while an evaluator reloads the 12-month dashboard without pause on the evaluation
   process; and, for comparison, while the evaluator does the same on the patient process.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from fixed_rate import build_request, measure  # noqa: E402
from patient_steps import BROWSER, PRACTICE, TREE, Server, Step, check, free_port, portal_env  # noqa: E402

VIEWS = [
    ("dashboard, all practices, last 90 days", "/staff/evaluatie/"),
    ("dashboard, one practice, last 90 days", "/staff/evaluatie/?praktijk=de-linde"),
    ("dashboard, all practices, 12 months", "/staff/evaluatie/?van={year_ago}&tot={today}"),
    ("dashboard, one complaint drill-down", "/staff/evaluatie/?van={year_ago}&tot={today}&klacht=hoesten"),
    ("export CSV, 12 months", "/staff/evaluatie/export.csv?van={year_ago}&tot={today}"),
    ("export JSON, 12 months", "/staff/evaluatie/export.json?van={year_ago}&tot={today}"),
    ("yearly report", "/staff/evaluatie/jaarverslag"),
]
TWELVE_MONTHS = VIEWS[2][1]
EVALUATOR = "bench-evaluator@example.nl"


def seed(cache: Path, sessions: int) -> tuple[Path, str]:
    """The cached seeded database for ``sessions`` runs (made now if missing) and how long seeding took."""
    cache.mkdir(parents=True, exist_ok=True)
    seeded, note = cache / f"seed-{sessions}.db", cache / f"seed-{sessions}.txt"
    if not seeded.exists():
        partial = cache / f"seed-{sessions}.partial.db"
        partial.unlink(missing_ok=True)
        env = {**os.environ, "VOORDEUR_DATABASE": str(partial), "VOORDEUR_SECRET_KEY": "bench"}
        started = time.monotonic()
        subprocess.run(
            [str(Path(sys.executable).parent / "voordeur"), "demo", "--sessions", str(sessions)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        _checkpoint(partial)
        partial.rename(seeded)
        note.write_text(f"{seconds:.0f} s on {datetime.now(UTC):%Y-%m-%d} (load average {_load()})\n")
    return seeded, note.read_text().strip() if note.exists() else "unknown (seeded before this script timed it)"


def _checkpoint(path: Path) -> None:
    from portal.storage.db import checkpoint, open_db

    db = open_db(path)
    checkpoint(db)
    db.close()


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def rollups(db) -> None:
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules
    from portal.storage import stats
    from portal.storage.migrations import migrate

    started = time.perf_counter()
    applied = migrate(db)
    print(f"migrations applied to the copy: {', '.join(applied) or 'none'} ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    days = stats.refresh(db)
    print(f"refresh right after the migration: {len(days)} changed days, {time.perf_counter() - started:.1f} s")
    for table in ("stats_flow", "stats_signals", "stats_measures", "stats_dropout", "stats_disposition"):
        counts = {r["grain"]: r["n"] for r in db.query(f"SELECT grain, count(*) AS n FROM {table} GROUP BY grain")}
        print(
            f"  {table}: " + ", ".join(f"{counts.get(g, 0):,} {g}" for g in ("day", "week", "month", "quarter", "year"))
        )

    from portal.storage.routing import insert_many

    trees = rules().trees
    insert_many(db, ROW_COLUMNS, generate(trees, ["de-linde", "het-anker"], 300, end=date.today(), days=1, seed=99))
    old = (date.today() - timedelta(days=30)).isoformat()
    db.execute(
        "UPDATE triage_runs SET final_route = 'appointment', final_urgency = 'U4', disposition_at = ? "
        "WHERE id = (SELECT id FROM triage_runs WHERE started_at >= ? AND route = 'econsult' LIMIT 1)",
        [f"{date.today()} 09:00", old],
    )
    db.conn.commit()
    started, started_cpu = time.perf_counter(), time.process_time()
    days = stats.refresh(db)
    cpu = time.process_time() - started_cpu
    print(
        f"incremental refresh after 300 new runs today and one decision on {old}: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms, {cpu * 1000:.0f} ms CPU "
        f"({len(days)} days: {', '.join(days)})"
    )


def views(app, database: Path) -> None:
    from portal.storage.db import open_db
    from tests.factories import gen_staff, login

    db = open_db(database)
    staff = gen_staff(db, role="evaluator", practices=("de-linde", "het-anker"), email=EVALUATOR)
    client = app.test_client()
    login(client, staff)
    # CPU: this process's own time (the view and SQLite run in it), the figure a quiet machine
    # would show as wall-clock time; wall-clock time here includes waiting for other processes.
    print("\n| view | first | slowest of 3 more | CPU, median of 4 |\n|---|---:|---:|---:|")
    for name, url in VIEWS:
        timings, cpu = [], []
        for _ in range(4):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(_dated(url))
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"| {name} | {timings[0] * 1000:.0f} ms | {max(timings[1:]) * 1000:.0f} ms "
            f"| {sorted(cpu)[2] * 1000:.0f} ms |"
        )
    db.close()


def _dated(url: str) -> str:
    today = date.today()
    return url.format(today=today, year_ago=today - timedelta(days=364))


def evaluator_session(base: str, database: Path) -> urllib.request.OpenerDirector:
    """Log the benchmark's evaluator in over HTTP: password, then the current TOTP code."""
    import pyotp

    from portal.storage.db import open_db
    from portal.storage.staff import find_staff
    from tests.factories import STAFF_PASSWORD

    db = open_db(database)
    staff = find_staff(db, EVALUATOR)
    assert staff is not None
    db.execute("UPDATE staff SET totp_last_step = NULL WHERE id = ?", [staff.id])  # a second login in one step
    db.conn.commit()
    db.close()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path: str, values: dict[str, str]) -> str:
        page = opener.open(base + path).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, path
        data = urllib.parse.urlencode({"csrf_token": token.group(1), **values}).encode()
        return opener.open(base + path, data=data).url

    post("/staff/login", {"email": EVALUATOR, "password": STAFF_PASSWORD})
    landed = post("/staff/2fa", {"code": pyotp.TOTP(staff.totp_secret).now()})
    assert "/staff/login" not in landed and "/staff/2fa" not in landed, landed
    return opener


class Evaluator(threading.Thread):
    """Reloads the 12-month dashboard without pause until stopped; keeps each load's time."""

    def __init__(self, opener: urllib.request.OpenerDirector, url: str) -> None:
        super().__init__(daemon=True)
        self.opener, self.url, self.timings = opener, url, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            with self.opener.open(self.url) as response:
                response.read()
                assert response.status == 200
            self.timings.append(time.perf_counter() - started)


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[Server]:
    """A server up and answering /livez. On a machine busy with other work, starting (loading and
    checking every tree) can take far longer than bench/patient_steps.py waits: wait 3 minutes."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1800):
            if process.poll() is not None:
                raise SystemExit(f"{command} exited with {process.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{command} did not start")
        yield Server(process, port)
    finally:
        process.terminate()
        process.wait(timeout=30)


PROFILE = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}


def prepare_run(base: str) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """Walk one triage to the tree's first question, whatever screens the prelude and the tree have
    now (others edit them): each screen gets "none" (or "no") where it offers it, the profile an
    adult. Return (question path, cookie header, form fields, the answer to send)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base}/{PRACTICE}/triage/{TREE}"
    profiled = False
    for _screen in range(8):
        html = opener.open(url).read().decode()
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html))
        choices: dict[str, list[str]] = {}
        for name, value in re.findall(r'type="(?:radio|checkbox)"[^>]*?name="([^"]+)"[^>]*?value="([^"]+)"', html):
            choices.setdefault(name, []).append(value)
        answers = {name: PROFILE.get(name) or _harmless(values) for name, values in choices.items()}
        if profiled:  # the first screen after the profile: the tree's first question
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            return urllib.parse.urlsplit(url).path, cookie, fields, answers
        profiled = set(PROFILE) <= set(choices)
        url = opener.open(url, data=urllib.parse.urlencode({**fields, **answers}).encode()).url
    raise SystemExit(f"no tree question within 8 screens of {TREE}")


def _harmless(values: list[str]) -> str:
    return next((v for v in ("none", "no") if v in values), values[-1])


def htmx_answer(base: str, question: str, cookie: str, fields: dict[str, str], answers: dict[str, str]) -> Step:
    """The patient's htmx answer step, as bench/patient_steps.py sends it (a write and the next panel)."""
    headers = {
        **BROWSER,
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "HX-Target": "panel",
        "HX-Current-URL": base + question,
    }
    body = urllib.parse.urlencode({**fields, **answers})
    return Step("htmx POST answer (write + next panel)", "POST", question, 200, headers, body)


def isolation(workdir: Path, seconds: float, rate: float) -> None:
    patient_port, evaluation_port = free_port(), free_port()
    env = portal_env(workdir, patient_port)
    voordeur = str(Path(sys.executable).parent / "voordeur")
    web = [voordeur, "serve", "--port", str(patient_port), "--workers", "2"]
    evaluation = ["nice", "-n", "10", voordeur, "serve", "--port", str(evaluation_port), "--workers", "1"]
    with (
        serving(web, env, patient_port) as patients,
        serving(evaluation, env, evaluation_port) as evaluators,
    ):
        step = htmx_answer(patients.base, *prepare_run(patients.base))
        check(patients.base, step)
        request = build_request("127.0.0.1", patient_port, step.method, step.path, step.headers, step.body.encode())
        rows = []
        for label, server in (
            ("no evaluator", None),
            ("evaluator on the evaluation process (Procfile `evaluation:`)", evaluators),
            ("evaluator on the patient process (before: one process for all)", patients),
        ):
            loader = None
            if server is not None:
                loader = Evaluator(
                    evaluator_session(server.base, workdir / "bench.db"), server.base + _dated(TWELVE_MONTHS)
                )
                loader.start()
                time.sleep(1)
            report = measure("127.0.0.1", patient_port, request, rate, seconds)
            if loader is not None:
                loader.stop.set()
                loader.join()
            loads = sorted(loader.timings) if loader else []
            dashboard = f"{len(loads)} loads, median {loads[len(loads) // 2] * 1000:.0f} ms" if loads else "–"
            rows.append(
                f"| {label} | {report.percentile(0.5) * 1000:.1f} ms | {report.percentile(0.99) * 1000:.1f} ms "
                f"| {report.unexpected(step.expected)} | {dashboard} |"
            )
        print(f"\nPatient step ({step.label}) at {rate:g}/s for {seconds:g} s each, load average now {_load()}:\n")
        print("| while | p50 | p99 | failed | 12-month dashboard |\n|---|---:|---:|---:|---|")
        print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voordeur-eval-bench"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=20, help="patient steps per second")
    parser.add_argument("--skip-isolation", action="store_true")
    args = parser.parse_args()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} CPUs · Python {platform.python_version()} · load average {_load()}"
    )
    seeded, seeding = seed(args.cache, args.sessions)
    print(f"seeding {args.sessions:,} runs (voordeur demo --sessions): {seeding}; cached at {seeded}")
    workdir = args.cache / "run"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    database = workdir / "bench.db"
    shutil.copyfile(seeded, database)
    os.environ.update(portal_env(workdir, 5000))

    from portal import create_app
    from portal.storage.db import open_db
    from portal.storage.routing import count_runs

    db = open_db(database)
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        rollups(db)
    print(f"routing records: {count_runs(db):,}")
    db.close()
    views(app, database)
    if not args.skip_isolation:
        isolation(workdir, args.seconds, args.rate)


if __name__ == "__main__":
    main()
