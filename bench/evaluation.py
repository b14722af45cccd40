#!/usr/bin/env python3
"""Benchmark: every evaluation view on a large routing log (default 1,000,000 records).

Not a timed test: it prints figures to record in docs/performance.md.

    .venv/bin/python bench/evaluation.py [--sessions 1000000] [--database PATH]

It builds the database with ``voordeur demo --sessions N`` (timed: the
generator's own target is well under a minute per million), then times each
dashboard view in-process through the Flask test client: the first request
(which also refreshes the rollups) and the slowest of three more.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VIEWS = [
    ("dashboard, all practices, last 90 days", "/staff/evaluatie/"),
    ("dashboard, one practice, last 90 days", "/staff/evaluatie/?praktijk=de-linde"),
    ("dashboard, all practices, 12 months", "/staff/evaluatie/?van={year_ago}&tot={today}"),
    ("dashboard, one complaint drill-down", "/staff/evaluatie/?van={year_ago}&tot={today}&klacht=hoesten"),
    ("export CSV, 12 months", "/staff/evaluatie/export.csv?van={year_ago}&tot={today}"),
    ("export JSON, 12 months", "/staff/evaluatie/export.json?van={year_ago}&tot={today}"),
    ("yearly report", "/staff/evaluatie/jaarverslag"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--database", help="reuse this database instead of building one")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    database = Path(args.database) if args.database else workdir / "bench.db"
    env = {**os.environ, "VOORDEUR_DATABASE": str(database), "VOORDEUR_SECRET_KEY": "bench"}
    if not args.database:
        started = time.monotonic()
        voordeur = str(Path(sys.executable).parent / "voordeur")
        subprocess.run(
            [voordeur, "demo", "--sessions", str(args.sessions)], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"voordeur demo --sessions {args.sessions:,}: {time.monotonic() - started:.1f} s")
    os.environ.update(env)

    from datetime import date, timedelta

    from portal import create_app
    from portal.storage.db import open_db
    from portal.storage.routing import count_runs
    from tests.factories import gen_staff, login

    db = open_db(database)
    print(f"routing records: {count_runs(db):,}")
    app = create_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login(
        client, gen_staff(db, role="evaluator", practices=("de-linde", "het-anker"), email=f"bench{time.time()}@x.nl")
    )
    today = date.today()
    print(f"{'view':45} {'first':>9} {'slowest of 3':>13}")
    for name, url in VIEWS:
        url = url.format(today=today, year_ago=today - timedelta(days=364))
        timings = []
        for _ in range(4):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:45} {timings[0] * 1000:7.0f} ms {max(timings[1:]) * 1000:10.0f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
