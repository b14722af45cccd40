"""An open-loop HTTP load generator: requests at a fixed rate, latency from the intended send time.

wrk measures throughput well but is closed-loop: each connection waits for its
answer before sending again, so when the server stalls wrk simply sends less and
the stall hardly shows in its percentiles ("coordinated omission"). wrk2 fixes
that with a fixed rate, but it is not packaged in Debian. This client does what
wrk2 does, on a smaller scale: request *i* is due at ``start + i / rate``
whatever happened before, it is sent on its own connection (gunicorn's sync
workers close every connection after one response anyway), and its latency is
measured from when it was *due*, so time spent queueing behind a slow request
counts too.

It is plain asyncio over non-blocking sockets, on the same cores as the server
(as wrk is). It keeps up with a few hundred requests a second, the rates of the
patient steps; it records how late each request left, and ``client_kept_up``
says when it could not keep to the schedule (then the latency is its own, not
the server's: the benchmark reports no figure for that row).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

MAX_IN_FLIGHT = 256  # beyond this the server is overloaded; later requests wait (and their wait counts)
TIMEOUT_SECONDS = 10.0
CLIENT_SLACK_SECONDS = 0.010


@dataclass
class LatencyReport:
    """Latencies in seconds of the requests that were answered, and the ones that were not."""

    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    send_lag: list[float] = field(default_factory=list)  # how late each request left: the client's own delay

    @property
    def client_kept_up(self) -> bool:
        """Did 99 % of the requests leave within 10 ms of their time? If not, the figures are the client's."""
        if not self.send_lag:
            return True
        ordered = sorted(self.send_lag)
        return ordered[int(0.99 * (len(ordered) - 1))] <= CLIENT_SLACK_SECONDS

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile (``share`` 0.99 for p99); inf when nothing was answered."""
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
        return ordered[rank]

    def unexpected(self, expected: int) -> int:
        """Requests that failed or got another status than ``expected``."""
        return self.errors + sum(n for status, n in self.statuses.items() if status != expected)


def build_request(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 request that asks the server to close the connection after answering."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _one(
    address: tuple[str, int], request: bytes, due: float, gate: asyncio.Semaphore, report: LatencyReport
) -> None:
    loop = asyncio.get_running_loop()
    async with gate:
        report.send_lag.append(loop.time() - due)
        chunks = []
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                await loop.sock_connect(sock, address)
                await loop.sock_sendall(sock, request)
                while chunk := await loop.sock_recv(sock, 65536):  # the sync worker closes after the response
                    chunks.append(chunk)
        except (OSError, TimeoutError):
            report.errors += 1
            return
        finally:
            sock.close()
    done = loop.time()
    answer = b"".join(chunks)
    try:
        status = int(answer[9:12])
    except ValueError:
        report.errors += 1
        return
    report.statuses[status] = report.statuses.get(status, 0) + 1
    report.latencies.append(done - due)


async def _run(host: str, port: int, request: bytes, rate: float, seconds: float) -> LatencyReport:
    loop = asyncio.get_running_loop()
    report = LatencyReport(rate=rate, seconds=seconds)
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    start = loop.time() + 0.05
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(_one((host, port), request, due, gate, report)))
    await asyncio.gather(*tasks)
    return report


def measure(host: str, port: int, request: bytes, rate: float, seconds: float) -> LatencyReport:
    """Send ``request`` ``rate`` times a second for ``seconds``; return what came back and when."""
    return asyncio.run(_run(host, port, request, rate, seconds))
