"""Ballot secrecy (issue 11, item 8): a dump of the database does not tell how anyone voted.

Two dozen residents vote with known, distinct choices, in an order known to the test.
The whole database is then read as an attacker with a dump would: every table, every
column, rows in their physical order (``SELECT *`` without ORDER BY) and ordered by
every column. No join and no ordering lines a voter up with their ballot; rows written
when a ballot is cast are the ballot's own; ballot times are days. With the ballot key
the platform still finds, shows and changes each voter's ballot, and receipts verify.

PostgreSQL keeps a table's rows in the order they were written: the physical order of
``ballot`` is the order of voting there (the README says so). That ordering alone is
compared only with orders that do not come from the time of voting.
"""

from __future__ import annotations

import random
from datetime import datetime, time

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from consult.clock import to_local
from consult.communities import services as communities
from consult.voting import rules, secrecy, services
from consult.voting.models import Ballot
from consult.voting.rules import RawBallot
from tests import factories
from tests.voting.conftest import actor, close_round, set_settings

VOTERS = 24
#: chance alone aligns about one voter with their ballot; the old schema aligned all 24
MOST_ALIGNED_BY_CHANCE = 10
BALLOT_TABLES = ("ballot", "ballot_choice")


@pytest.fixture
def vote(db, settings, world):
    """24 residents cast cumulative ballots (each a distinct split of 30 points), in an
    order that is neither their ids' nor their names'; one more votes on paper."""
    set_settings(db, world.round.id, ballot_kind="cumulative", max_points=30, min_choices=0)
    voters = []
    for n in range(VOTERS):
        user = factories.user(db, settings, name=f"居民{(n * 7) % VOTERS:02d}")
        communities.grant_role(db, user=user, role="resident", place=world.tree["area_a"])
        voters.append(user)
    db.flush()
    order = list(range(VOTERS))
    random.Random(11).shuffle(order)
    vr = world.load()
    receipts, choices = {}, {}
    a, b, c, _ = (str(i.id) for i in world.ideas)
    for n in order:
        user = voters[n]
        raw = RawBallot(points=[(a, str(n + 1)), (b, str(29 - n)), (c, "0")])
        done = services.cast(db, actor(db, user), user, vr, raw, world.now)
        receipts[user.id], choices[user.id] = done.receipt, {int(a): n + 1, int(b): 29 - n}
    paper_voter = world.people["voter"]
    person = services.paper_voter_of(db, world.actor("moderator"), vr, phone=paper_voter.login)
    services.enter_paper(db, world.actor("moderator"), vr, serial="P-001", voter=person,
                         raw=RawBallot(points=[(a, "30")]), now=world.now)
    db.flush()
    cast_order = [voters[n].id for n in order]
    return voters, cast_order, receipts, choices


