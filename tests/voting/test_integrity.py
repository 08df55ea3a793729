"""Nothing lost, nothing doubled: a real server under concurrent ballots, on SQLite and PostgreSQL.

A real uvicorn process (four workers, so requests really overlap in the database) gets
200 distinct voters' ballots and, at the same moment, 50 simultaneous submissions from
one voter, over the JSON API. Afterwards: every acknowledged ballot is stored exactly
once with what was acknowledged, the one voter has one ballot (the last one
acknowledged wins), and the published tally equals an independent recount. A ballot
sent after the close is refused.

PostgreSQL runs when ``CONSULT_TEST_DATABASE_URL`` is set: the test creates a fresh
database next to that one and drops it afterwards.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, insert
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services as places
from consult.communities.models import RoleAssignment
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.voting import pabulib, rules, services
from consult.voting.models import Ballot, BallotChoice
from tests.conftest import FAST_ARGON2
from tests.factories import PASSWORD
from tests.voting.conftest import add_vote_round
from tests.voting.live import SERVER_SECRET, Server, request, scratch_database_url

pytestmark = pytest.mark.slow

VOTERS = 200
SIMULTANEOUS = 50
COSTS = (400_000, 300_000, 250_000, 150_000, 100_000)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    with scratch_database_url(request.param, tmp_path) as url:
        yield url


def _arrange(database: Database, settings):
    """Places, 201 verified residents with API tokens, and an open vote round."""
    with database.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="测试街道")
        area = places.create_place(db, kind="area", name="恒丰", parent=root)
        the_one = accounts.create_user(db, settings, login="13700000000", phone="13700000000",
                                       display_name="同一个人", password=PASSWORD)
        now = clock.utcnow()
        db.execute(insert(User), [{"login": f"1370000{n:04d}", "phone": f"1370000{n:04d}",
                                   "display_name": f"居民{n}", "password_hash": None,
                                   "session_version": 1, "elder_mode": False, "created_at": now}
                                  for n in range(1, VOTERS + 1)])
        voters = list(db.exec(select(User).where(User.id != the_one.id).order_by(User.id)).all())
        db.execute(insert(RoleAssignment), [
            {"user_id": u.id, "role": "resident", "place_id": area.id, "created_at": now}
            for u in [*voters, the_one]])
        vote = add_vote_round(db, scope=area, author=the_one, opens_at=now - timedelta(days=1),
                              closes_at=now + timedelta(days=1), costs=COSTS,
                              titles=[f"建议{i}" for i in range(len(COSTS))])
        tokens = {u.id: accounts.issue_token(db, u) for u in voters}
        db.commit()
        return vote.round.id, [i.id for i in vote.ideas], the_one.id, tokens


def test_concurrent_ballots_are_all_stored_once(database_url, settings, tmp_path):
    upgrade(database_url)
    engine = make_engine(database_url)
    database = Database(engine)
    arranged_settings = type(settings)(**{**settings.__dict__, "argon2": FAST_ARGON2})
    round_id, idea_ids, one_id, tokens = _arrange(database, arranged_settings)
    rng = random.Random(4)
    budget_ok = [c for c in ([rng.sample(idea_ids, rng.randint(0, 3)) for _ in range(400)])
                 if sum(COSTS[idea_ids.index(i)] for i in c) <= 1_000_000]
    sent = {user_id: budget_ok[n] for n, user_id in enumerate(tokens)}
    one_sent = [budget_ok[VOTERS + n] for n in range(SIMULTANEOUS)]
    path = f"/api/v1/rounds/{round_id}/ballot"
    with (tmp_path / "server.log").open("wb") as log, Server(database_url, log) as server:
        status, body = request(server.base, "POST", "/api/v1/auth/token",
                               {"login": "13700000000", "password": PASSWORD})
        assert status == 201, body
        one_token = body["token"]
        barrier = threading.Barrier(SIMULTANEOUS)

        def one_voter(n: int):
            barrier.wait()
            return n, request(server.base, "PUT", path, {"choices": one_sent[n]}, one_token)

        def distinct(user_id: int):
            return user_id, request(server.base, "PUT", path, {"choices": sent[user_id]}, tokens[user_id])

        with ThreadPoolExecutor(max_workers=SIMULTANEOUS + 16) as pool:
            same = [pool.submit(one_voter, n) for n in range(SIMULTANEOUS)]
            many = [pool.submit(distinct, user_id) for user_id in tokens]
            same_done = [f.result() for f in same]
            many_done = [f.result() for f in many]

        acknowledged = {user_id: body for user_id, (status, body) in many_done if status == 200}
        failures = [(status, body) for _, (status, body) in [*many_done, *same_done] if status != 200]
        assert not failures, failures[:5]
        one_receipts = {rules.receipt_hash(body["receipt"]): one_sent[n] for n, (_, body) in same_done}
        # one receipt per distinct ballot sent: the same choices again keep the receipt
        assert len(acknowledged) == VOTERS and len(one_receipts) == len(
            {frozenset(choices) for choices in one_sent})

        with database.session() as db:
            rows = db.exec(select(Ballot).where(Ballot.round_id == round_id)).all()
            assert len(rows) == VOTERS + 1  # stored ballots = acknowledged voters
            keys = [b.voter_key for b in rows]
            assert len(set(keys)) == len(keys)  # no duplicates
            choices: dict[int, list[int]] = {}
            for ballot_id, idea_id in db.exec(select(BallotChoice.ballot_id, BallotChoice.idea_id)).all():
                choices.setdefault(ballot_id, []).append(idea_id)
            by_key = {b.voter_key: b for b in rows}
            server_key = type(settings)(database_url="", secret_key=SERVER_SECRET).ballot_secret

            def key_of(user_id: int) -> str:  # the server's ballot key, not this process's
                return rules.voter_key(server_key, round_id, "user", user_id)

            for user_id, body in acknowledged.items():
                ballot = by_key[key_of(user_id)]
                assert sorted(choices.get(ballot.id, [])) == sorted(sent[user_id])
                assert ballot.receipt_hash == rules.receipt_hash(body["receipt"])
            one = by_key[key_of(one_id)]
            assert one.receipt_hash in one_receipts  # the last acknowledged submission won
            assert sorted(choices.get(one.id, [])) == sorted(one_receipts[one.receipt_hash])
            assert db.exec(select(func.count()).select_from(BallotChoice)).one() == sum(
                len(v) for v in choices.values())

        with database.session(write=True) as db:  # close the vote
            from consult.consultations.models import Round

            item = db.get(Round, round_id)
            item.closes_at = clock.utcnow() - timedelta(seconds=1)
            db.add(item)
            db.commit()
        late, body = request(server.base, "PUT", path, {"choices": [idea_ids[0]]}, tokens[next(iter(tokens))])
        assert late == 409 and body["error"]["code"] == "round_not_open"

    with database.session(write=True) as db:
        vr = services.load_round(db, round_id, clock.utcnow())
        result = services.publish(db, None, vr, clock.utcnow())
        assert result.ballots == VOTERS + 1
        assert services.recount(db, vr, result).matches
        expected_scores = {str(i): 0 for i in idea_ids}
        for ideas in [*sent.values(), one_receipts[one.receipt_hash]]:
            for i in ideas:
                expected_scores[str(i)] += 1
        assert result.scores == expected_scores
        independent = pabulib.tally_election(pabulib.parse(services.export_pb(db, vr)))
        assert [int(x) for x in independent.selected] == result.selected
        db.commit()
    engine.dispose()
