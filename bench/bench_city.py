"""City scale: one vote round of 100 ideas and N voters (3–5 choices each), on PostgreSQL.

    python -m bench.bench_city                    # N = 100,000 (what ``make bench`` runs)
    python -m bench.bench_city --voters 1000000   # a city: 1M voters, about 4M choices

``CONSULT_BENCH_DATABASE_URL`` names a PostgreSQL database the bench empties and fills
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/consult_bench_city``, created when
missing); without a reachable PostgreSQL it runs on a SQLite file, and says so. The
ballots, their voters (residents with a role) and their areas and building groups are
loaded in bulk (``COPY`` on PostgreSQL), then, each figure suffixed by the size
(``_100k``, ``_1m``):

- ``city_count_seconds``, ``city_count_rss_mb``: counting the round (greedy), in a
  process of its own, and that process's peak memory; ``city_mes_seconds``: the same
  round counted with the Method of Equal Shares (add-one completion);
- ``city_publish_seconds``, ``city_publish_rss_mb``: publishing it (count, the turnout
  kept, the ``.pb`` and CSV files written), committed;
- with the app served by one worker: ``city_results_page_ms`` and
  ``city_turnout_page_ms`` (median of 20, after publication), ``city_export_seconds``
  (the ``.pb`` download, median of 3) and ``city_export_rss_growth_mb`` (the server's
  peak memory after three downloads of each file minus before);
- ``city_ballot_p99_idle_ms`` and ``city_ballot_p99_during_export_ms``: the 99th
  percentile of web ballots cast in another, open round by four voters at a time, alone
  and while three downloads run without pause; their ratio ``city_ballot_p99_export_vs_idle``
  and ``city_page_vs_bare`` (the results page's median over a bare Starlette request's,
  measured in the same run) compare across machines.

Targets (issue 14, 1M, this 2-core machine): publish ≤ 10 s, counting ≤ 500 MB, MES
≤ 30 s, results and turnout pages ≤ 150 ms, export ≤ 5 s with ≤ 50 MB server growth,
ballot p99 during downloads ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.bench_voting import _cookie, _session_key
from bench.common import PYTHON, ROOT, report, serve, serve_process

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/consult_bench_city"
SECRET = "bench-secret"  # the servers' CONSULT_SECRET_KEY (bench.common.app_server)
IDEAS = 100
AREAS = 20
GROUPS_PER_AREA = 10
OPEN_VOTERS = 1200  # voters of the open round, casting during the downloads
BATCH = 50_000


def _label(voters: int) -> str:
    return f"{voters // 1_000_000}m" if voters % 1_000_000 == 0 else f"{voters // 1000}k"


def database_url() -> tuple[str, bool]:
    """(URL, is PostgreSQL): the bench's PostgreSQL database, emptied; else a SQLite file."""
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL", DEFAULT_URL)
    try:
        import psycopg

        parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
        name = parts.path.lstrip("/")
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return url, True
    except Exception as exc:  # noqa: BLE001 - any failure: no PostgreSQL here
        print(f"# no PostgreSQL ({type(exc).__name__}); the figures are SQLite's", flush=True)
        path = Path(tempfile.mkdtemp()) / "city.db"
        return f"sqlite:///{path}", False


def _bulk(db, table, rows) -> None:
    """Insert rows (dicts with the same keys) in bulk: COPY on PostgreSQL."""
    from sqlalchemy import insert

    rows = iter(rows)
    if db.get_bind().dialect.name != "postgresql":
        while chunk := [r for _, r in zip(range(BATCH), rows, strict=False)]:
            db.execute(insert(table), chunk)
        return
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    raw = db.connection().connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor().copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        copy.write_row([first[c] for c in columns])
        for row in rows:
            copy.write_row([row[c] for c in columns])


