"""Slow phones and crashes on a real server (four workers), SQLite and PostgreSQL (issue 12).

- **A stalled upload does not stop voting.** A phone starts a photo upload to the JSON
  API (headers and the first part of its body) and then sends nothing more. While it
  hangs, 200 residents cast their ballots. Every ballot is acknowledged, and all of
  them before the stalled upload was answered at all: voting never waited on it (before,
  the upload held SQLite's write lock while its body trickled in, and 200 ballots took a
  minute, some answered 500). The upload is then cut off by the server (408).
- **SIGKILL loses nothing acknowledged.** Ballots flow from 16 clients while one worker
  is killed with SIGKILL, and later while the whole server (supervisor and workers) is.
  Requests cut off by a kill were not acknowledged and are sent again afterwards. After
  each kill the database holds every acknowledged ballot exactly once with the choices
  acknowledged, a ballot that was not acknowledged either not at all or whole (its
  choices as sent), no choice without its ballot, and on SQLite ``PRAGMA
  integrity_check`` is ok. Once every voter is through, a recount matches the result.

Bounded in time (generous timeouts, no timing asserts) and marked ``slow``.
"""

from __future__ import annotations

import os
import random
import select
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import select as query

from consult import clock
from consult.consultations.models import Round
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.voting import rules, services
from consult.voting.models import Ballot, BallotChoice
from tests.conftest import FAST_ARGON2
from tests.voting.live import SERVER_SECRET, Server, request, request_or_none, scratch_database_url
from tests.voting.test_integrity import COSTS, VOTERS, _arrange

pytestmark = pytest.mark.slow

CLIENTS = 16
#: the stalled upload is cut off after this long without data: far longer than the ballots need
STALL_IDLE_SECONDS = "300"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    with scratch_database_url(request.param, tmp_path, "voting_crashes") as url:
        upgrade(url)
        yield url


def _setup(database_url: str, settings):
    engine = make_engine(database_url)
    database = Database(engine)
    arranged = type(settings)(**{**settings.__dict__, "argon2": FAST_ARGON2})
    round_id, idea_ids, _, tokens = _arrange(database, arranged)
    rng = random.Random(12)
    within = [c for c in (rng.sample(idea_ids, rng.randint(0, 3)) for _ in range(3 * VOTERS))
              if sum(COSTS[idea_ids.index(i)] for i in c) <= 1_000_000]
    choices = {user_id: within[n] for n, user_id in enumerate(tokens)}
    return engine, database, round_id, idea_ids, tokens, choices


def _key_of(round_id: int, user_id: int) -> str:
    """The server's ballot key for a voter (not this process's)."""
    from consult.config import Settings

    secret = Settings(database_url="", secret_key=SERVER_SECRET).ballot_secret
    return rules.voter_key(secret, round_id, "user", user_id)


def _stored(database: Database, round_id: int) -> dict[str, list[int]]:
    """Every stored ballot of the round (by voter key) with its choices; checks on the way
    that no key is stored twice and no choice is without its ballot."""
    with database.session() as db:
        keys = db.exec(query(Ballot.id, Ballot.voter_key).where(Ballot.round_id == round_id)).all()
        assert len({k for _, k in keys}) == len(keys), "a voter has two ballots"
        by_id = {ballot_id: key for ballot_id, key in keys}
        stored: dict[str, list[int]] = {key: [] for key in by_id.values()}
        for ballot_id, idea_id in db.exec(query(BallotChoice.ballot_id, BallotChoice.idea_id)).all():
            assert ballot_id in by_id, "a choice without its ballot"
            stored[by_id[ballot_id]].append(idea_id)
        if database.is_sqlite:
            assert db.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    return {key: sorted(ideas) for key, ideas in stored.items()}


