"""Double clicks: 50 simultaneous identical submissions of one ballot leave one ballot and
one receipt, every submission shows the voter that receipt, and it checks (issue 12 item 5).

Before, every submission after the first changed the stored ballot to itself with a new
receipt: all 50 were answered "recorded" or "changed", and 49 of the 50 receipts shown
then checked as "not found". Now the receipt follows from the ballot and what it says
(``rules.receipt_code``), so an identical submission finds nothing to change.

In-process: 50 threads, each with its own session and transaction, call ``services.cast``
(as the ballot route does) at the same moment. Over a real server (``slow``): 50
simultaneous confirm POSTs of the ballot form from one browser session, each followed to
its receipt page, and 50 simultaneous PUTs of the JSON API with one token. Both on SQLite
and, with ``CONSULT_TEST_DATABASE_URL``, on a PostgreSQL database of their own.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.voting import rules, services
from consult.voting.models import Ballot, BallotChoice
from consult.voting.rules import RawBallot
from tests.conftest import FAST_ARGON2, csrf_from
from tests.factories import PASSWORD
from tests.voting.conftest import add_vote_round
from tests.voting.live import Browser, Server, request, scratch_database_url

SIMULTANEOUS = 50
RECORDED = "谢谢！您的投票已记录。"
REPEATED = "您已用这些选择投过票：投票没有改变，回执码也不变。"
CHANGED = "您的投票已修改。"
CODE = re.compile(r'<p class="vote-code"><strong>((?:<span class="code-group">[A-Z2-9]{4}</span>-?(?:<wbr>)?)+)</strong></p>')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    with scratch_database_url(request.param, tmp_path, "voting_double_click") as url:
        upgrade(url)
        yield url


def _arrange(database: Database, settings, voters: int):
    """Verified residents of one area (with a password) and a vote round open now."""
    fast = type(settings)(**{**settings.__dict__, "argon2": FAST_ARGON2})
    with database.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="测试街道")
        area = places.create_place(db, kind="area", name="恒丰", parent=root)
        people = []
        for n in range(voters):
            user = accounts.create_user(db, fast, login=f"1370000{n:04d}", phone=f"1370000{n:04d}",
                                        display_name=f"居民{n}", password=PASSWORD)
            places.grant_role(db, user=user, role="resident", place=area)
            people.append(user)
        now = clock.utcnow()
        vote = add_vote_round(db, scope=area, author=people[0], opens_at=now - timedelta(days=1),
                              closes_at=now + timedelta(days=1))
        actors = [places.actor_for(db, user) for user in people]
        db.commit()
        return vote.round.id, [i.id for i in vote.ideas], people, actors


def _stored(database: Database, round_id: int) -> list[tuple[Ballot, list[int]]]:
    with database.session() as db:
        ballots = db.exec(select(Ballot).where(Ballot.round_id == round_id)).all()
        return [(b, sorted(db.exec(select(BallotChoice.idea_id)
                                   .where(BallotChoice.ballot_id == b.id)).all())) for b in ballots]


def test_50_identical_casts_at_once_store_one_ballot_and_one_receipt(database_url, settings):
    engine = make_engine(database_url, pool_size=SIMULTANEOUS, max_overflow=0)
    database = Database(engine)
    round_id, idea_ids, (user,), (actor,) = _arrange(database, settings, 1)
    chosen = [idea_ids[0], idea_ids[3]]
    start = threading.Barrier(SIMULTANEOUS)

    def submit(n: int) -> services.Cast:
        start.wait()
        now = clock.utcnow()
        with database.session(write=True) as db:
            vr = services.load_ballot_round(db, round_id, now)
            done = services.cast(db, actor, user, vr, RawBallot(choices=[str(i) for i in chosen]), now)
            db.commit()
            return done

    with ThreadPoolExecutor(max_workers=SIMULTANEOUS) as pool:
        done = list(pool.map(submit, range(SIMULTANEOUS)))
    assert len({d.receipt for d in done}) == 1  # every submission shows the same receipt
    assert sorted((d.changed, d.repeated) for d in done) == [(False, False)] + [(False, True)] * 49
    [(ballot, choices)] = _stored(database, round_id)  # one ballot
    assert choices == sorted(chosen) and ballot.receipt_hash == rules.receipt_hash(done[0].receipt)
    with database.session() as db:
        check = services.check_receipt(db, done[0].receipt)
        assert check.found and check.status == "counted"
        assert db.exec(select(func.count()).select_from(BallotChoice)).one() == 2
    engine.dispose()


@pytest.mark.slow
def test_50_identical_submissions_to_a_real_server_show_one_valid_receipt(database_url, settings,
                                                                          tmp_path):
    engine = make_engine(database_url)
    database = Database(engine)
    round_id, idea_ids, (by_form, by_api), _ = _arrange(database, settings, 2)
    chosen = [idea_ids[0], idea_ids[3]]
    with (tmp_path / "server.log").open("wb") as log, Server(database_url, log) as server:
        # the ballot form, confirmed 50 times at once from one browser session
        browser = Browser(server.base)
        _, _, login = browser.open("GET", "/login")
        status, _, _ = browser.open("POST", "/login", {"csrf_token": csrf_from(login),
                                                       "login": by_form.login, "password": PASSWORD})
        assert status == 303
        _, _, page = browser.open("GET", f"/rounds/{round_id}/vote")
        form = {"csrf_token": csrf_from(page), "idea": chosen}
        clicks = threading.Barrier(SIMULTANEOUS)

        def click(_):
            tab = browser.tab()
            clicks.wait()
            status, headers, _ = tab.open("POST", f"/rounds/{round_id}/vote/confirm", form)
            assert status == 303, status
            return tab.open("GET", headers["Location"])[2]  # the receipt page it leads to

        puts = threading.Barrier(SIMULTANEOUS)
        status, body = request(server.base, "POST", "/api/v1/auth/token",
                               {"login": by_api.login, "password": PASSWORD})
        assert status == 201, body
        token = body["token"]

        def put(_):
            puts.wait()
            return request(server.base, "PUT", f"/api/v1/rounds/{round_id}/ballot",
                           {"choices": chosen}, token)

        with ThreadPoolExecutor(max_workers=SIMULTANEOUS) as pool:
            pages = list(pool.map(click, range(SIMULTANEOUS)))
            answers = list(pool.map(put, range(SIMULTANEOUS)))

        shown = [CODE.search(html) for html in pages]
        assert all(shown), "a receipt page shows no receipt code"
        shown_codes = [re.sub(r"<[^>]+>", "", m.group(1)) for m in shown]
        page_codes = set(shown_codes)
        assert len(page_codes) == 1
        assert [RECORDED in html for html in pages].count(True) == 1
        assert [REPEATED in html for html in pages].count(True) == SIMULTANEOUS - 1
        assert not any(CHANGED in html for html in pages)
        assert all(status == 200 for status, _ in answers), answers[:3]
        api_codes = {body["receipt"] for _, body in answers}
        assert len(api_codes) == 1
        assert sorted((b["changed"], b["repeated"]) for _, b in answers) == (
            [(False, False)] + [(False, True)] * (SIMULTANEOUS - 1))
        for code in shown_codes + [body["receipt"] for _, body in answers]:
            status, check = request(server.base, "POST", "/api/v1/receipts/check", {"code": code})
            assert status == 200 and check["found"] and check["counted"], (code, check)

    stored = _stored(database, round_id)
    assert len(stored) == 2  # one ballot for each voter
    assert {b.receipt_hash for b, _ in stored} == {rules.receipt_hash(c) for c in page_codes | api_codes}
    assert all(choices == sorted(chosen) for _, choices in stored)
    engine.dispose()
