"""300 owners voting at once in an election, with double taps, spouses and paper for the
same owners at the same moment, get exactly one ballot each (committed transactions on a
real database: a SQLite file, or PostgreSQL when CONSULT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.elections import services
from consult.elections.models import ElectionBallot
from consult.errors import Conflict
from consult.permissions import Actor
from tests.owners.test_concurrency import OWNERS, database, owner_names
from tests.owners.test_concurrency import arrange as owners_arrange

__all__ = ["database"]  # the fixture: a migrated database of its own


def arrange(database):
    """The owners' concurrency test's estate (300 linked owners), and an open election on it."""
    estate_id, _, staff, user_of = owners_arrange(database)
    now = clock.utcnow()
    with database.session(write=True) as db:
        estate = services.get_estate(db, estate_id)
        election = services.create_election(
            db, staff, estate, title="并发选举", description="", seats=5, rank="headcount",
            opens_at=now + timedelta(seconds=1), closes_at=now + timedelta(hours=1),
            paper_double_key=False, now=now)
        ids = [str(services.add_candidate(db, staff, election.id, name=f"候选人{k}", statement="",
                                          now=now).id) for k in range(7)]
        election.opens_at = now - timedelta(minutes=5)  # candidates in place: voting opens
        db.add(election)
        db.commit()
        return estate_id, election.id, staff, user_of, ids


def at_once(database, tasks: list[tuple], submit, threads: int = 16):
    """Run ``submit(db, task)`` (a ballot id) for every task from ``threads`` threads that
    start together, each in its own committed session: the acknowledged ballot ids, the
    refusals by code, and anything else that went wrong."""
    acknowledged: list[int] = []
    refused: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def one(task) -> None:
        with database.session(write=True) as db:
            try:
                ballot_id = submit(db, task)
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
                acknowledged.append(ballot_id)

    def run(share):
        start.wait()
        for task in share:
            one(task)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, [tasks[i::threads] for i in range(threads)]))
    return acknowledged, refused, failures


@pytest.mark.slow
def test_300_owners_at_once_get_one_ballot_each(database):
    estate_id, election_id, staff, user_of, ids = arrange(database)
    rng = random.Random(20)
    tasks: list[tuple] = []
    for i in range(OWNERS):
        names = owner_names(i)
        chosen = rng.sample(ids, rng.randint(0, 5))
        tasks += [("web", names[0], chosen), ("web", names[0], chosen)]  # a double tap
        if len(names) == 2:  # the spouse, for the same owner, with another mind
            tasks.append(("web", names[1], ids[:1]))
        if i % 10 == 3:  # a paper ballot keyed for the same owner at the same moment
            tasks.append(("paper", f"1-{i:03d}", chosen))
    tasks.append(("paper", "9-0", []))  # the developer, on paper
    rng.shuffle(tasks)

    def submit(db, task) -> int:
        channel, who, chosen = task
        now = clock.utcnow()
        if channel == "web":
            user = db.get(User, user_of[who])
            actor = Actor(user_id=user.id, roles=frozenset({("owner", estate_id)}))
            return services.cast_web_ballot(db, actor, user, election_id, candidates=chosen, now=now).id
        return services.enter_paper_ballot(db, staff, election_id, serial=f"P-{who}", home=who,
                                           candidates=chosen, now=now).ballot.id

    acknowledged, refused, failures = at_once(database, tasks, submit)
    assert not failures, failures[:5]
    expected = OWNERS + 1  # and the developer
    assert len(acknowledged) == expected
    assert sum(refused.values()) == len(tasks) - expected and set(refused) == {"already_voted"}
    with database.session() as db:
        stored = db.exec(select(ElectionBallot).where(ElectionBallot.election_id == election_id)).all()
        assert sorted(b.id for b in stored) == sorted(acknowledged)
        assert len({b.voter_key for b in stored}) == expected
        election, _ = services.get_election(db, election_id)
        gauge = services.gauge(db, staff, election_id, clock.utcnow())[2]
        assert gauge.owners_voted == gauge.owners_total == expected