def test_voting_goes_on_while_an_upload_stalls(database_url, settings, tmp_path):
    engine, database, round_id, idea_ids, tokens, choices = _setup(database_url, settings)
    path = f"/api/v1/rounds/{round_id}/ballot"
    env = {"CONSULT_BODY_IDLE_SECONDS": STALL_IDLE_SECONDS}
    with (tmp_path / "server.log").open("wb") as log, Server(database_url, log, env) as server:
        uploader = next(iter(tokens.values()))
        stalled = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        boundary = "stalledphoto"
        head = (f"POST /api/v1/ideas/{idea_ids[0]}/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {uploader}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {2 * 1024 * 1024}\r\n\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; "
                f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        stalled.sendall(head + b"\xff\xd8" + b"\0" * 4000)  # then nothing more

        def cast(user_id: int):
            return user_id, request(server.base, "PUT", path, {"choices": choices[user_id]},
                                    tokens[user_id])

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(cast, tokens))
        readable, _, _ = select.select([stalled], [], [], 0)
        upload_answered_meanwhile = bool(readable)
        failures = [(status, body) for _, (status, body) in answers if status != 200]
        assert not failures, failures[:5]
        assert not upload_answered_meanwhile, "the stalled upload was answered before the ballots"
        stalled.close()
    stored = _stored(database, round_id)
    assert stored == {_key_of(round_id, u): sorted(choices[u]) for u in tokens}
    engine.dispose()


class Load:
    """Ballots sent by ``CLIENTS`` threads, each voter's once; what was acknowledged."""

    def __init__(self, server: Server, round_id: int, tokens: dict, choices: dict):
        self.server, self.round_id, self.tokens, self.choices = server, round_id, tokens, choices
        self.acknowledged: set[int] = set()
        self.refused: list = []
        self.lock = threading.Lock()
        self.counted = threading.Condition(self.lock)

    def cast(self, user_id: int) -> None:
        status, body = request_or_none(self.server.base, "PUT", f"/api/v1/rounds/{self.round_id}/ballot",
                                       {"choices": self.choices[user_id]}, self.tokens[user_id])
        with self.lock:
            if status == 200:
                self.acknowledged.add(user_id)
            elif status is not None and status < 500:
                self.refused.append((status, body))
            self.counted.notify_all()

    def run(self, voters: list[int], kill, after: int) -> None:
        """Send ``voters``' ballots; once ``after`` of them are acknowledged, ``kill()``."""
        start = len(self.acknowledged)
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(self.cast, u) for u in voters]
            with self.lock:
                self.counted.wait_for(lambda: len(self.acknowledged) - start >= after
                                      or all(f.done() for f in futures), timeout=300)
            kill()
            for future in futures:
                future.result()
        assert not self.refused, self.refused[:5]

    def check(self, database: Database) -> None:
        """Every acknowledged ballot stored once as acknowledged; any other stored whole."""
        stored = _stored(database, self.round_id)
        for user_id in self.tokens:
            key = _key_of(self.round_id, user_id)
            if user_id in self.acknowledged:
                assert stored.get(key) == sorted(self.choices[user_id]), user_id
            elif key in stored:  # written before the kill, answer lost: whole, as sent
                assert stored[key] == sorted(self.choices[user_id]), user_id


def test_sigkill_of_a_worker_and_of_the_server_loses_no_acknowledged_ballot(database_url, settings,
                                                                             tmp_path):
    engine, database, round_id, _, tokens, choices = _setup(database_url, settings)
    voters = list(tokens)
    first, second = voters[:VOTERS // 2], voters[VOTERS // 2:]
    with (tmp_path / "server.log").open("wb") as log:
        server = Server(database_url, log)
        with server:
            load = Load(server, round_id, tokens, choices)
            victim = server.workers()[0]
            load.run(first, lambda: os.kill(victim, signal.SIGKILL), after=len(first) // 3)
            load.check(database)
            server.wait_ready()  # the supervisor started a new worker
            assert victim not in server.workers()
            load.run([u for u in first if u not in load.acknowledged], lambda: None, after=0)
            assert load.acknowledged == set(first)
            load.run(second, server.kill_all, after=len(second) // 3)
        load.check(database)
        with Server(database_url, log) as again:
            load.server = again
            load.run([u for u in voters if u not in load.acknowledged], lambda: None, after=0)
    assert load.acknowledged == set(voters)
    load.check(database)
    with database.session(write=True) as db:  # the vote ends; its result recounts
        assert db.exec(query(func.count()).select_from(Ballot)
                       .where(Ballot.round_id == round_id)).one() == VOTERS
        db.get(Round, round_id).closes_at = clock.utcnow() - timedelta(seconds=1)
        db.commit()
        vr = services.load_round(db, round_id, clock.utcnow())
        result = services.publish(db, None, vr, clock.utcnow())
        assert result.ballots == VOTERS and services.recount(db, vr, result).matches
        db.commit()
    engine.dispose()
