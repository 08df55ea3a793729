"""Ballot secrecy of owners' committee elections: a dump of the database does not tell how
any owner voted.

Two dozen owners vote online with known, distinct ballots, in an order known to the test.
The whole database is then read as an attacker with a dump would: every table, every
column, rows in their physical order and ordered by every column. No join and no ordering
lines an owner up with their ballot; casting writes nothing but the ballot; a ballot's
time is its day. With the ballot key the platform still finds who has voted and counts.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from sqlalchemy import inspect, update
from sqlmodel import select

from consult import secrecy
from consult.communities import services as communities
from consult.communities.models import Home, HomeOwner
from consult.elections import rules, services
from consult.elections.models import ElectionBallot
from consult.elections.services.common import voter_key
from consult.owners import services as owners_services
from tests import factories
from tests.elections.conftest import AFTER, BEFORE, CLOSES, NOW, OPENS
from tests.voting.test_secrecy import _dump

OWNERS = 24
MOST_ALIGNED_BY_CHANCE = 10


@pytest.fixture
def vote(db, settings, world):
    admin = factories.user(db, settings, name="管理员")
    communities.grant_role(db, user=admin, role="admin", place=world.tree["root"])
    staff = world.actor(admin)
    lines = ["home_id,building,room,area_m2,owners,developer_held"]
    lines += [f"7-{n:02d},7,{n:02d},{50 + n}.{n:02d},业主{n:02d},0" for n in range(OWNERS)]
    owners_services.import_register(db, staff, world.other_estate, filename="h.csv",
                                    data=("\n".join(lines) + "\n").encode(), now=BEFORE)
    people = []
    for n in range(OWNERS):
        user = factories.user(db, settings, name=f"业主{n:02d}")
        communities.grant_role(db, user=user, role="owner", place=world.other_estate)
        people.append(user)
    rows = db.exec(select(HomeOwner.id, HomeOwner.name).join(Home, Home.id == HomeOwner.home_id)
                   .where(Home.estate_id == world.other_estate.id)).all()
    by_name = {u.display_name: u.id for u in people}
    db.execute(update(HomeOwner), [{"id": rid, "user_id": by_name[name]} for rid, name in rows])
    election = services.create_election(
        db, staff, world.other_estate, title="选举", description="", seats=3, rank="headcount",
        opens_at=OPENS, closes_at=CLOSES, paper_double_key=False, now=BEFORE)
    ids = [str(services.add_candidate(db, staff, election.id, name=f"候选人{k}", statement="",
                                      now=BEFORE).id) for k in range(6)]
    ballots = [sorted(c, key=int) for r in (1, 2, 3) for c in combinations(ids, r)][:OWNERS]
    order = list(range(OWNERS))
    random.Random(12).shuffle(order)
    chosen = {}
    for n in order:
        user = people[n]
        services.cast_web_ballot(db, world.actor(user), user, election.id,
                                 candidates=ballots[n], now=NOW)
        chosen[user.id] = ";".join(ballots[n])
    db.flush()
    return election, people, [people[n].id for n in order], chosen


def no_order_lines_up(db, columns, rows, known: dict[str, list], true: dict) -> None:
    """Neither the physical order nor the order by any column lines the ballots' choices up
    with the voters in any ``known`` order (``true``: a voter's choices)."""
    postgres = db.connection().dialect.name == "postgresql"
    at = columns.index("candidates")
    orders = [("physical", rows, False)]
    for i, column in enumerate(columns):
        def key(r, i=i):
            return (r[i] is None, str(r[i]))
        orders.append((column, sorted(rows, key=key), len({key(r) for r in rows}) == len(rows)))
    for how, ordered, total in orders:
        for what, voters in known.items():
            if postgres and not total and what == "voting order":
                continue  # PostgreSQL keeps rows in the order they were written (README)
            aligned = sum(r[at] == true[v] for r, v in zip(ordered, voters, strict=True))
            assert aligned <= MOST_ALIGNED_BY_CHANCE, f"ordered by {how} lines up by {what}"


def test_a_dump_lines_up_no_owner_with_their_ballot(db, vote):
    election, people, cast_order, chosen = vote
    dump = _dump(db)
    columns, rows = dump["election_ballot"]
    rows = [r for r in rows if r[columns.index("election_id")] == election.id]
    assert len(rows) == OWNERS
    # 1. a ballot names no account, home or area; web ballots have no keyer
    to_users = {fk["constrained_columns"][0] for fk in inspect(db.connection()).get_foreign_keys("election_ballot")
                if fk["referred_table"] == "user"}
    assert to_users == {"keyed_by", "second_by"}
    assert all(r[columns.index("keyed_by")] is None for r in rows)
    people_values = {str(u.id) for u in people} | {u.display_name for u in people} | {
        f"7-{n:02d}" for n in range(OWNERS)}
    assert not {str(v) for r in rows for v in r} & people_values
    # 2. nothing else holds a ballot's id or key
    identifiers = {str(r[columns.index(c)]) for r in rows for c in ("id", "voter_key")}
    for table, (_, table_rows) in dump.items():
        if table != "election_ballot":
            assert not {str(v) for row in table_rows for v in row} & identifiers, table
    # 3. no ordering lines the ballots up with the owners, by id, name or the order of voting
    true = {uid: chosen[uid] for uid in chosen}
    known = {"user id": sorted(true), "name": sorted(true, key=lambda uid: next(
        u.display_name for u in people if u.id == uid)), "voting order": cast_order}
    no_order_lines_up(db, columns, rows, known, true)


def test_casting_writes_nothing_but_the_ballot(db, world, vote):
    new_election, ids = world.election()
    db.flush()
    before = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    world.vote(world.wang, new_election, ids[:1])
    db.flush()
    after = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    assert {t for t in after if after[t] != before.get(t)} == {"election_ballot"}


def test_ballot_days_random_ids_and_keys_need_the_key(db, vote, settings):
    election, people, _, _ = vote
    rows = db.exec(select(ElectionBallot).where(ElectionBallot.election_id == election.id)).all()
    assert all(rules.ballot_day(r.cast_day) == r.cast_day for r in rows)
    assert min(r.id for r in rows) > 2**40
    register = services.election_register(db, election)
    keys = {r.voter_key for r in rows}
    assert keys == set(register.key_of.values())
    # the same owners under another ballot key have other keys: the dump alone names nobody
    from dataclasses import replace

    secrecy.configure(replace(settings, ballot_key="another key"))
    try:
        other = {voter_key(election.id, o) for o in register.holdings}
    finally:
        secrecy.configure(settings)
    assert not other & keys


def test_with_the_key_the_result_counts_every_ballot(db, vote):
    election, _, _, chosen = vote
    _, _, outcome = services.result(db, election.id, AFTER)
    assert outcome.owners_voted == OWNERS
    approvals = {c.id: c.owners_agree for c in outcome.candidates}
    expected = {}
    for ballot in chosen.values():
        for c in ballot.split(";"):
            expected[c] = expected.get(c, 0) + 1
    assert {k: v for k, v in approvals.items() if v} == expected
