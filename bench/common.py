"""Shared pieces of the benchmarks: servers, a load generator, page weight.

Every figure is printed as one line, exactly ``bench: NAME VALUE UNIT``. Speed is a
ratio against a bare Starlette app measured in the same run with the same load
generator, so figures compare across machines. The two are measured in alternation,
five rounds each, and the figure is the median of the five ratios (``paired``): on a
2-core machine another process can halve a single measurement.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def report(name: str, value: float | int, unit: str) -> None:
    if isinstance(value, float):
        value = f"{value:.3f}"
    print(f"bench: {name} {value} {unit}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextlib.contextmanager
def serve(target: str, env: dict | None = None, workers: int = 1) -> Iterator[str]:
    """Run ``uvicorn TARGET`` (one worker unless told) on a free loopback port; yield its base URL."""
    with serve_process(target, env, workers) as (base, _):
        yield base


@contextlib.contextmanager
def serve_process(target: str, env: dict | None = None,
                  workers: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """``serve``, yielding the base URL and the server's process (for its memory)."""
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **(env or {})},
    )
    try:
        _wait(port, proc, 60 * workers)  # a loaded 2-core machine starts workers slowly
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def bare_server(workers: int = 1) -> contextlib.AbstractContextManager[str]:
    """A Starlette app that answers plaintext: the baseline of every speed ratio."""
    return serve("bench.bare:app", workers=workers)


def app_server(database_url: str, workers: int = 1, **env: str) -> contextlib.AbstractContextManager[str]:
    return serve("app:app", {"CONSULT_DATABASE_URL": database_url,
                             "CONSULT_SECRET_KEY": "bench-secret", **env}, workers=workers)


async def _worker(host: str, port: int, requests: list[bytes], results: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for raw in requests:
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            else:  # chunked
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            results.append(status)
    finally:
        writer.close()


def build_request(url: str, method: str = "GET", headers: dict | None = None,
                  body: bytes = b"") -> bytes:
    """One raw HTTP/1.1 keep-alive request."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def load(url: str, *, total: int = 2000, concurrency: int = 16,
         make_request: Callable[[int], bytes] | None = None) -> tuple[float, list[int]]:
    """Send ``total`` requests over ``concurrency`` keep-alive connections.

    Returns (requests per second, status codes). ``make_request(i)`` builds request
    ``i`` (default: GET ``url``).
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    make_request = make_request or (lambda i: build_request(url))
    all_requests = [make_request(i) for i in range(total)]
    shares = [all_requests[i::concurrency] for i in range(concurrency)]
    results: list[int] = []

    async def run():
        await asyncio.gather(*(_worker(parts.hostname, parts.port, share, results)
                               for share in shares if share))

    start = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - start
    return total / elapsed, results


def bare_rps(total: int = 3000, concurrency: int = 16) -> float:
    with bare_server() as base:
        load(base + "/", total=300, concurrency=concurrency)  # warm up
        rps, _ = load(base + "/", total=total, concurrency=concurrency)
    return rps


@dataclass(frozen=True)
class Paired:
    """Rates measured in alternation with bare Starlette: one ratio per round."""

    app: list[float]
    bare: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.app, self.bare, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def app_rate(self) -> float:
        return statistics.median(self.app)

    @property
    def bare_rate(self) -> float:
        return statistics.median(self.bare)


def paired(measure_app: Callable[[int], float], rounds: int = 5, bare_total: int = 3000,
           concurrency: int = 16) -> Paired:
    """Alternate bare Starlette and the app, ``rounds`` times each, both servers up.

    ``measure_app(round)`` returns the app's rate for that round. Each ratio divides an
    app rate by the bare rate measured just before it, so a change of machine load
    during the run (other processes on a 2-core machine) moves both sides of a ratio
    alike; the figure is the median ratio.
    """
    app_rates, bare_rates = [], []
    with bare_server() as base:
        load(base + "/", total=300, concurrency=concurrency)  # warm up
        for n in range(rounds):
            bare_rates.append(load(base + "/", total=bare_total, concurrency=concurrency)[0])
            app_rates.append(measure_app(n))
    return Paired(app_rates, bare_rates)


def paired_get(url: str, *, total: int = 1500, rounds: int = 5) -> Paired:
    """``paired`` for a page fetched with GET; every answer must be 200."""
    load(url, total=200)  # warm up

    def measure(_: int) -> float:
        rate, statuses = load(url, total=total)
        assert set(statuses) == {200}, set(statuses)
        return rate

    return paired(measure, rounds)


def report_paired(prefix: str, result: Paired, bare_name: str = "bare_rps") -> None:
    """The usual three lines (bare rate, app rate, ratio) plus every round's ratio."""
    report(bare_name, result.bare_rate, "requests/s")
    report(f"{prefix}_rps", result.app_rate, "requests/s")
    report(f"{prefix}_vs_bare", result.ratio, "ratio")
    print(f"# {prefix}_vs_bare by round: " + ", ".join(f"{r:.3f}" for r in result.ratios), flush=True)


def compressed_weight(client, path: str) -> int:
    """gzip size of a page's HTML plus the CSS and JS it links (what a phone downloads)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = response.text
    total = len(gzip.compress(response.content, 6))
    for asset in re.findall(r'(?:href|src)="(/static/[^"?]+\.(?:css|js))', html):
        total += len(gzip.compress(client.get(asset).content, 6))
    return total
