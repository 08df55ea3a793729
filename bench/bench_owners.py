"""Owners' vote figures: the command-line recount's speed and the result page's queries.

    python -m bench.bench_owners

``owners_tally_vs_1000_bare``: wall time of ``python -m consult owners tally`` (a new
process, as a committee member would run it) on a generated 6,000-home estate,
divided by the time the bare Starlette app takes to answer 1,000 requests in the same
run; target ≤ 1.  Each is the best of five, after a warm-up (which lets Python cache
the bytecode, as it does on any normal install): the best run is the one other work
on the machine disturbed least, for both sides alike.

``owners_result_queries_growth``: SQL statements of the result page at 6,000 homes
minus at 60 (in process, TestClient); target 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import PYTHON, ROOT, bare_server, load, report
from tests.gen_owners import generate_estate
from tests.statements import count_statements

HOMES = 6000
SMALL = 60


def tally_seconds(directory: Path) -> tuple[float, dict]:
    """Best wall time of five recounts of the generated estate, and what it printed."""
    homes, ballots = generate_estate(HOMES, seed=1)
    (directory / "homes.csv").write_text(homes, encoding="utf-8")
    (directory / "ballots.csv").write_text(ballots, encoding="utf-8")
    command = [PYTHON, "-m", "consult", "owners", "tally", "--homes", str(directory / "homes.csv"),
               "--ballots", str(directory / "ballots.csv"), "--matter", "major"]
    # As on any machine where Python may cache bytecode: a first run writes it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
    times, printed = [], None
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True)
        times.append(time.perf_counter() - start)
        printed = json.loads(done.stdout)
    return min(times), printed


def bare_seconds_for_1000() -> float:
    with bare_server() as base:
        load(base + "/", total=300)  # warm up
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            _, statuses = load(base + "/", total=1000)
            runs.append(time.perf_counter() - start)
            assert set(statuses) == {200}, set(statuses)
    return min(runs)


def result_statements(directory: Path) -> tuple[int, int]:
    """Statements of one result page at 60 and at 6,000 homes, in one database."""
    from sqlalchemy import insert
    from starlette.testclient import TestClient

    from consult import clock
    from consult.communities import services as communities
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.owners import register, rules, services
    from consult.owners.models import OwnerBallot
    from consult.permissions import Actor
    from consult.web.app import create_app

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    database = Database(engine)
    now = clock.utcnow()
    matters = {}
    with database.session(write=True) as db:
        root = communities.create_place(db, kind="subdistrict", name="街道")
        area = communities.create_place(db, kind="area", name="居民区", parent=root)
        staff = Actor(user_id=None, roles=frozenset({("admin", root.id)}))
        for size in (SMALL, HOMES):
            estate = communities.create_place(db, kind="estate", name=f"小区{size}", parent=area)
            homes_text, ballots_text = generate_estate(size, seed=size)
            services.import_register(db, staff, estate, filename="homes.csv",
                                     data=homes_text.encode(), now=now)
            matter = services.create_matter(
                db, staff, estate, title="续聘物业", kind="ordinary", description="",
                opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=5),
                paper_double_key=False, now=now - timedelta(days=30))
            homes = services.matter_homes(db, matter)
            ballots = register.parse_ballots_csv(ballots_text, homes)
            db.execute(insert(OwnerBallot), [
                {"matter_id": matter.id, "owner_key": rules.owner_digest(b.owner),
                 "owner_label": "", "home_code": b.home_id, "choice": b.choice.value,
                 "channel": b.channel.value, "status": "final", "active": True,
                 "cast_at": now - timedelta(days=10)}
                for b in ballots.values()])
            matters[size] = matter.id
        db.commit()
    settings = Settings(database_url=url, secret_key="bench-secret", base_url="http://testserver",
                        allowed_hosts=("testserver",), media_dir=directory / "media")
    counts = {}
    with TestClient(create_app(settings, database), base_url="http://testserver") as client:
        for size, matter_id in matters.items():
            path = f"/owners/matters/{matter_id}/result"
            assert client.get(path).status_code == 200
            with count_statements(engine) as statements:
                assert client.get(path).status_code == 200
            counts[size] = len(statements)
    engine.dispose()
    return counts[SMALL], counts[HOMES]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        tally, printed = tally_seconds(directory)
        assert printed["owners_total"] > 0
        bare = bare_seconds_for_1000()
        report("owners_tally_seconds", tally, "s")
        report("owners_bare_1000_seconds", bare, "s")
        report("owners_tally_vs_1000_bare", tally / bare, "ratio")
        small, large = result_statements(directory)
        report("owners_result_queries_60", small, "statements")
        report("owners_result_queries_6000", large, "statements")
        report("owners_result_queries_growth", large - small, "statements")


if __name__ == "__main__":
    main()