def _dump(db) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table: its columns and its rows in physical order (no ORDER BY)."""
    connection = db.connection()
    tables = {}
    for name in inspect(connection).get_table_names():
        result = connection.execute(text(f'SELECT * FROM "{name}"'))
        tables[name] = (list(result.keys()), [tuple(row) for row in result])
    return tables


def _orderings(columns: list[str], rows: list[tuple]):
    """The rows in physical order and sorted by each column, both ways, as a database
    sorts: ties in their physical order. With each, whether the column alone orders them."""
    yield "physical", rows, False
    for i, column in enumerate(columns):
        def key(r, i=i):
            return (r[i] is None, str(r[i]) if not isinstance(r[i], int) else r[i])
        ordered = sorted(rows, key=key)
        total = len({key(r) for r in rows}) == len(rows)
        yield column, ordered, total
        yield f"{column} desc", sorted(rows, key=key, reverse=True), total


def _ballot_sequence(columns: list[str], rows: list[tuple]) -> list:
    """The ballots in the order these rows first name them (a ballot row names itself)."""
    at = columns.index("ballot_id") if "ballot_id" in columns else columns.index("id")
    return list(dict.fromkeys(row[at] for row in rows))


def test_a_dump_lines_up_no_voter_with_their_ballot(db, world, vote):
    voters, cast_order, _, choices = vote
    round_id = world.round.id
    web_ids = {v.id for v in voters}
    login = {v.id: v.login for v in voters}
    name = {v.id: v.display_name for v in voters}
    true_ballot = {uid: db.exec(select(Ballot.id).where(
        Ballot.voter_key == secrecy.user_key(round_id, uid))).one() for uid in web_ids}
    dump = _dump(db)

    # 1. No ballot column names a voter: the only reference to an account is the paper
    # ballot's keyer, and web ballots have none.
    for table in BALLOT_TABLES:
        to_users = [fk["constrained_columns"] for fk in inspect(db.connection()).get_foreign_keys(table)
                    if fk["referred_table"] == "user"]
        assert to_users == ([["entered_by"]] if table == "ballot" else []), table
    columns, rows = dump["ballot"]
    web_rows = [r for r in rows if r[columns.index("channel")] == "web"]
    assert len(web_rows) == VOTERS
    assert all(r[columns.index("entered_by")] is None for r in web_rows)

    # 2. Nothing outside the ballot tables holds a web ballot's id, voter key or receipt
    # hash: no join leads from a person to a ballot.
    identifiers = {str(r[columns.index(c)]) for r in web_rows
                   for c in ("id", "voter_key", "receipt_hash") if r[columns.index(c)] is not None}
    for table, (_, table_rows) in dump.items():
        if table in BALLOT_TABLES:
            continue
        leaked = {str(value) for row in table_rows for value in row} & identifiers
        assert not leaked, f"{table} holds ballot identifiers"

    # 3. No ordering of the ballot tables lines voters up with their ballots, against the
    # orders an attacker may know of voters: by id (the user table's order, their
    # sign-up), by phone, by name, and the order they voted in.
    by_id = sorted(web_ids)
    known = {"user id": by_id, "phone": sorted(web_ids, key=login.get),
             "name": sorted(web_ids, key=name.get), "voting order": cast_order}
    postgres = db.connection().dialect.name == "postgresql"
    for table in BALLOT_TABLES:
        table_columns, table_rows = dump[table]
        if table == "ballot":
            table_rows = [r for r in table_rows if r[table_columns.index("channel")] == "web"]
        else:
            web_ballots = set(true_ballot.values())
            at = table_columns.index("ballot_id")
            table_rows = [r for r in table_rows if r[at] in web_ballots]
        for how, ordered, total in _orderings(table_columns, table_rows):
            sequence = _ballot_sequence(table_columns, ordered)
            assert len(sequence) == VOTERS
            for what, people in known.items():
                if postgres and not total and what == "voting order":
                    continue  # PostgreSQL keeps rows in the order of voting (see the README)
                aligned = sum(ballot == true_ballot[uid] for ballot, uid in zip(sequence, people, strict=True))
                assert aligned <= MOST_ALIGNED_BY_CHANCE, f"{table} by {how} lines up with voters by {what}"

    # 4. The choices themselves are all there, for the count and the export.
    stored = sorted(str(sorted(b)) for b in services.counted_ballots(db, round_id))
    assert stored == sorted([str(sorted((i, p, None) for i, p in c.items())) for c in choices.values()]
                            + [str([(world.ideas[0].id, 30, None)])])


def test_ballot_times_are_days_and_ids_are_random(db, vote):
    columns, rows = _dump(db)["ballot"]
    for row in rows:
        for name in ("created_at", "updated_at"):
            stored = db.exec(select(getattr(Ballot, name)).where(Ballot.id == row[columns.index("id")])).one()
            assert isinstance(stored, datetime) and to_local(stored).time() == time(0, 0), name
    ids = sorted(r[columns.index("id")] for r in rows)
    assert ids[0] > 2**40  # not 1, 2, 3…: random 63-bit numbers
    assert max(b - a for a, b in zip(ids, ids[1:], strict=False)) > 2**40


def test_casting_writes_nothing_but_the_ballot(db, world, vote):
    """No 'has voted' row, audit entry or notification is written with a ballot: whether
    someone voted is found by computing their key. Besides the ballot, only the round's
    ``ballots_version`` moves (raised by the database, voting_0013: what the turnout is
    cached under), a number that says no more than the count of ballots."""
    dumped = _dump(db)
    before = {t: sorted(map(repr, rows)) for t, (_, rows) in dumped.items()}
    columns, settings_before = dumped["vote_settings"]
    user = world.people["voter2"]
    services.cast(db, world.actor("voter2"), user, world.load(),
                  RawBallot(points=[(str(world.ideas[3].id), "5")]), world.now)
    db.flush()
    dumped = _dump(db)
    after = {t: sorted(map(repr, rows)) for t, (_, rows) in dumped.items()}
    changed = {t for t in after if after[t] != before.get(t)}
    assert changed == {"ballot", "ballot_choice", "vote_settings"}
    version = columns.index("ballots_version")

    def without_version(rows):
        return sorted(repr([v for i, v in enumerate(row) if i != version]) for row in rows)

    settings_after = dumped["vote_settings"][1]
    assert without_version(settings_after) == without_version(settings_before)
    raised = {row[columns.index("round_id")]: row[version] for row in settings_after}
    for row in settings_before:
        rid = row[columns.index("round_id")]
        assert raised[rid] >= row[version]
        assert (raised[rid] > row[version]) == (rid == world.round.id)


def test_with_the_key_each_voter_finds_and_changes_their_ballot(db, world, vote):
    voters, _, receipts, choices = vote
    vr = world.load()
    for user in voters[:3]:
        key = secrecy.user_key(vr.id, user.id)
        mine = services.ballot_of(db, vr.id, key)
        assert {c.idea_id: c.points for c in mine.choices} == choices[user.id]
        assert services.own_web_ballot(mine.ballot, user.id)
        assert not services.own_web_ballot(mine.ballot, voters[-1].id)
        assert services.check_receipt(db, receipts[user.id]).found
        changed = services.cast(db, actor(db, user), user, vr,
                                RawBallot(points=[(str(world.ideas[2].id), "7")]), world.now)
        assert changed.changed and changed.ballot_id == mine.ballot.id
        assert [(c.idea_id, c.points) for c in services.ballot_of(db, vr.id, key).choices] == [
            (world.ideas[2].id, 7)]
        assert not services.check_receipt(db, receipts[user.id]).found  # the old code is void
        assert services.check_receipt(db, changed.receipt).status == "counted"


def test_keys_differ_by_round_and_by_key(settings):
    """A voter's keys in two rounds are unrelated, and another ballot key gives other keys."""
    key = settings.ballot_secret
    assert rules.voter_key(key, 1, "user", 5) != rules.voter_key(key, 2, "user", 5)
    assert rules.voter_key(key, 1, "user", 5) != rules.voter_key(key, 1, "paper", 5)
    assert rules.voter_key(b"another key", 1, "user", 5) != rules.voter_key(key, 1, "user", 5)
    assert len(rules.voter_key(key, 1, "user", 5)) == 40
    assert key != settings.secret_key.encode()  # derived, not the secret key itself
    configured = type(settings)(database_url="unused", secret_key=settings.secret_key, ballot_key="own key")
    assert configured.ballot_secret == b"own key"


def test_exports_are_shuffled_and_name_nobody(db, world, vote):
    voters = vote[0]
    close_round(db, world.round)
    services.publish(db, world.actor("moderator"), world.load(), world.now)
    vr = world.load()
    stored = [sorted(b) for b in services.counted_ballots(db, vr.id)]
    def exported():
        return [sorted((int(i), p) for i, p in zip(v.vote, v.points, strict=True))
                for v in services.export_election(db, vr).votes]

    as_stored = [sorted((i, p) for i, p, _ in b) for b in stored]
    first = exported()
    assert sorted(first) == sorted(as_stored) and first != as_stored and first != sorted(as_stored)
    assert exported() == first  # built once, at publication: every download the same file
    # Each build shuffles anew: the file of a round whose file went missing is built again.
    orders = {str(first)}
    for _ in range(3):
        services.export_file(db, vr, "pb").path.unlink()
        orders.add(str(exported()))
    assert len(orders) > 1
    text_ = services.export_pb(db, vr) + services.export_csv(db, vr)
    for user in voters:
        assert user.login not in text_ and user.display_name not in text_
    for key in db.exec(select(Ballot.voter_key)).all():
        assert key not in text_
