#!/usr/bin/env python3
"""Benchmark: every evaluation view on a large routing log, and a patient's step while an
evaluator works. Not a timed test: it prints figures to record in docs/performance.md.

    .venv/bin/python bench/evaluation.py [--sessions 1000000] [--cache /tmp/voordeur-eval-bench]
                                         [--seconds 20] [--rate 20] [--skip-isolation]

1. Seeding: ``voordeur demo --sessions N`` (the synthetic generator, straight into the tables,
   each day rolled up as soon as it is complete) writes ``CACHE/seed-N.db`` once, timed; later
   runs reuse that file. Each run works on a copy, migrated to the current code.
2. Rollups: rows per table and grain; an incremental refresh after new runs today and a
   decision on a run from 30 days ago; then a refresh of 60 changed days as ``voordeur sweep``
   does it, with how many write transactions it took and the longest (a patient's write waits
   for at most one of them).
3. Views, in-process through the Flask test client: the first request and the slowest of
   three more (the rollups are already fresh, as the evaluation process keeps them), with the
   process's CPU time. The app is first readied as ``voordeur serve`` readies a worker
   (``portal/warm.py``: templates compiled, start-up objects frozen out of the collector).
4. Isolation: ``voordeur serve`` twice on the same database, exactly as the Procfile runs them —
   the patient process (``web:``, 2 workers) and the evaluation process (``evaluation:``,
   ``nice -n 10``, 1 worker). The patient's htmx answer step is sent open-loop at ``--rate`` per
   second (bench/fixed_rate.py: latency counted from when each request was due) for
   ``--seconds``: alone; while an evaluator reloads the 12-month dashboard without pause on the
   evaluation process; while ``voordeur sweep`` refreshes 60 changed days; and, for comparison,
   while the evaluator does the same on the patient process (one process for everything).

The output ends with the tables to paste into docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import itertools
import os
import platform
import re
import shlex
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
        started, cpu = time.monotonic(), _children_cpu()
        subprocess.run(
            [str(Path(sys.executable).parent / "voordeur"), "demo", "--sessions", str(sessions)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds, cpu = time.monotonic() - started, _children_cpu() - cpu
        _checkpoint(partial)
        partial.rename(seeded)
        note.write_text(
            f"{seconds:.0f} s wall-clock, {cpu:.0f} s CPU, on {datetime.now(UTC):%Y-%m-%d} (load average {_load()})\n"
        )
    return seeded, note.read_text().strip() if note.exists() else "unknown (seeded before this script timed it)"


def seed_rollups_only(cache: Path, sessions: int) -> tuple[Path, str]:
    """Like ``seed``, but only the rollups of ``sessions`` runs are kept, not the runs themselves.

    Ten million routing records are about 6 GB; on a machine shared with other work, writing
    them takes hours. The views read only the rollups, so for them this is the same database:
    each day's runs (from the same generator) go into a temporary table that shadows the routing
    log, are rolled up by the same SQL as a refresh, and are dropped. Refresh timings and the
    sweep need the real log and are left out in this mode."""
    from portal import create_app
    from portal.demo import load_demo
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules
    from portal.storage import stats
    from portal.storage.db import immediate, open_db
    from portal.storage.migrations import migrate

    cache.mkdir(parents=True, exist_ok=True)
    seeded, note = cache / f"rollups-{sessions}.db", cache / f"rollups-{sessions}.txt"
    if seeded.exists():
        return seeded, note.read_text().strip()
    partial = cache / f"rollups-{sessions}.partial.db"
    partial.unlink(missing_ok=True)
    started, cpu = time.monotonic(), time.process_time()
    db = open_db(partial)
    migrate(db)
    practices = load_demo(db)
    app = create_app({"WTF_CSRF_ENABLED": False, "DATABASE": str(partial), "SECRET_KEY": "bench"})
    with app.app_context():
        trees = rules().trees
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("CREATE TEMP TABLE triage_runs AS SELECT * FROM main.triage_runs WHERE 0")
    # CREATE TABLE AS keeps no defaults: cap_redirected (0 here, as in the log) is set by hand.
    marks = ", ".join("?" for _ in ROW_COLUMNS)
    insert = f"INSERT INTO temp.triage_runs ({', '.join(ROW_COLUMNS)}, cap_redirected) VALUES ({marks}, 0)"
    day_of = ROW_COLUMNS.index("started_at")
    rows = generate(trees, practices, sessions, end=date.today(), seed=7)
    for day, runs in itertools.groupby(rows, key=lambda row: row[day_of][:10]):
        with immediate(db, durable=False):
            db.execute("DELETE FROM temp.triage_runs")
            db.conn.executemany(insert, runs)
        stats._fill_days(db, day, day)
    with immediate(db, durable=False):
        db.execute("DROP TABLE temp.triage_runs")
        stats._fill_coarser(db)
        stats._mark(db)
    db.close()
    _checkpoint(partial)
    partial.rename(seeded)
    note.write_text(
        f"{time.monotonic() - started:.0f} s wall-clock, {time.process_time() - cpu:.0f} s CPU, "
        f"on {datetime.now(UTC):%Y-%m-%d} (load average {_load()})\n"
    )
    return seeded, note.read_text().strip()


def _checkpoint(path: Path) -> None:
    from portal.storage.db import checkpoint, open_db

    db = open_db(path)
    checkpoint(db)
    db.close()


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def rollups(db) -> list[str]:
    """Migrate the copy, show the rollups' size, time the refreshes; return lines for the report."""
    from portal.evaluation.synthetic import ROW_COLUMNS, generate
    from portal.rulebook import rules
    from portal.storage import stats
    from portal.storage.migrations import migrate

    report = []
    started = time.perf_counter()
    applied = migrate(db)
    print(f"migrations applied to the copy: {', '.join(applied) or 'none'} ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    days = stats.refresh(db)
    print(f"refresh right after the migration: {len(days)} changed days, {time.perf_counter() - started:.1f} s")
    report += rollup_sizes(db)

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
    report.append(
        f"\nIncremental refresh after 300 new runs today and one decision on a run of {old}: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU) for {len(days)} days."
    )
    report.append(refresh_in_batches(db, 60))
    print("\n".join(report))
    return report


def migrated_rollup_sizes(db) -> list[str]:
    """Rollups-only mode: migrate the copy (a cached seed may predate a migration the views need),
    then show the rollups' size. There is no routing log to refresh from."""
    from portal.storage.migrations import migrate

    applied = migrate(db)
    print(f"migrations applied to the copy: {', '.join(applied) or 'none'}")
    return rollup_sizes(db)


def rollup_sizes(db) -> list[str]:
    """Rows per rollup table and grain, as a table."""
    lines = ["| table | day | week | month | quarter | year |", "|---|---:|---:|---:|---:|---:|"]
    tables = ("stats_flow", "stats_signals", "stats_measures", "stats_dropout", "stats_disposition", "stats_routes")
    for table in tables:
        counts = {r["grain"]: r["n"] for r in db.query(f"SELECT grain, count(*) AS n FROM {table} GROUP BY grain")}
        grains = " | ".join(f"{counts.get(g, 0):,}" for g in ("day", "week", "month", "quarter", "year"))
        lines.append(f"| `{table}` | {grains} |")
    print("\n".join(lines))
    return lines


def mark_days(db, count: int) -> list[str]:
    """Mark the ``count`` days before yesterday as changed, as a purge or a bulk import would."""
    days = [(date.today() - timedelta(days=2 + i)).isoformat() for i in range(count)]
    db.conn.executemany("INSERT OR IGNORE INTO stats_dirty (day) VALUES (?)", [(day,) for day in days])
    db.conn.commit()
    return days


def refresh_in_batches(db, count: int) -> str:
    """A refresh of ``count`` changed days as ``voordeur sweep`` runs it: how many write
    transactions, and the longest (what a patient's write can wait for)."""
    from portal.storage import stats

    mark_days(db, count)
    began: list[float] = []
    held: list[float] = []

    def trace(sql: str) -> None:
        if sql == "BEGIN IMMEDIATE":
            began.append(time.perf_counter())
        elif sql == "COMMIT" and began:
            held.append(time.perf_counter() - began[-1])

    db.conn.set_trace_callback(trace)
    started = time.perf_counter()
    try:
        days = stats.refresh(db)
    finally:
        db.conn.set_trace_callback(None)
    seconds = time.perf_counter() - started
    held.sort()
    return (
        f"Refresh of {len(days)} changed days (as `voordeur sweep` after a purge): {seconds:.1f} s in "
        f"{len(held)} write transactions; each held the write lock for a median {held[len(held) // 2] * 1000:.0f} ms, "
        f"at most {held[-1] * 1000:.0f} ms."
    )


def views(app, database: Path) -> list[str]:
    from portal.storage.db import open_db
    from tests.factories import gen_staff, login

    db = open_db(database)
    staff = gen_staff(db, role="evaluator", practices=("de-linde", "het-anker"), email=EVALUATOR)
    client = app.test_client()
    login(client, staff)
    # CPU: this process's own time (the view and SQLite run in it), the figure a quiet machine
    # would show as wall-clock time; wall-clock time here includes waiting for other processes.
    rows = ["| view | first | slowest of 3 more | CPU, median of 4 |", "|---|---:|---:|---:|"]
    for name, url in VIEWS:
        timings, cpu = [], []
        for _ in range(4):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(_dated(url))
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            assert response.status_code == 200, (url, response.status_code)
        rows.append(
            f"| {name} | {timings[0] * 1000:.0f} ms | {max(timings[1:]) * 1000:.0f} ms "
            f"| {sorted(cpu)[2] * 1000:.0f} ms |"
        )
        print(rows[-1])
    db.close()
    return rows


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


def procfile_command(name: str, port: int) -> list[str]:
    """The Procfile's ``name:`` line as this benchmark runs it: its own ``${VAR:-default}``
    defaults, the port given, this virtualenv's ``voordeur``, and loopback instead of every
    interface. Read from the Procfile itself, so the benchmark measures what is deployed."""
    line = next(
        text.split(":", 1)[1]
        for text in (HERE.parent / "Procfile").read_text().splitlines()
        if text.startswith(f"{name}:")
    )
    values = {"PORT": str(port), "EVALUATION_PORT": str(port)}
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m[1], m[2]), line)
    voordeur = str(Path(sys.executable).parent / "voordeur")
    return [
        voordeur if word == "voordeur" else "127.0.0.1" if word == "0.0.0.0" else word for word in shlex.split(line)
    ]


