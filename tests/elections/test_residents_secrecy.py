"""Ballot secrecy of residents' committee elections, as the owners' (test_secrecy.py): two
dozen registered voters vote online with known, distinct ballots in an order known to the
test; a dump of every table, in physical order and ordered by every column, lines up no
voter (account, register entry, name or order of voting) with their ballot; casting writes
nothing but the ballot; keys name nobody without the ballot key."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from itertools import combinations

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from consult import secrecy
from consult.communities import services as communities
from consult.elections import rules, services
from consult.elections.models import ResidentBallot
from consult.elections.services.residents import resident_voter_key
from tests import factories
from tests.elections.conftest import AFTER, CLOSES, NOW, OPENS
from tests.elections.test_secrecy import no_order_lines_up
from tests.voting.test_secrecy import _dump

VOTERS = 24
LONG_BEFORE = OPENS - timedelta(days=10)


@pytest.fixture
def vote(db, settings, world):
    staff = world.staff
    election = services.create_resident_election(
        db, staff, world.tree["area_a"], title="居委会换届选举", description="", mode="voters",
        seats=3, election_day=date(2026, 12, 1), opens_at=OPENS, closes_at=CLOSES,
        nominations_voters=2, now=LONG_BEFORE)
    people, entries = [], []
    for n in range(VOTERS):
        user = factories.user(db, settings, name=f"选民{n:02d}")
        communities.grant_role(db, user=user, role="resident", place=world.tree["area_a"])
        entries.append(services.add_voter(db, staff, election.id, name=f"选民{n:02d}",
                                          birth_date="1960-01-01", phone=user.phone, now=LONG_BEFORE))
        people.append(user)
    ids = [str(services.add_resident_candidate(db, staff, election.id, name=f"候选人{k}", statement="",
                                               nominators=[entries[k].id, entries[k + 1].id],
                                               now=LONG_BEFORE).id) for k in range(6)]
    services.publish_candidates(db, staff, election.id, now=LONG_BEFORE)
    ballots = [sorted(c, key=int) for r in (1, 2, 3) for c in combinations(ids, r)][:VOTERS]
    order = list(range(VOTERS))
    random.Random(21).shuffle(order)
    chosen = {}
    for n in order:
        services.cast_resident_ballot(db, world.actor(people[n]), people[n], election.id,
                                      candidates=ballots[n], now=NOW)
        chosen[n] = ";".join(ballots[n])
    db.flush()
    return election, people, entries, order, chosen


def test_a_dump_lines_up_no_voter_with_their_ballot(db, vote):
    election, people, entries, order, chosen = vote
    dump = _dump(db)
    columns, rows = dump["resident_ballot"]
    rows = [r for r in rows if r[columns.index("election_id")] == election.id]
    assert len(rows) == VOTERS
    # 1. a ballot names no account, register entry or name; web ballots have no keyer
    to_users = {fk["constrained_columns"][0] for fk in inspect(db.connection()).get_foreign_keys("resident_ballot")
                if fk["referred_table"] == "user"}
    assert to_users <= {"keyed_by", "second_by"}
    assert all(r[columns.index("keyed_by")] is None for r in rows)
    personal = {str(u.id) for u in people} | {u.display_name for u in people} | {str(e.id) for e in entries}
    assert not {str(r[i]) for r in rows for i, c in enumerate(columns) if c not in ("candidates", "election_id")} & personal
    # 2. nothing else holds a ballot's id or key
    identifiers = {str(r[columns.index(c)]) for r in rows for c in ("id", "voter_key")}
    for table, (_, table_rows) in dump.items():
        if table != "resident_ballot":
            assert not {str(v) for row in table_rows for v in row} & identifiers, table
    # 3. no ordering lines the ballots up with the voters
    known = {"account": sorted(range(VOTERS), key=lambda n: people[n].id),
             "register entry": sorted(range(VOTERS), key=lambda n: entries[n].id),
             "name": sorted(range(VOTERS), key=lambda n: people[n].display_name),
             "voting order": order}
    no_order_lines_up(db, columns, rows, known, chosen)


def test_casting_writes_nothing_but_the_ballot(db, world, settings, vote):
    election, _, _, _, _ = vote
    user = factories.user(db, settings, name="晚到的选民")
    communities.grant_role(db, user=user, role="resident", place=world.tree["area_a"])
    services.add_voter(db, world.staff, election.id, name="晚到的选民", birth_date="1960-01-01",
                       phone=user.phone, now=LONG_BEFORE)
    [first, *_] = services.resident_candidates_of(db, election)
    db.flush()
    before = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    services.cast_resident_ballot(db, world.actor(user), user, election.id, candidates=[str(first.id)], now=NOW)
    db.flush()
    after = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    assert {t for t in after if after[t] != before.get(t)} == {"resident_ballot"}


def test_ballot_days_random_ids_and_keys_need_the_key(db, vote, settings):
    election, _, entries, _, chosen = vote
    rows = db.exec(select(ResidentBallot).where(ResidentBallot.election_id == election.id)).all()
    assert all(rules.ballot_day(r.cast_day) == r.cast_day for r in rows)
    assert min(r.id for r in rows) > 2**40
    keys = {r.voter_key for r in rows}
    assert keys == {resident_voter_key(election.id, e.id) for e in entries}
    secrecy.configure(replace(settings, ballot_key="another key"))
    try:
        other = {resident_voter_key(election.id, e.id) for e in entries}
    finally:
        secrecy.configure(settings)
    assert not other & keys
    _, _, outcome = services.resident_result(db, election.id, AFTER)
    expected: dict[str, int] = {}
    for ballot in chosen.values():
        for c in ballot.split(";"):
            expected[c] = expected.get(c, 0) + 1
    assert {c.id: c.votes for c in outcome.candidates if c.votes} == expected
