#!/usr/bin/env python3
"""Benchmark: a triage step against a minimal endpoint, on one gunicorn server, in one run.

Not a timed test: it prints figures to record in docs/performance.md.
wrk shares the machine's cores with the server, so compare the ratios within
one run, never absolute numbers across runs.

    apt-get install -y wrk
    .venv/bin/python bench/triage_step.py [--seconds 10] [--connections 8]

It starts ``voordeur serve`` (2 sync workers) on a free loopback port with a
temporary database, walks one triage to a question page, and measures:

- ``/livez``: the minimal endpoint (no database, no template);
- GET of a question page (load the run, walk the engine, render);
- POST of an answer without JavaScript (CSRF check, engine, a ``BEGIN IMMEDIATE``
  write to the routing log, 303 redirect);
- the same POST from htmx (with JavaScript, the usual case): the write plus the
  next question's panel, rendered without the page around it.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    voordeur = shutil.which("voordeur", path=str(Path(sys.executable).parent)) or "voordeur"
    env = {
        **os.environ,
        "VOORDEUR_DATABASE": str(workdir / "bench.db"),
        "VOORDEUR_SECRET_KEY": "bench-secret",
        # As in production (templates not re-checked on every render), but over
        # plain http on loopback, so the session cookie may not be Secure.
        "VOORDEUR_ENV": "production",
        "VOORDEUR_SECURE_COOKIES": "false",
        "HOME": str(workdir),
    }
    subprocess.run([voordeur, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [voordeur, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/livez", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def prepare_run(base: str) -> tuple[str, str, str]:
    """Walk one triage to its first tree question; return (url, cookie, csrf token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/de-linde/triage/keelpijn").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def post(url: str, values: dict) -> str:
        data = urllib.parse.urlencode({"csrf_token": token, **values}).encode()
        return opener.open(url, data=data).url

    url = post(f"{base}/de-linde/triage/keelpijn", {"emergency_screen": "none"})
    url = post(url, {"who_for": "self", "age_band": "adult_18_64", "sex": "female"})
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return url, cookie, token


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "p99": p99, "non_2xx_3xx": int(errors.group(1)) if errors else 0}


def lua(method: str, cookie: str, body: str = "", *, htmx: bool = False) -> str:
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Cookie"] = "{cookie}"']
    if htmx:
        lines.append('wrk.headers["HX-Request"] = "true"')
    if body:
        lines += [f'wrk.body = "{body}"', 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"']
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        process, base = start_server(workdir)
        try:
            url, cookie, token = prepare_run(base)
            body = urllib.parse.urlencode({"csrf_token": token, "breathing_or_drooling": "no"})
            scripts = {
                "get": lua("GET", cookie),
                "post": lua("POST", cookie, body),
                "post_htmx": lua("POST", cookie, body, htmx=True),
            }
            for name, text in scripts.items():
                (workdir / f"{name}.lua").write_text(text)
            wrk(f"{base}/livez", 2, args.connections)  # warm up
            results = {
                "minimal endpoint (/livez)": wrk(f"{base}/livez", args.seconds, args.connections),
                "triage step, GET question page": wrk(url, args.seconds, args.connections, workdir / "get.lua"),
                "triage step, POST answer (write + 303)": wrk(
                    url, args.seconds, args.connections, workdir / "post.lua"
                ),
                "triage step, htmx POST (write + next panel)": wrk(
                    url, args.seconds, args.connections, workdir / "post_htmx.lua"
                ),
            }
        finally:
            process.terminate()
            process.wait(timeout=10)
    baseline = results["minimal endpoint (/livez)"]["rate"]
    print(f"{'request':42} {'req/s':>9} {'p99':>9} {'of minimal':>11} {'non-2xx/3xx':>12}")
    for name, figures in results.items():
        share = figures["rate"] / baseline
        print(f"{name:42} {figures['rate']:9.0f} {figures['p99']:>9} {share:10.0%} {figures['non_2xx_3xx']:12d}")


if __name__ == "__main__":
    main()