class Sweep(threading.Thread):
    """``voordeur sweep`` (cron's command) once, after marking ``days`` days as changed."""

    def __init__(self, env: dict[str, str], database: Path, days: int) -> None:
        super().__init__(daemon=True)
        self.env, self.database, self.days, self.seconds = env, database, days, 0.0
        self.timings: list[float] = []

    def run(self) -> None:
        from portal.storage.db import open_db

        db = open_db(self.database)
        mark_days(db, self.days)
        db.close()
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "voordeur"), "sweep"],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.seconds = time.perf_counter() - started


def isolation(workdir: Path, seconds: float, rate: float, *, sweep: bool = True) -> list[str]:
    patient_port, evaluation_port = free_port(), free_port()
    env = portal_env(workdir, patient_port)
    web, evaluation = procfile_command("web", patient_port), procfile_command("evaluation", evaluation_port)
    print(f"\nweb: {shlex.join(web)}\nevaluation: {shlex.join(evaluation)}")
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
            ("`voordeur sweep` refreshing 60 changed days", "sweep"),
            ("evaluator on the patient process (one process for all)", patients),
        ):
            if server == "sweep" and not sweep:
                continue
            loader: Evaluator | Sweep | None = None
            if isinstance(server, Server):
                loader = Evaluator(
                    evaluator_session(server.base, workdir / "bench.db"), server.base + _dated(TWELVE_MONTHS)
                )
                loader.start()
                time.sleep(1)
            elif server == "sweep":
                loader = Sweep(env, workdir / "bench.db", 60)
                loader.start()
            report = measure("127.0.0.1", patient_port, request, rate, seconds)
            if isinstance(loader, Evaluator):
                loader.stop.set()
            if loader is not None:
                loader.join()
            loads = sorted(loader.timings) if loader else []
            other = f"{len(loads)} loads, median {loads[len(loads) // 2] * 1000:.0f} ms" if loads else "–"
            if isinstance(loader, Sweep):
                other = f"sweep took {loader.seconds:.1f} s"
            rows.append(
                f"| {label} | {report.percentile(0.5) * 1000:.1f} ms | {report.percentile(0.99) * 1000:.1f} ms "
                f"| {report.unexpected(step.expected)} | {other} |"
            )
            print(rows[-1])
    return [
        f"Patient step ({step.label}) at {rate:g}/s for {seconds:g} s each, open-loop; load average at the end "
        f"{_load()}:\n",
        "| while | p50 | p99 | failed | evaluator's 12-month dashboard / sweep |",
        "|---|---:|---:|---:|---|",
        *rows,
    ]


