#!/usr/bin/env python3
"""Latency at a fixed request rate, open-loop: ``bench/fixed_rate.lua`` run by Debian's LuaJIT.

wrk measures throughput well but is closed-loop: each connection waits for its answer
before sending again, so when the server stalls wrk simply sends less and the stall
hardly shows in its percentiles ("coordinated omission"). wrk2, oha and vegeta fix that
with a fixed rate but are not packaged in Debian, and PyPI has no maintained fixed-rate
load generator. wrk's Lua hooks cannot pace it either: they run while a connection is
open, and gunicorn's sync worker is held until the client sends or closes (see the
script's header). So the pacing is a small client of our own, in LuaJIT over
non-blocking sockets and epoll (``apt-get install -y luajit``):

- request *i* is due at ``start + i / rate`` whatever happened before; it opens its own
  connection when due (as a browser does; gunicorn's sync workers close every connection
  after one answer anyway), and its latency runs from when it was *due*, so queueing
  behind a slow request counts;
- requests due in the measured window that got no answer before the end count as slower
  than any answer (they are in the percentiles, as infinity);
- how late the client itself started each request is recorded apart, so a busy machine
  shows as client lag, not as the server's latency.

It costs about 150 µs of CPU per request on the benchmark machine (more when it is busy),
almost all in the kernel's socket calls (the Python asyncio client it replaces needed 800–900
µs, more than a core at hello world's half rate, and could not keep to its schedule). ``--self-check`` validates it: a
hello world at half its saturating rate must give a p99 of a few milliseconds on a quiet
machine, and the same server frozen for 200 ms in the middle of the run must show the
stall in the p99 (plain wrk does not).

    .venv/bin/python bench/fixed_rate.py --self-check [--rate R] [--seconds 5]
    .venv/bin/python bench/fixed_rate.py --url http://127.0.0.1:5000/livez --rate 300
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "fixed_rate.lua"
WARM_SECONDS = 1.0  # sent on schedule, not measured: first connections, caches
TAIL_SECONDS = 2.0  # after the last request was due, for the last answers; what has none by then is lost
CLIENT_PRIORITY = ("chrt", "--fifo", "1")  # the client's scheduling where allowed (root): see ``measure``
CLIENT_SLACK_SECONDS = 0.002  # the client's own lag at p99 beyond which its figures are not the server's
GUNICORN_FLAGS = ("--workers", "2", "--worker-class", "sync", "--no-control-socket")


@dataclass
class LatencyReport:
    """What a fixed-rate run saw: latencies from due time, and how well the client kept its schedule."""

    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests due in the window
    expected: int = 0  # requests due in the window
    sent: int = 0  # of those, started by the client
    send_lag: list[float] = field(default_factory=list)  # seconds: how late the client started each one
    failures: int = 0  # connection errors and answers without a status line
    statuses: dict[int, int] = field(default_factory=dict)
    client_cpu: float = 0.0  # CPU seconds the client used, all of the run (warm-up and tail included)
    priority: str = "normal priority"  # how the client was scheduled

    @property
    def unanswered(self) -> int:
        """Requests due in the window without an answer: failed, or still waiting at the end."""
        return self.expected - len(self.latencies)

    @property
    def client_kept_up(self) -> bool:
        """Did 99 % of the requests start within 2 ms of their time? If not, part of the latency is the client's."""
        return self.lag_percentile(0.99) <= CLIENT_SLACK_SECONDS

    def lag_percentile(self, share: float) -> float:
        """The client's own lag: how late it started a request (nearest rank; 0 when nothing was sent)."""
        return _nearest_rank(sorted(self.send_lag), share) if self.send_lag else 0.0

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile (``share`` 0.99 for p99) of every request due; unanswered ones are infinite."""
        if self.expected == 0:
            return math.inf
        ordered = sorted(self.latencies) + [math.inf] * max(self.unanswered, 0)
        return _nearest_rank(ordered, share)

    def unexpected(self, expected: int) -> int:
        """Requests without an answer or with another status than ``expected``."""
        return self.unanswered + self.wrong(expected) - self.failures

    def wrong(self, expected: int) -> int:
        """Bad answers: connection errors, answers without a status line and other statuses than ``expected``."""
        return self.failures + sum(n for status, n in self.statuses.items() if status != expected)

    @property
    def waiting(self) -> int:
        """Requests due in the window still waiting for their answer at the end (slower than ``tail``)."""
        return self.unanswered - self.failures

    def cpu_per_request(self) -> float:
        """The client's CPU seconds per request it started (warm-up included, as its CPU is)."""
        started = self.sent * (1 + WARM_SECONDS / self.seconds) if self.seconds else self.sent
        return self.client_cpu / max(started, 1)

    def summary(self) -> str:
        """One line for a terminal: the percentiles and the client's lag."""
        return (
            f"{self.rate:,.0f}/s for {self.seconds:g} s: p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms, max {self.percentile(1.0) * 1000:.1f} ms; "
            f"{len(self.latencies)}/{self.expected} answered {dict(sorted(self.statuses.items()))}, "
            f"{self.failures} failed; client lag p99 {self.lag_percentile(0.99) * 1000:.2f} ms, "
            f"max {self.lag_percentile(1.0) * 1000:.2f} ms; client CPU {self.cpu_per_request() * 1e6:.0f} µs "
            f"per request, {self.priority}"
        )


