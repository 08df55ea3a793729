"""300 registered voters voting at once in a residents' committee election, with double
taps and a paper ballot entered for some of them at the same moment, get exactly one
ballot each (committed transactions on a real database: a SQLite file, or PostgreSQL when
CONSULT_TEST_DATABASE_URL is set). The owners' election test's pattern and database."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.elections import services
from consult.elections.models import ResidentBallot
from consult.permissions import Actor
from tests.elections.test_concurrency import at_once
from tests.owners.test_concurrency import database

__all__ = ["database"]  # the fixture: a migrated database of its own

VOTERS = 300


def arrange(database):
    """An area, 300 accounts on the register, 7 nominated candidates, voting open."""
    now = clock.utcnow()
    with database.session(write=True) as db:
        root = communities.create_place(db, kind="subdistrict", name="并发街道")
        area = communities.create_place(db, kind="area", name="并发居民区", parent=root)
        admin = User(login="concurrency-admin", display_name="admin")
        db.add(admin)
        db.flush()
        staff = Actor(user_id=admin.id, roles=frozenset({("admin", root.id)}))
        db.execute(insert(User), [{"login": f"r-{n}", "display_name": f"R{n:03d}", "phone": f"139{n:08d}",
                                   "session_version": 1, "elder_mode": False, "created_at": now}
                                  for n in range(VOTERS)])
        users = db.exec(select(User).where(User.login.startswith("r-")).order_by(User.login)).all()
        election = services.create_resident_election(
            db, staff, area, title="并发选举", description="", mode="voters", seats=5,
            election_day=(now + timedelta(days=30)).date(), opens_at=now + timedelta(days=30),
            closes_at=now + timedelta(days=31), nominations_voters=10, now=now)
        entries = [services.add_voter(db, staff, election.id, name=u.display_name, birth_date="1960-01-01",
                                      phone=u.phone, now=now).id for u in users]
        ids = [str(services.add_resident_candidate(db, staff, election.id, name=f"候选人{k}", statement="",
                                                   nominators=entries[10 * k:10 * k + 10], now=now).id)
               for k in range(7)]
        services.publish_candidates(db, staff, election.id, now=now)
        election.opens_at, election.closes_at = now - timedelta(minutes=5), now + timedelta(hours=1)
        db.add(election)
        db.commit()
        return area.id, election.id, staff, [(u.id, e) for u, e in zip(users, entries, strict=True)], ids


@pytest.mark.slow
def test_300_voters_at_once_get_one_ballot_each(database):
    area_id, election_id, staff, voters, ids = arrange(database)
    rng = random.Random(22)
    tasks: list[tuple] = []
    for n, (user_id, entry) in enumerate(voters):
        chosen = rng.sample(ids, rng.randint(0, 5))
        tasks += [("web", user_id, chosen), ("web", user_id, chosen)]  # a double tap
        if n % 10 == 3:  # a paper ballot for the same voter at the same moment
            tasks.append(("paper", entry, chosen))
    rng.shuffle(tasks)
    def submit(db, task) -> int:
        channel, who, chosen = task
        now = clock.utcnow()
        if channel == "web":
            user = db.get(User, who)
            actor = Actor(user_id=user.id, roles=frozenset({("resident", area_id)}))
            return services.cast_resident_ballot(db, actor, user, election_id, candidates=chosen, now=now).id
        return services.enter_resident_paper(db, staff, election_id, voter=str(who), candidates=chosen, now=now).id

    acknowledged, refused, failures = at_once(database, tasks, submit)
    assert not failures, failures[:5]
    assert len(acknowledged) == VOTERS
    assert sum(refused.values()) == len(tasks) - VOTERS and set(refused) == {"already_voted"}
    with database.session() as db:
        stored = db.exec(select(ResidentBallot).where(ResidentBallot.election_id == election_id)).all()
        assert sorted(b.id for b in stored) == sorted(acknowledged)
        assert len({b.voter_key for b in stored}) == VOTERS
        assert services.resident_turnout(db, election_id)[2].voted == VOTERS