def _machine() -> str:
    """CPU model, cores and memory, for the record."""
    model, memory = platform.machine(), ""
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), model)
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    return f"{model}, {os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voordeur-eval-bench"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=20, help="patient steps per second")
    parser.add_argument("--skip-isolation", action="store_true")
    parser.add_argument(
        "--rollups-only",
        action="store_true",
        help="keep only the rollups of the synthetic runs, not the runs (for 10 M: the views only)",
    )
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/evaluation.py", *sys.argv[1:]])
    began = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {_load()} at the start"
    print(f"{began} · {_machine()}")
    seeded, seeding = (seed_rollups_only if args.rollups_only else seed)(args.cache, args.sessions)
    print(f"seeding {args.sessions:,} runs: {seeding}; cached at {seeded}")
    workdir = args.cache / f"run-{args.sessions}{'-rollups' if args.rollups_only else ''}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    database = workdir / "bench.db"
    shutil.copyfile(seeded, database)
    os.environ.update(portal_env(workdir, 5000))

    from portal import create_app
    from portal.storage.db import open_db
    from portal.storage.routing import count_runs
    from portal.warm import warm_up

    db = open_db(database)
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        sizes = migrated_rollup_sizes(db) if args.rollups_only else rollups(db)
    records = args.sessions if args.rollups_only else count_runs(db)
    print(f"routing records: {records:,}")
    db.close()
    # As ``voordeur serve`` readies each worker before its first request (portal/warm.py):
    # templates compiled, the objects alive after start-up frozen out of the garbage collector.
    warm_up(app)
    table = views(app, database)
    patients = [] if args.skip_isolation else isolation(workdir, args.seconds, args.rate, sweep=not args.rollups_only)
    print(f"\n--- to paste into docs/performance.md ---\n\n#### {records:,} routing records\n")
    print(f"`{command}`: {began}, load average {_load()} at the end; {_machine()}.")
    how = "rolled up without keeping the runs" if args.rollups_only else f"`voordeur demo --sessions {args.sessions}`"
    print(f"Seeding {args.sessions:,} runs ({how}): {seeding}.\n")
    print("\n".join([*table, "", *sizes, "", *patients]))


if __name__ == "__main__":
    main()
