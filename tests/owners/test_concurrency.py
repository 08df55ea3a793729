"""300 owners voting at once, with duplicate submissions, get exactly one ballot each.

Real threads, each with its own session and transaction, on a real database: a
SQLite file (WAL, BEGIN IMMEDIATE) or, when CONSULT_TEST_DATABASE_URL is set, a
scratch schema of that PostgreSQL database.  Not the rolled-back test connection:
the point is to see what committed transactions do to each other.  Each owner
submits twice, co-owners submit for the same owner with another choice, and staff
key paper ballots for some of the same owners at the same moment.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.engine import make_url
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.models import Home, HomeOwner, RoleAssignment
from consult.db.engine import Database, make_engine
from consult.db.migrate import upgrade
from consult.errors import Conflict
from consult.owners import rules, services
from consult.owners.models import OwnerBallot
from consult.permissions import Actor

OWNERS = 300
SCHEMA = "owners_concurrency"


@pytest.fixture
def database(tmp_path):
    """A migrated database of its own, dropped afterwards."""
    base = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
        upgrade(url)
        engine = make_engine(url)
        yield Database(engine)
        engine.dispose()
        return
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    url = url.render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url, pool_size=20, max_overflow=5)
    try:
        yield Database(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def owner_names(i: int) -> tuple[str, ...]:
    return (f"O{i:03d}", f"S{i:03d}") if i % 6 == 0 else (f"O{i:03d}",)


def register_csv() -> str:
    """300 owners; every fifth has a second home, every sixth is a couple; 10 developer homes."""
    lines = ["home_id,building,room,area_m2,owners,developer_held"]
    for i in range(OWNERS):
        names = ";".join(reversed(owner_names(i)))
        lines.append(f"1-{i:03d},1,{i:03d},{60 + i % 40}.{i % 100:02d},{names},0")
        if i % 5 == 0:
            lines.append(f"2-{i:03d},2,{i:03d},45.50,{';'.join(owner_names(i))},0")
    lines += [f"9-{d},9,{d},88.88,,1" for d in range(10)]
    return "\n".join(lines) + "\n"


def arrange(database: Database):
    """Places, 350 linked accounts, the register and an open matter, committed."""
    now = clock.utcnow()
    with database.session(write=True) as db:
        root = communities.create_place(db, kind="subdistrict", name="并发街道")
        area = communities.create_place(db, kind="area", name="并发居民区", parent=root)
        estate = communities.create_place(db, kind="estate", name="并发小区", parent=area)
        admin = User(login="concurrency-admin", display_name="admin")
        db.add(admin)
        db.flush()
        staff = Actor(user_id=admin.id, roles=frozenset({("admin", root.id)}))
        services.import_register(db, staff, estate, filename="homes.csv",
                                 data=register_csv().encode(), now=now)
        names = [n for i in range(OWNERS) for n in owner_names(i)]
        db.execute(insert(User), [{"login": f"c-{n}", "display_name": n, "session_version": 1,
                                   "elder_mode": False, "created_at": now} for n in names])
        user_of = dict(db.exec(select(User.display_name, User.id).where(User.login.startswith("c-"))).all())
        db.execute(insert(RoleAssignment), [{"user_id": uid, "role": "owner", "place_id": estate.id,
                                             "created_at": now} for uid in user_of.values()])
        rows = db.exec(select(HomeOwner.id, HomeOwner.name).join(Home, Home.id == HomeOwner.home_id)
                       .where(Home.estate_id == estate.id)).all()
        db.execute(update(HomeOwner), [{"id": rid, "user_id": user_of[name]} for rid, name in rows])
        matter = services.create_matter(db, staff, estate, title="并发表决", kind="ordinary",
                                        description="", opens_at=now - timedelta(minutes=5),
                                        closes_at=now + timedelta(hours=1),
                                        paper_double_key=False, now=now)
        db.commit()
        return estate.id, matter.id, staff, user_of


@pytest.mark.slow
def test_300_owners_at_once_get_one_ballot_each(database):
    estate_id, matter_id, staff, user_of = arrange(database)
    rng = random.Random(6)
    tasks: list[tuple] = []
    for i in range(OWNERS):
        names = owner_names(i)
        choice = rng.choice(["agree", "disagree", "abstain"])
        tasks += [("web", names[0], choice), ("web", names[0], choice)]  # a double tap
        if len(names) == 2:  # the spouse, for the same owner, with another mind
            tasks.append(("web", names[1], "disagree" if choice == "agree" else "agree"))
        if i % 10 == 3:  # a paper ballot keyed for the same owner at the same moment
            tasks.append(("paper", f"1-{i:03d}", choice))
    tasks.append(("paper", "9-0", "abstain"))  # the developer, on paper
    rng.shuffle(tasks)

    acknowledged: list[tuple[int, str, str, str]] = []  # (ballot id, owner key, choice, channel)
    refused: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def submit(task) -> None:
        channel, who, choice = task
        now = clock.utcnow()
        with database.session(write=True) as db:
            try:
                if channel == "web":
                    user = db.get(User, user_of[who])
                    actor = Actor(user_id=user.id, roles=frozenset({("owner", estate_id)}))
                    ballot = services.cast_web_ballot(db, actor, user, matter_id, owner="",
                                                      choice=choice, now=now)
                else:
                    ballot = services.enter_paper_ballot(db, staff, matter_id, serial=f"P-{who}",
                                                         home=who, choice=choice, now=now).ballot
                db.commit()
            except Conflict as exc:
                db.rollback()
                with lock:
                    refused[exc.code] += 1
                return
            except Exception as exc:  # anything else is a lost or broken submission
                db.rollback()
                with lock:
                    failures.append(f"{task}: {type(exc).__name__}: {exc}")
                return
            with lock:
                acknowledged.append((ballot.id, ballot.owner_key, ballot.choice, ballot.channel))

    def warm_then_submit(share):
        start.wait()
        for task in share:
            submit(task)

    shares = [tasks[i::16] for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(warm_then_submit, shares))

    assert not failures, failures[:5]
    expected_owners = OWNERS + 1  # and the developer
    assert len(acknowledged) == expected_owners
    assert sum(refused.values()) == len(tasks) - expected_owners
    assert set(refused) == {"already_voted"}
    with database.session() as db:
        stored = {b.id: b for b in db.exec(select(OwnerBallot).where(
            OwnerBallot.matter_id == matter_id, OwnerBallot.active.is_(True))).all()}
        per_owner = Counter(b.owner_key for b in stored.values())
        assert len(per_owner) == expected_owners and set(per_owner.values()) == {1}
        for ballot_id, key, choice, channel in acknowledged:
            assert (stored[ballot_id].owner_key, stored[ballot_id].choice,
                    stored[ballot_id].channel) == (key, choice, channel)
        matter, _ = services.get_matter(db, matter_id)
        count = services.outcome(db, matter)
        assert count.owners_voted == count.owners_total == expected_owners
        expected_keys = {rules.owner_digest(frozenset(owner_names(i))) for i in range(OWNERS)}
        assert expected_keys | {rules.owner_digest(rules.DEVELOPER)} == set(per_owner)
