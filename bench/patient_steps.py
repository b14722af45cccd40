#!/usr/bin/env python3
"""Benchmark: every patient step against Flask's hello world, both under gunicorn, in one run.

Not a timed test: it prints a Markdown table to record in docs/performance.md.

    apt-get install -y wrk luajit
    .venv/bin/python bench/patient_steps.py [--seconds 5] [--rounds 3] [--latency-seconds 10]

It starts two servers with the same gunicorn settings as ``voordeur serve``
(2 sync workers, no access log, no control socket), each on a free loopback port:

- ``bench/hello_app.py``, a real minimal Flask app (the yardstick);
- ``voordeur serve`` in production mode with a temporary database and the demo
  practices, over plain http on loopback.

It walks one triage to its first tree question (as a browser would: CSRF token,
session cookie, the run bound to that session) and then measures, as a browser
sends them (``Accept-Encoding: gzip, deflate, br, zstd``, the session cookie):

- throughput, with ``wrk -t2 -c8``: hello world, then each step, in ``--rounds``
  interleaved rounds; a step's figure is its median share of the hello world
  measured in the same round, so load from elsewhere on the machine hits both;
- latency at half of each step's saturating rate, open-loop (``bench/fixed_rate.py``, a
  LuaJIT client: ``apt-get install -y luajit``): p50 and p99 measured from when each
  request was due, so queueing counts, and how late the client itself started requests.

Both servers run for the whole benchmark, one of them loaded at a time; the script checks
that both have the same number of single-threaded workers. Nothing is pinned to a core:
the servers and the client share both cores, the latency client under SCHED_FIFO
(``chrt --fifo 1``, when run as root) so it sends and reads on time, as a client on
another machine would, instead of waiting for a CPU behind the workers.

Every POST is a real answer: the CSRF check, the ownership check, the rate-limit
counter and the write to the routing log all run. The per-run step limit is
raised for the benchmark (it would answer 429 after 200 answers); the check
itself still runs on every POST.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fixed_rate import CLIENT_SLACK_SECONDS, LatencyReport, drained, measure_url  # noqa: E402

# The options ``voordeur serve`` gives gunicorn (portal/cli.py), as command-line flags.
# Access logging is off by default in gunicorn, as ``voordeur serve`` has it.
GUNICORN_FLAGS = ("--workers", "2", "--worker-class", "sync", "--no-control-socket")
PRACTICE = "de-linde"
TREE = "keelpijn"
ANSWER = {"alarm_signs": "none"}  # keelpijn's first tree question (a checklist), answered "none of these"
SEARCH_QUERY = "hoofpijn"  # a typo: the search tries every word of every tree
SELF_HELP_PAGE = "keelpijn"
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}
TARGET_SHARE = 0.5
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Step:
    """One request to measure, and the status it must get every time."""

    label: str
    method: str
    path: str
    expected: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    patient_step: bool = True  # held to the targets


@dataclass
class Figures:
    rates: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds per request, server + wrk
    cpu_shares: list[float] = field(default_factory=list)
    bad: int = 0  # non-2xx/3xx answers and socket errors seen by wrk
    latency: LatencyReport | None = None


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


START_SECONDS = 180  # loading and checking every tree takes a worker seconds, minutes on a busy machine


def _wait_until_up(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server for {url} did not start within {START_SECONDS} s")


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, probe: str, cwd: Path) -> Iterator[Server]:
    """Start a server from ``cwd`` (a directory without a ``gunicorn.conf.py`` that gunicorn would read)."""
    env = {k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"}  # only the flags given here
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(process, f"http://127.0.0.1:{port}{probe}")
        yield Server(process, port)
    finally:
        process.terminate()
        process.wait(timeout=15)


def hello_command(port: int, app: str = "hello_app:app") -> list[str]:
    """gunicorn serving ``app`` from bench/ with ``voordeur serve``'s flags (hello world unless told)."""
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN_FLAGS]
    return [*gunicorn, "--chdir", str(HERE), app]


