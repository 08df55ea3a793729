"""Ballots on PostgreSQL with several workers, and ballots while an upload stalls (issue 12).

    python -m bench.bench_reliability

``vote_post_rps_pg`` and ``vote_post_p95_ms_pg``: ballots through the HTML form path
(as ``bench_voting``: session cookie, CSRF token, eligibility, the ballot and its
choices, 303) on PostgreSQL, the app with 4 workers, 50 concurrent clients: ballots
accepted per second, and the 95th percentile of a ballot's time from its request sent
to its answer read. ``vote_pg_bare_rps``: bare Starlette with 4 workers at 50 clients,
measured in turn with the app in the same run (three rounds each; medians).
PostgreSQL comes from ``CONSULT_BENCH_POSTGRESQL_URL`` (or ``CONSULT_TEST_DATABASE_URL``):
a scratch database is created next to the one it names and dropped afterwards; without
either the PostgreSQL figures are skipped with a note.

``vote_post_during_stalled_upload_vs_alone`` (SQLite, one worker; target ≥ 0.8):
ballots per second while one phone's photo upload to the JSON API has sent its headers
and the start of its body and then stalls, ÷ ballots per second without it; rounds
alternate (three of each), the figure is the median of each stalled round's rate over
the round before it. The server is told to wait 10 minutes for a stalled body, so the
upload is never cut off during a round.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bench.bench_voting import VOTERS, answered, ballot_requests, build_database, check_database
from bench.common import app_server, bare_server, load, report

PG_WORKERS = 4
PG_CLIENTS = 50
PG_ROUNDS = 3
STALL_ROUNDS = 3
STALL_CLIENTS = 16


async def _timed(host: str, port: int, jobs: list[tuple[int, bytes]], statuses: dict[int, int],
                 seconds: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for index, raw in jobs:
            start = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            seconds.append(time.perf_counter() - start)
            statuses[index] = answered(head)
    finally:
        writer.close()


def fire_timed(base: str, jobs: list[tuple[int, bytes]], clients: int) -> tuple[float, dict, list]:
    """Send every (index, request) once over ``clients`` keep-alive connections:
    (ballots acknowledged per second, status by index, each request's seconds)."""
    parts = urlsplit(base)
    shares = [jobs[i::clients] for i in range(clients)]
    statuses: dict[int, int] = {}
    seconds: list[float] = []

    async def run():
        await asyncio.gather(*(_timed(parts.hostname, parts.port, share, statuses, seconds)
                               for share in shares if share))

    start = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - start
    return sum(1 for s in statuses.values() if s == 303) / elapsed, statuses, seconds


def _check(url: str, round_id: int, users, statuses: dict[int, int]) -> None:
    acknowledged = {users[i][0] for i, status in statuses.items() if status == 303}
    assert len(acknowledged) == VOTERS, {s: list(statuses.values()).count(s) for s in set(statuses.values())}
    stored, missing, duplicates = check_database(url, round_id, acknowledged)
    assert (stored, missing, duplicates) == (VOTERS, 0, 0), (stored, missing, duplicates)


@contextmanager
def _scratch_postgres():
    base = os.environ.get("CONSULT_BENCH_POSTGRESQL_URL") or os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield None
        return
    from tests.voting.live import scratch_postgresql

    with scratch_postgresql(base, "bench_reliability") as url:
        yield url


def postgres_figures(directory: Path) -> None:
    with _scratch_postgres() as url:
        if url is None:
            print("# vote_post_*_pg skipped: set CONSULT_BENCH_POSTGRESQL_URL to a PostgreSQL URL",
                  flush=True)
            return
        url, round_id, idea_ids, users = build_database(directory, url)
        with app_server(url, workers=PG_WORKERS) as base, bare_server(PG_WORKERS) as bare:
            requests = ballot_requests(base, round_id, idea_ids, users)
            jobs = list(enumerate(requests))
            batches = [jobs[n::PG_ROUNDS] for n in range(PG_ROUNDS)]
            load(bare + "/", total=500, concurrency=PG_CLIENTS)  # warm up
            app_rates, bare_rates, seconds, statuses = [], [], [], {}
            for batch in batches:
                bare_rates.append(load(bare + "/", total=3000, concurrency=PG_CLIENTS)[0])
                rate, batch_statuses, batch_seconds = fire_timed(base, batch, PG_CLIENTS)
                app_rates.append(rate)
                statuses.update(batch_statuses)
                seconds += batch_seconds
        _check(url, round_id, users, statuses)
        report("vote_pg_bare_rps", statistics.median(bare_rates), "requests/s")
        report("vote_post_rps_pg", statistics.median(app_rates), "ballots/s")
        report("vote_post_p95_ms_pg", statistics.quantiles(seconds, n=20)[-1] * 1000, "ms")
        print("# vote_post_rps_pg by round: " + ", ".join(f"{r:.0f}" for r in app_rates), flush=True)


@contextmanager
def stalled_upload(base: str, idea_id: int):
    """A photo upload that sends its headers and the start of its body, then nothing."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    boundary = "stalled"
    head = (f"POST /api/v1/ideas/{idea_id}/photos HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer stalled-phone\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {4 * 1024 * 1024}\r\n\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    sock.sendall(head + b"\xff\xd8" + b"\0" * 8000)
    try:
        yield
    finally:
        sock.close()


def stalled_upload_figure(directory: Path) -> None:
    url, round_id, idea_ids, users = build_database(directory)
    with app_server(url, CONSULT_BODY_IDLE_SECONDS="600") as base:
        requests = ballot_requests(base, round_id, idea_ids, users)
        jobs = list(enumerate(requests))
        batches = [jobs[n::2 * STALL_ROUNDS] for n in range(2 * STALL_ROUNDS)]
        statuses, alone, stalled = {}, [], []
        for n, batch in enumerate(batches):
            if n % 2:
                with stalled_upload(base, idea_ids[0]):
                    rate, batch_statuses, _ = fire_timed(base, batch, STALL_CLIENTS)
                stalled.append(rate)
            else:
                rate, batch_statuses, _ = fire_timed(base, batch, STALL_CLIENTS)
                alone.append(rate)
            statuses.update(batch_statuses)
    _check(url, round_id, users, statuses)
    ratios = [s / a for s, a in zip(stalled, alone, strict=True)]
    report("vote_post_rps_alone", statistics.median(alone), "ballots/s")
    report("vote_post_rps_during_stalled_upload", statistics.median(stalled), "ballots/s")
    report("vote_post_during_stalled_upload_vs_alone", statistics.median(ratios), "ratio")
    print("# vote_post_during_stalled_upload_vs_alone by round: "
          + ", ".join(f"{r:.3f}" for r in ratios), flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pg").mkdir()
        postgres_figures(Path(tmp) / "pg")
        stalled_upload_figure(Path(tmp))


if __name__ == "__main__":
    main()
