"""The open-loop latency client of the patient-steps benchmark measures what it says (bench/fixed_rate.py).

A tiny single-threaded server in this process answers one request at a time, so a stall
holds up every request due during it, as it would in a real server. Each run takes about
1.5 s (200 requests a second for 1 s, after a short warm-up).
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import fixed_rate

needs_luajit = pytest.mark.skipif(shutil.which("luajit") is None, reason="needs Debian's luajit")

RATE, SECONDS, WARM, TAIL = 200, 1.0, 0.2, 0.5
WARM_UP_REQUESTS = round(RATE * WARM)


@contextmanager
def tiny_server(stall_at: int = 0, stall: float = 0.0, hang_at: int = 0, fail_at: int = 0) -> Iterator[str]:
    """Answer every request with 200, except: request ``stall_at`` first sleeps ``stall`` seconds (the whole
    server with it), request ``hang_at`` never gets an answer, request ``fail_at`` gets 503 (numbered from 1).
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    running = True

    def serve() -> None:
        count = 0
        while running:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            count += 1
            connection.settimeout(2)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
            if count == stall_at:
                time.sleep(stall)
            if count == hang_at:
                held.append(connection)
                continue
            status = b"503 Service Unavailable" if count == fail_at else b"200 OK"
            connection.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        running = False
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def _run(url: str) -> fixed_rate.LatencyReport:
    return fixed_rate.measure_url(url, RATE, SECONDS, warm=WARM, tail=TAIL)


@needs_luajit
def test_every_request_due_is_sent_once_on_schedule_and_counted():
    with tiny_server() as url:
        report = _run(url)
    assert report.expected == report.sent == RATE * SECONDS
    assert report.statuses == {200: RATE * SECONDS}
    assert report.unexpected(200) == 0
    assert len(report.send_lag) == report.sent  # the client's own lateness is recorded for every request
    assert report.percentile(0.5) < 0.1


@needs_luajit
def test_a_stall_shows_in_the_tail_and_lost_or_wrong_answers_count_as_bad():
    stall = 0.4
    # Request numbers count the warm-up; the stall comes in the middle of the measured second.
    with tiny_server(
        stall_at=WARM_UP_REQUESTS + 100, stall=stall, hang_at=WARM_UP_REQUESTS + 10, fail_at=WARM_UP_REQUESTS + 20
    ) as url:
        report = _run(url)
    # Open-loop: every request due during the stall waited for it, measured from when it was due.
    # A closed-loop client would have sent one request into the stall and shown one slow answer.
    slow = [latency for latency in report.latencies if latency >= 0.1]
    assert len(slow) >= 0.25 * report.expected
    assert report.percentile(0.99) >= 0.3
    # The request that never got an answer is slower than any answer, and both bad ones count.
    assert report.unanswered == report.waiting == 1
    assert report.percentile(1.0) == float("inf")
    assert report.statuses[503] == 1
    assert report.wrong(200) == 1
    assert report.unexpected(200) == 2


def test_the_client_output_is_read_into_percentiles_where_unanswered_requests_are_slowest():
    text = (
        "counts expected 5 sent 5 failures 1\nlatency_us 3000 1000 2000\nlag_us 10 20 30 40 50\nstatuses 200=2 503=1\n"
    )
    report = fixed_rate.parse(text, rate=5, seconds=1)
    assert report.latencies == [0.003, 0.001, 0.002]
    assert report.percentile(0.5) == 0.003  # the third of five, two of them unanswered
    assert report.percentile(0.7) == float("inf")
    assert (report.unanswered, report.failures, report.waiting) == (2, 1, 1)
    assert report.wrong(200) == 2 and report.unexpected(200) == 3
    assert report.lag_percentile(1.0) == 50e-6 and report.client_kept_up