def portal_env(workdir: Path, port: int, source: Path | None = None) -> dict[str, str]:
    """Production settings over plain http on loopback, isolated from any local configuration.

    ``source``: run the portal from another source tree (``git archive <commit> | tar -x -C DIR``),
    to compare a change with what it replaces in one run of this script.
    """
    config = workdir / "voordeur.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOORDEUR_")}
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve())
    return {
        **env,
        "VOORDEUR_ENV": "production",
        "VOORDEUR_SECRET_KEY": "bench-secret-" + "x" * 40,
        "VOORDEUR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # Loopback is plain http, so the session cookie may not be Secure.
        "VOORDEUR_SECURE_COOKIES": "false",
        "VOORDEUR_DATABASE": str(workdir / "bench.db"),
        "VOORDEUR_CONFIG": str(config),
        "VOORDEUR_AUDIT_CHECKPOINT_FILE": str(workdir / "audit-checkpoints.log"),
        # Thousands of answers to one run: the check runs, its limit is out of reach.
        "VOORDEUR_STEPS_PER_RUN_HOUR": str(10**9),
        "HOME": str(workdir),
    }


def portal_command(port: int) -> list[str]:
    voordeur = shutil.which("voordeur", path=str(Path(sys.executable).parent)) or "voordeur"
    return [voordeur, "serve", "--port", str(port), "--workers", "2"]


def prepare_run(base: str) -> tuple[str, str, dict[str, str]]:
    """Walk one triage to its first tree question; return (question path, cookie header, form fields)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/{PRACTICE}/triage/{TREE}").read().decode()
    token = _hidden(html, "csrf_token")

    def post(url: str, values: dict[str, str]) -> str:
        data = urllib.parse.urlencode({"csrf_token": token, **values}).encode()
        return opener.open(url, data=data).url

    url = post(f"{base}/{PRACTICE}/triage/{TREE}", {"emergency_screen": "none"})
    url = post(url, {"general_danger": "none"})  # the general danger screen, asked for every complaint
    url = post(url, {"who_for": "self", "age_band": "adult_18_64", "sex": "female"})
    question = opener.open(url).read().decode()
    fields = {"csrf_token": _hidden(question, "csrf_token"), "run_proof": _hidden(question, "run_proof")}
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return urllib.parse.urlsplit(url).path, cookie, fields


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
    if found is None:
        raise SystemExit(f"no {name} field in the page")
    return found.group(1)


def patient_steps(question: str, cookie: str, fields: dict[str, str], base: str) -> dict[str, Step]:
    browser = {**BROWSER, "Cookie": cookie}
    form = {**browser, "Content-Type": "application/x-www-form-urlencoded"}
    htmx = {**form, "HX-Request": "true", "HX-Target": "panel", "HX-Current-URL": base + question}
    body = urllib.parse.urlencode({**fields, **ANSWER})
    return {
        "livez": Step("portal `/livez` (no database, no template)", "GET", "/livez", 200, browser, patient_step=False),
        "start": Step("start page", "GET", f"/{PRACTICE}/", 200, browser),
        "search": Step(
            f"search as you type (htmx, `?q={SEARCH_QUERY}`)",
            "GET",
            f"/{PRACTICE}/?q={SEARCH_QUERY}",
            200,
            {**browser, "HX-Request": "true", "HX-Target": "results", "HX-Current-URL": f"{base}/{PRACTICE}/"},
        ),
        "search_page": Step(
            f"search without JavaScript (whole start page, `?q={SEARCH_QUERY}`)",
            "GET",
            f"/{PRACTICE}/?q={SEARCH_QUERY}",
            200,
            browser,
            patient_step=False,
        ),
        "selfhelp": Step("self-help page", "GET", f"/{PRACTICE}/zelfhulp/{SELF_HELP_PAGE}", 200, browser),
        "get": Step("GET question page", "GET", question, 200, browser),
        "post": Step("POST answer, no JavaScript (write + 303)", "POST", question, 303, form, body),
        "htmx": Step("htmx POST answer (write + next panel)", "POST", question, 200, htmx, body),
    }


def check(base: str, step: Step) -> None:
    """One request by hand first: a benchmark of error pages would be worthless."""
    request = urllib.request.Request(
        base + step.path, data=step.body.encode() or None, headers=step.headers, method=step.method
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    try:
        status = urllib.request.build_opener(NoRedirect).open(request).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != step.expected:
        raise SystemExit(f"{step.label}: got {status}, expected {step.expected}")


def lua(step: Step) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"wrk.method = {quoted(step.method)}"]
    lines += [f"wrk.headers[{quoted(name)}] = {quoted(value)}" for name, value in step.headers.items()]
    if step.body:
        lines.append(f"wrk.body = {quoted(step.body)}")
    return "\n".join(lines) + "\n"


def process_tree_cpu(root: int) -> float:
    """Seconds of CPU used so far by ``root`` and its children (the gunicorn master and its workers)."""
    pids = [root]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        pids += [int(pid) for pid in children]
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (each wrk run, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(url: str, script: Path, seconds: int, connections: int, server: Server) -> tuple[float, int, float]:
    """(requests per second, answers that were not 2xx/3xx plus socket errors, CPU seconds per request).

    The CPU is the server's (master and workers) plus wrk's own: on a machine that
    other work also uses, it is the steadier measure of what a request costs.
    """
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    server_before = process_tree_cpu(server.process.pid)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = process_tree_cpu(server.process.pid) - server_before
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    count = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read \d+, write (\d+), timeout (\d+)", output)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    if sockets:  # read errors are gunicorn closing the connection after each answer, as sync workers do
        bad += sum(int(n) for n in sockets.groups())
    return rate, bad, (server_cpu + wrk_cpu) / max(count, 1)


def throughput(
    servers: dict[str, Server], steps: dict[str, Step], workdir: Path, args: argparse.Namespace
) -> dict[str, Figures]:
    """``--rounds`` interleaved rounds; each step's share is against the hello world of its own round."""
    scripts = {}
    for key, step in steps.items():
        scripts[key] = workdir / f"{key}.lua"
        scripts[key].write_text(lua(step))
    figures = {key: Figures() for key in steps}
    for key, step in steps.items():  # warm up every worker and cache
        wrk(_url(servers, key, step), scripts[key], 1, args.connections, _server(servers, key))
    for round_number in range(args.rounds):
        hello_rate = hello_cpu = 0.0
        for key, step in steps.items():
            rate, bad, cpu = wrk(
                _url(servers, key, step), scripts[key], args.seconds, args.connections, _server(servers, key)
            )
            if key == "hello":
                hello_rate, hello_cpu = rate, cpu
            figures[key].rates.append(rate)
            figures[key].shares.append(rate / hello_rate)
            figures[key].cpu.append(cpu)
            figures[key].cpu_shares.append(hello_cpu / cpu)
            figures[key].bad += bad
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    return figures