def build(url: str, voters: int) -> dict:
    """Migrate and fill the database; return what the measurements need."""
    from consult import clock
    from consult.accounts import services as accounts
    from consult.accounts.models import User, UserSession
    from consult.communities import services as communities
    from consult.communities.models import RoleAssignment
    from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.voting import Ballot, VoteSettings
    from consult.voting.models import BallotChoice

    upgrade(url)
    engine = make_engine(url)
    now = clock.utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(14)
    with Database(engine).session(write=True) as db:
        root = communities.create_place(db, kind="subdistrict", name="城市")
        areas, groups = [], []
        for a in range(AREAS):
            area = communities.create_place(db, kind="area", name=f"片区{a + 1}", parent=root)
            areas.append(area.id)
            estate = communities.create_place(db, kind="estate", name=f"{a + 1}号小区", parent=area)
            groups.append([communities.create_place(db, kind="building_group", name=f"{g + 1}号楼组",
                                                    parent=estate).id for g in range(GROUPS_PER_AREA)])
        staff = User(login="bench-moderator", display_name="统计员", session_version=1, created_at=now)
        db.add(staff)
        db.flush()
        db.add(RoleAssignment(user_id=staff.id, role="moderator", place_id=root.id, created_at=now))
        db.add(UserSession(digest=accounts.session_digest(_session_key(staff.id)), user_id=staff.id,
                           created_at=now))
        db.flush()

        def consultation(title: str, closes) -> tuple[int, list[int]]:
            item = Consultation(title=title, year=2026, scope_place_id=root.id, budget_fen=2_000_000_000)
            db.add(item)
            db.flush()
            category = Category(consultation_id=item.id, name="城市项目")
            vote = Round(consultation_id=item.id, position=1, kind="vote", opens_at=now - timedelta(days=8),
                         closes_at=closes, settings={})
            db.add_all([category, vote])
            db.flush()
            ideas = [Idea(consultation_id=item.id, author_id=staff.id, title=f"项目{i + 1}", description="基准",
                          category_id=category.id, place_id=root.id, estimated_cost_fen=rng.randrange(10, 400) * 1_000_000,
                          state="shortlisted", current_round_id=vote.id) for i in range(IDEAS)]
            db.add_all(ideas)
            db.flush()
            db.add_all([IdeaRound(idea_id=i.id, round_id=vote.id) for i in ideas])
            db.add(VoteSettings(round_id=vote.id, ballot_kind="approval", rule="greedy", max_choices=5))
            db.flush()
            return vote.id, [i.id for i in ideas]

        round_id, idea_ids = consultation("全市参与式预算", now - timedelta(minutes=5))
        open_id, open_ideas = consultation("正在投票", now + timedelta(days=3))
        # The residents: N voters of the closed round (their ballots are written directly,
        # as an import would) and the voters of the open round, who vote over HTTP.
        first_user = staff.id + 1
        _bulk(db, User.__table__, ({"login": f"c{n}", "display_name": f"居民{n}", "session_version": 1,
                                    "elder_mode": False, "created_at": now}
                                   for n in range(voters + OPEN_VOTERS)))
        _bulk(db, RoleAssignment.__table__, ({"user_id": first_user + n, "role": "resident",
                                              "place_id": areas[n % AREAS], "created_at": now}
                                             for n in range(voters + OPEN_VOTERS)))
        open_users = list(range(first_user + voters, first_user + voters + OPEN_VOTERS))
        _bulk(db, UserSession.__table__, ({"digest": accounts.session_digest(_session_key(uid)),
                                           "user_id": uid, "created_at": now} for uid in open_users))
        weights = [1 / (1 + i) ** 0.8 for i in range(IDEAS)]  # some ideas far more popular
        ballot_ids = rng.sample(range(1, 1 << 62), voters) if voters < 2_000_000 else None
        ballots, choices = [], []

        def flush() -> None:
            _bulk(db, Ballot.__table__, ballots)
            _bulk(db, BallotChoice.__table__, choices)
            ballots.clear()
            choices.clear()

        for n in range(voters):
            ballot_id = ballot_ids[n] if ballot_ids else rng.randrange(1, 1 << 62)
            area = n % AREAS
            chosen: set[int] = set()
            want = rng.randrange(3, 6)
            while len(chosen) < want:
                chosen.update(rng.choices(range(IDEAS), weights, k=want - len(chosen)))
            # the counted line every writer stores with the choices (an approval ballot:
            # its idea ids ascending, comma-joined; ``rules.counted_line``)
            ballots.append({"id": ballot_id, "round_id": round_id, "voter_key": f"city:{n}",
                            "channel": "web", "status": "counted", "area_id": areas[area],
                            "building_group_id": groups[area][(n // AREAS) % GROUPS_PER_AREA],
                            "line": ",".join(str(idea_ids[i]) for i in sorted(chosen)),
                            "created_at": day, "updated_at": day})
            choices.extend({"ballot_id": ballot_id, "idea_id": idea_ids[i], "points": 1, "rank": None}
                           for i in chosen)
            if len(ballots) == BATCH:
                flush()
        flush()
        db.commit()
    if engine.dialect.name == "postgresql":
        # what autovacuum does after a bulk load, before anyone publishes
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {"round_id": round_id, "open_id": open_id, "open_ideas": open_ideas, "staff": staff.id,
            "open_users": open_users}


# -- the measurements in processes of their own ---------------------------------------------


def child(action: str, url: str, round_id: int) -> None:
    """Count (``count``, ``mes``) or publish (``publish``) the round; print seconds and peak RSS."""
    from consult import clock
    from consult.db import Database, make_engine
    from consult.voting import services

    engine = make_engine(url)
    with Database(engine).session(write=True) as db:
        now = clock.utcnow()
        vr = services.load_round(db, round_id, now)
        if action == "mes":
            vr.settings.rule = "equalshares/add1"
        start = time.perf_counter()
        if action == "publish":
            services.publish(db, None, vr, now)
            db.commit()
        else:
            services.count_round(db, vr)
        seconds = time.perf_counter() - start
        if action == "mes":
            db.rollback()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))