def _nearest_rank(ordered: list[float], share: float) -> float:
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def build_request(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 request that asks the server to close the connection after answering."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def measure(
    host: str,
    port: int,
    request: bytes,
    rate: float,
    seconds: float,
    *,
    warm: float = WARM_SECONDS,
    tail: float = TAIL_SECONDS,
    realtime: bool = False,
) -> LatencyReport:
    """Send ``request`` (see ``build_request``) ``rate`` times a second for ``seconds`` after ``warm``.

    ``realtime``: run the client under SCHED_FIFO (``chrt --fifo 1``, as root), so that on two shared
    cores it starts requests and reads answers when they are due instead of waiting for a CPU behind
    the servers' workers: the latency is then the server's, as from a client on another machine. It
    takes the same CPU either way (it waits in epoll, never spins); it is not pinned to a core.
    """
    luajit = shutil.which("luajit")
    if luajit is None:
        raise SystemExit("luajit is not installed: apt-get install -y luajit")
    with tempfile.TemporaryDirectory() as tmp:
        request_file, out = Path(tmp) / "request.http", Path(tmp) / "result.txt"
        request_file.write_bytes(request)
        command = [luajit, str(SCRIPT), host, str(port), str(rate), str(warm), str(seconds), str(tail)]
        priority = "normal priority"
        if realtime and os.geteuid() == 0 and shutil.which(CLIENT_PRIORITY[0]):
            command, priority = [*CLIENT_PRIORITY, *command], "SCHED_FIFO (`chrt --fifo 1`)"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*command, str(request_file), str(out)], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = parse(out.read_text(), rate, seconds)
    report.priority = priority
    report.client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return report