def _server(servers: dict[str, Server], key: str) -> Server:
    return servers["hello"] if key == "hello" else servers["portal"]


def _url(servers: dict[str, Server], key: str, step: Step) -> str:
    return _server(servers, key).base + step.path


def latencies(servers: dict[str, Server], steps: dict[str, Step], figures: dict[str, Figures], seconds: int) -> None:
    """p99 at half of each step's (median) saturating rate, open-loop."""
    for key, step in steps.items():
        rate = statistics.median(figures[key].rates) / 2
        report = measure_url(
            _url(servers, key, step), rate, seconds, step.method, step.headers, step.body.encode(), realtime=True
        )
        figures[key].latency = report
        waited = drained(_server(servers, key).base + "/livez" if key != "hello" else _url(servers, key, step))
        print(f"latency {key}: {report.summary()}; queue drained in {waited:.1f} s", file=sys.stderr)


def worker_shape(server: Server) -> tuple[int, ...]:
    """The threads of each of the server's worker processes (gunicorn's master's children)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    shape = []
    for pid in children:
        threads = re.search(r"^Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
        shape.append(int(threads.group(1)) if threads else 0)
    return tuple(sorted(shape))


def check_same_setup(servers: dict[str, Server]) -> str:
    """Both servers must have the same workers, each with one thread, or the comparison is not fair."""
    shapes = {name: worker_shape(server) for name, server in servers.items()}
    if len(set(shapes.values())) != 1 or any(threads != 1 for threads in shapes["hello"]):
        raise SystemExit(f"the servers are not set up alike (threads per worker): {shapes}")
    return f"{len(shapes['hello'])} single-threaded workers each"


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} memory, Python {platform.python_version()}, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at the end"
    )


def table(steps: dict[str, Step], figures: dict[str, Figures], args: argparse.Namespace, shape: str) -> str:
    rows = [
        "| request | req/s | × hello world (min–max) | CPU per request | × hello world by CPU "
        "| p50 / p99 at half rate | client late p99 / max | bad answers | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    met = True
    for key, step in steps.items():
        fig = figures[key]
        share = statistics.median(fig.shares)
        report = fig.latency
        assert report is not None
        p50, p99 = report.percentile(0.5) * 1000, report.percentile(0.99) * 1000
        latency = f"{p50:.1f} / {p99:.1f} ms @ {report.rate:,.0f}/s"
        late = f"{report.lag_percentile(0.99) * 1000:.1f} / {report.lag_percentile(1.0) * 1000:.1f} ms"
        if report.waiting:
            latency += f" ({report.waiting} unanswered)"
        if not report.client_kept_up:
            latency += " †"
        bad = fig.bad + report.wrong(step.expected)
        verdict = ""
        if step.patient_step:
            ok = share >= TARGET_SHARE and p99 < TARGET_P99_MS and bad == 0
            met = met and ok
            verdict = "met" if ok else "**not met**"
            if not ok and share >= TARGET_SHARE and bad == 0 and not report.client_kept_up:
                verdict = "**not met** †"
        rows.append(
            f"| {step.label} | {statistics.median(fig.rates):,.0f} | **{share:.2f}** "
            f"({min(fig.shares):.2f}–{max(fig.shares):.2f}) | {statistics.median(fig.cpu) * 1e6:,.0f} µs "
            f"| {statistics.median(fig.cpu_shares):.2f} | {latency} | {late} | {bad} | {verdict} |"
        )
    summary = (
        f"Targets: every patient step ≥ {TARGET_SHARE:.1f}× hello world, p99 < {TARGET_P99_MS:.0f} ms at half "
        f"its saturating rate, no bad answers: **{'met' if met else 'not met'}**."
    )
    reports = [figures[key].latency for key in steps]
    client_cpu = statistics.median(report.cpu_per_request() for report in reports if report is not None)
    setup = (
        f"`wrk -t2 -c{args.connections} -d{args.seconds}s`, {args.rounds} interleaved rounds (median share, "
        f"range over rounds); CPU per request: the servers' processes plus wrk, median over rounds; "
        f"latency open-loop (`bench/fixed_rate.py`, one new connection per request, measured from when it was "
        f"due) for {args.latency_seconds} s per row after 1 s of warm-up, client not pinned, "
        f"at {reports[0].priority if reports[0] else 'normal priority'}, "
        f"{client_cpu * 1e6:.0f} µs of client CPU per request (median over rows); "
        f"† the client started 1 % of the requests more than {CLIENT_SLACK_SECONDS * 1000:.0f} ms late, which "
        f"counts in that p99 (an upper bound; the machine was short of CPU); both servers: {shape}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}."
    )
    if args.portal_src:
        setup += f" Portal served from `{args.portal_src}`."
    return "\n".join([*rows, "", summary, "", setup])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per step and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--latency-seconds", type=int, default=10, help="open-loop duration per step")
    parser.add_argument("--portal-src", type=Path, help="serve the portal from this source tree instead")
    args = parser.parse_args()
    for tool in ("wrk", "luajit"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install -y wrk luajit")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hello_port, portal_port = free_port(), free_port()
        env = portal_env(workdir, portal_port, args.portal_src)
        subprocess.run([*portal_command(portal_port)[:1], "demo"], env=env, check=True, capture_output=True)
        with (
            serving(hello_command(hello_port), dict(os.environ), hello_port, "/", workdir) as hello,
            serving(portal_command(portal_port), env, portal_port, "/livez", workdir) as portal,
        ):
            servers = {"hello": hello, "portal": portal}
            question, cookie, fields = prepare_run(portal.base)
            steps = {
                "hello": Step("**hello world** (`bench/hello_app.py`)", "GET", "/", 200, BROWSER, patient_step=False),
                **patient_steps(question, cookie, fields, portal.base),
            }
            for key, step in steps.items():
                check(_url(servers, key, step).removesuffix(step.path), step)
            figures = throughput(servers, steps, workdir, args)
            shape = check_same_setup(servers)  # after the warm-up: every worker has started
            latencies(servers, steps, figures, args.latency_seconds)
    print(table(steps, figures, args, shape))


if __name__ == "__main__":
    main()