def run_child(action: str, url: str, round_id: int, env: dict) -> dict:
    out = subprocess.run([PYTHON, "-m", "bench.bench_city", "--child", action, "--url", url,
                          "--round", str(round_id)], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- over HTTP ----------------------------------------------------------------------------


def _get(base: str, path: str, headers: dict | None = None) -> tuple[int, int, float]:
    """(status, bytes, seconds) of one GET, the body read in pieces and dropped."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    size = 0
    while piece := response.read(1 << 16):
        size += len(piece)
    seconds = time.perf_counter() - start
    conn.close()
    return response.status, size, seconds


def _median_ms(base: str, path: str, headers: dict | None = None, times: int = 20) -> float:
    _get(base, path, headers)  # warm
    samples = []
    for _ in range(times):
        status, _, seconds = _get(base, path, headers)
        assert status == 200, (path, status)
        samples.append(seconds * 1000)
    return statistics.median(samples)


def _memory(pid: int, field: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cast(base: str, round_id: int, voters: list[int], ideas: list[int], latencies: list[float]) -> None:
    """Each voter casts one ballot through the form, on one kept-alive connection."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    rng = random.Random(voters[0] if voters else 0)
    for uid in voters:
        csrf = secrets.token_urlsafe(32)
        body = urlencode([("csrf_token", csrf), *(("idea", i) for i in rng.sample(ideas, 3))])
        start = time.perf_counter()
        conn.request("POST", f"/rounds/{round_id}/vote/confirm", body=body, headers={
            "Cookie": _cookie(uid, csrf), "Content-Type": "application/x-www-form-urlencoded",
            "Origin": base})
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status == 303, response.status
    conn.close()


def ballots_p99(base: str, round_id: int, voters: list[int], ideas: list[int]) -> float:
    latencies: list[float] = []
    threads = [threading.Thread(target=_cast, args=(base, round_id, voters[i::4], ideas, latencies))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statistics.quantiles(latencies, n=100)[98]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--round", type=int)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url, args.round)
        return
    label = _label(args.voters)
    url, postgres = database_url()
    media = Path(tempfile.mkdtemp()) / "media"
    env = {"CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": SECRET, "CONSULT_MEDIA_DIR": str(media)}
    start = time.perf_counter()
    built = build(url, args.voters)
    print(f"# {args.voters:,} voters loaded in {time.perf_counter() - start:.0f} s "
          f"({'PostgreSQL' if postgres else 'SQLite'})", flush=True)
    rid = built["round_id"]
    counted = run_child("count", url, rid, env)
    report(f"city_count_seconds_{label}", counted["seconds"], "s")
    report(f"city_count_rss_mb_{label}", counted["rss_mb"], "MB")
    report(f"city_mes_seconds_{label}", run_child("mes", url, rid, env)["seconds"], "s")
    published = run_child("publish", url, rid, env)
    report(f"city_publish_seconds_{label}", published["seconds"], "s")
    report(f"city_publish_rss_mb_{label}", published["rss_mb"], "MB")

    staff_csrf = secrets.token_urlsafe(32)
    staff = {"Cookie": _cookie(built["staff"], staff_csrf)}
    with serve("bench.bare:app") as bare:
        bare_ms = _median_ms(bare, "/")
    with serve_process("app:app", env) as (base, proc):
        results_ms = _median_ms(base, f"/rounds/{rid}/results")
        report(f"city_results_page_ms_{label}", results_ms, "ms")
        report(f"city_turnout_page_ms_{label}", _median_ms(base, f"/rounds/{rid}/turnout", staff), "ms")
        report("city_page_vs_bare", results_ms / bare_ms, "ratio")
        before = _memory(proc.pid, "VmHWM")
        downloads = []
        for fmt in ("pb", "csv", "pb", "csv", "pb", "csv"):
            status, size, seconds = _get(base, f"/api/v1/rounds/{rid}/results.{fmt}")
            assert status == 200 and size > 0, (fmt, status)
            if fmt == "pb":
                downloads.append(seconds)
        report(f"city_export_seconds_{label}", statistics.median(downloads), "s")
        report(f"city_export_rss_growth_mb_{label}", _memory(proc.pid, "VmHWM") - before, "MB")
        print(f"# the .pb file: {size / 1e6:.1f} MB (CSV)", flush=True)

        voters, ideas = built["open_users"], built["open_ideas"]
        half = len(voters) // 2
        idle = ballots_p99(base, built["open_id"], voters[:half], ideas)
        stop = threading.Event()

        def download_forever(fmt: str) -> None:
            while not stop.is_set():
                _get(base, f"/api/v1/rounds/{rid}/results.{fmt}")

        downloaders = [threading.Thread(target=download_forever, args=(fmt,)) for fmt in ("pb", "csv", "pb")]
        for thread in downloaders:
            thread.start()
        time.sleep(0.2)
        busy = ballots_p99(base, built["open_id"], voters[half:], ideas)
        stop.set()
        for thread in downloaders:
            thread.join()
        report(f"city_ballot_p99_idle_ms_{label}", idle, "ms")
        report(f"city_ballot_p99_during_export_ms_{label}", busy, "ms")
        report("city_ballot_p99_export_vs_idle", busy / idle, "ratio")
        print(f"# server memory now {_memory(proc.pid, 'VmRSS'):.0f} MB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