def measure_url(
    url: str,
    rate: float,
    seconds: float,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    **options: Any,
) -> LatencyReport:
    """``measure`` for a URL on plain http: builds the request (``options``: warm, tail, realtime)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return measure(host, port, build_request(host, port, method, path, headers or {}, body), rate, seconds, **options)


def drained(url: str, timeout: float = 120) -> float:
    """Wait until the server has worked through what a run left queued; return the seconds it took.

    An overloaded run leaves connections in the server's queue that the client has given up on;
    the server still reads each one. A probe joins the end of that queue, so its answer means the
    queue is empty and the next run (or the next row, on another server) does not pay for them.
    """
    started = time.monotonic()
    with contextlib.suppress(OSError):
        urllib.request.urlopen(url, timeout=timeout).read()
    return time.monotonic() - started


def parse(text: str, rate: float, seconds: float) -> LatencyReport:
    """Read what ``fixed_rate.lua`` wrote."""
    report = LatencyReport(rate=rate, seconds=seconds)
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        values = rest.split()
        if name == "counts":
            counts = dict(zip(values[::2], (int(v) for v in values[1::2]), strict=True))
            report.expected, report.sent, report.failures = counts["expected"], counts["sent"], counts["failures"]
        elif name == "latency_us":
            report.latencies = [float(v) / 1e6 for v in values]
        elif name == "lag_us":
            report.send_lag = [float(v) / 1e6 for v in values]
        elif name == "statuses":
            for pair in values:
                status, count = pair.split("=")
                report.statuses[int(status)] = int(count)
    return report


def closed_loop(url: str, seconds: int, connections: int = 8) -> tuple[float, float]:
    """Plain wrk (closed-loop): (requests per second, its own p99 in seconds)."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    if rate is None or p99 is None or float(rate.group(1)) == 0:
        raise SystemExit(f"wrk got no answers:\n{output}")
    return float(rate.group(1)), float(p99.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[p99.group(2)]


# --- the self-check: a hello world at a known rate, then the same server frozen for a moment ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def hello_server() -> Iterator[tuple[str, subprocess.Popen]]:
    """``bench/hello_app.py`` under gunicorn with ``voordeur serve``'s settings, on a free port."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN_FLAGS]
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    process = subprocess.Popen(  # cwd: no ./gunicorn.conf.py is read
        [*command, "--chdir", str(HERE), "hello_app:app"],
        cwd=tempfile.gettempdir(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the hello world server did not start") from None
                time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=15)


def freeze(root: int, at: float, length: float) -> threading.Thread:
    """From ``at`` seconds on, stop the server's processes (master and workers) for ``length`` seconds.

    SIGSTOP stands in for any stall of the whole server: a long garbage collection, a lock, a
    noisy neighbour. The thread is returned started; join it after the run.
    """
    pids = [root, *(int(p) for p in Path(f"/proc/{root}/task/{root}/children").read_text().split())]

    def run() -> None:
        time.sleep(at)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(length)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def self_check(rate: float | None, seconds: float) -> bool:
    """Print the validation runs; True when the client kept up and each figure is as it must be.

    Without ``rate``: half of the hello world's saturating rate (plain wrk, as the benchmark does).
    """
    stall = 0.2
    with hello_server() as (url, process):
        if rate is None:
            saturating, _ = closed_loop(url, 5)
            rate = saturating / 2
            print(f"hello world saturates at {saturating:,.0f}/s (wrk -t2 -c8): measuring at half, {rate:,.0f}/s")
        quiet = measure_url(url, rate, seconds, realtime=True)
        print(f"hello world, quiet:         {quiet.summary()}")
        drained(url)
        freezer = freeze(process.pid, 0.05 + WARM_SECONDS + seconds / 2, stall)
        frozen = measure_url(url, rate, seconds, realtime=True)
        freezer.join()
        print(f"hello world, {stall * 1000:.0f} ms stall:  {frozen.summary()}")
        drained(url)
        freezer = freeze(process.pid, seconds / 2, stall)
        _, closed = closed_loop(url, math.ceil(seconds))
        freezer.join()
        print(f"plain wrk (closed-loop) with the same stall: p99 {closed * 1000:.1f} ms")
    checks = {
        "the client kept to its schedule (lag p99 ≤ 2 ms)": quiet.client_kept_up and frozen.client_kept_up,
        "every request due was answered with 200": quiet.unexpected(200) == 0 and frozen.unexpected(200) == 0,
        "quiet p99 < 10 ms": quiet.percentile(0.99) < 0.010,
        "the stall shows in the p99 (> half the stall)": stall / 2 < frozen.percentile(0.99) < math.inf,
    }
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-check", action="store_true", help="validate against a hello world (gunicorn)")
    parser.add_argument("--url", help="measure this URL (GET) instead")
    parser.add_argument("--rate", type=float, help="requests per second (self-check: half of hello world's)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window (after a 1 s warm-up)")
    args = parser.parse_args()
    if args.url:
        if args.rate is None:
            parser.error("--url needs --rate")
        print(measure_url(args.url, args.rate, args.seconds, realtime=True).summary())
    elif args.self_check:
        sys.exit(0 if self_check(args.rate, args.seconds) else 1)
    else:
        parser.error("give --self-check or --url")


if __name__ == "__main__":
    main()
