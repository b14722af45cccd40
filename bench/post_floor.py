#!/usr/bin/env python3
"""Benchmark: what share of hello world can an answer POST reach in Flask at all?

Not a timed test: it prints a Markdown table to record in docs/performance.md.

    apt-get install -y wrk
    .venv/bin/python bench/post_floor.py [--seconds 5] [--rounds 3]

It starts three servers with the same gunicorn settings as ``voordeur serve``
(``bench/patient_steps.py``'s flags: 2 sync workers), each on a free loopback port:

- ``bench/hello_app.py``, Flask's hello world (the yardstick of issue 16's targets);
- ``bench/floor_app.py``, the least an answer POST can do in Flask (see there);
- ``voordeur serve`` in production mode on the demo practices, as ``bench/patient_steps.py`` runs it.

Then, in ``--rounds`` interleaved rounds (``wrk -t2 -c8``), hello world, the floor app's
routes and the portal's question page and answer POSTs (without JavaScript and htmx); each figure is its median share of
the hello world measured in the same round. If the floor app's ``/answer`` stays under
0.5, no Flask app on these settings reaches the 0.5 target with an answer POST, whatever
the portal's own code does.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from patient_steps import (  # noqa: E402
    BROWSER,
    Server,
    Step,
    _hidden,
    check,
    free_port,
    hello_command,
    lua,
    machine,
    patient_steps,
    portal_command,
    portal_env,
    prepare_run,
    serving,
    wrk,
)


def floor_steps(base: str) -> dict[str, Step]:
    """The floor app's routes, with a session cookie and CSRF token from its question page."""
    jar = http.cookiejar.CookieJar()
    html = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(base + "/question").read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    browser = {**BROWSER, "Cookie": cookie}
    form = {**browser, "Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode({"csrf_token": _hidden(html.decode(), "csrf_token"), "alarm_signs": "none"})
    return {
        "floor_get": Step(
            "floor: GET question (session, small template, CSRF token)", "GET", "/question", 200, browser
        ),
        "floor_redirect": Step(
            "floor: POST answered with a 303 (body not read; no session, CSRF or database)",
            "POST",
            "/redirect",
            303,
            form,
            body,
        ),
        "floor_form": Step(
            "floor: POST form read + 303 (no session, CSRF or database)", "POST", "/form-redirect", 303, form, body
        ),
        "floor_session": Step(
            "floor: POST + session re-signed + CSRF check + 303", "POST", "/session-redirect", 303, form, body
        ),
        "floor_answer": Step(
            "floor: **the least answer POST** (that + one read and one write)", "POST", "/answer", 303, form, body
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per step and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ports = {name: free_port() for name in ("hello", "floor", "portal")}
        env = portal_env(workdir, ports["portal"])
        subprocess.run([*portal_command(ports["portal"])[:1], "demo"], env=env, check=True, capture_output=True)
        floor_env = {**os.environ, "FLOOR_DATABASE": str(workdir / "floor.db")}
        import floor_app

        floor_app.prepare(workdir / "floor.db")
        with (
            serving(hello_command(ports["hello"]), dict(os.environ), ports["hello"], "/", workdir) as hello,
            serving(
                hello_command(ports["floor"], "floor_app:app"), floor_env, ports["floor"], "/question", workdir
            ) as floor,
            serving(portal_command(ports["portal"]), env, ports["portal"], "/livez", workdir) as portal,
        ):
            question, cookie, fields = prepare_run(portal.base)
            portal_steps = patient_steps(question, cookie, fields, portal.base)
            steps: dict[str, tuple[Server, Step]] = {
                "hello": (hello, Step("**hello world** (`bench/hello_app.py`)", "GET", "/", 200, BROWSER)),
                **{key: (floor, step) for key, step in floor_steps(floor.base).items()},
                "portal_get": (portal, portal_steps["get"]),
                "portal_post": (portal, portal_steps["post"]),
                "portal_htmx": (portal, portal_steps["htmx"]),
            }
            shares = measure(steps, workdir, args)
    print(table(steps, shares, args))


def measure(steps: dict[str, tuple[Server, Step]], workdir: Path, args: argparse.Namespace) -> dict[str, list]:
    """Interleaved rounds; each share is against the hello world of its own round. Also CPU per request."""
    scripts = {}
    for key, (server, step) in steps.items():
        check(server.base, step)
        scripts[key] = workdir / f"{key}.lua"
        scripts[key].write_text(lua(step))
        wrk(server.base + step.path, scripts[key], 1, args.connections, server)  # warm up
    figures: dict[str, list] = {key: [] for key in steps}
    for round_number in range(args.rounds):
        hello_rate = 0.0
        for key, (server, step) in steps.items():
            rate, bad, cpu = wrk(server.base + step.path, scripts[key], args.seconds, args.connections, server)
            if bad:
                raise SystemExit(f"{step.label}: {bad} bad answers")
            hello_rate = rate if key == "hello" else hello_rate
            figures[key].append((rate / hello_rate, rate, cpu))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    return figures


def table(steps: dict[str, tuple[Server, Step]], figures: dict[str, list], args: argparse.Namespace) -> str:
    lines = [
        f"`bench/post_floor.py --seconds {args.seconds} --rounds {args.rounds}`; {machine()}",
        "",
        "| request | requests/s (median) | × hello world (median of rounds) | CPU µs / request |",
        "|---|---:|---:|---:|",
    ]
    for key, (_server, step) in steps.items():
        rows = figures[key]
        share = statistics.median(r[0] for r in rows)
        rate = statistics.median(r[1] for r in rows)
        cpu = statistics.median(r[2] for r in rows) * 1e6
        label = step.label if not key.startswith("portal") else f"portal: {step.label}"
        lines.append(f"| {label} | {rate:,.0f} | {share:.2f} | {cpu:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
