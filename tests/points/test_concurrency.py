"""Redemptions at once, on a real four-worker server and both databases (slow): 200
members ask for the last 50 items together → exactly 50 orders, stock 0, no balance below
zero, the ledger sums to zero; and one member asking twenty times at once for what their
balance pays once gets it once."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.config import Settings
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.permissions import Actor
from consult.points.models import Entry, Order, PointsAccount, Prize
from consult.points.services import clubs, ledger, redemption
from tests.conftest import FAST_ARGON2
from tests.voting.live import Server, request, scratch_database_url

MEMBERS, ITEMS = 200, 50


def _started(server: Server, seconds: float = 180) -> Server:
    """Wait longer than ``Server`` does for its workers (a loaded 2-core machine starts four
    slowly); then entering it finds them up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.proc.poll() is None:
        try:
            urllib.request.urlopen(server.base + "/api/v1/openapi.json", timeout=5).close()
            break
        except OSError:
            time.sleep(0.5)
    return server


def _build(url: str):
    upgrade(url)
    engine = make_engine(url)
    settings = Settings(database_url=url, secret_key="unused", argon2=FAST_ARGON2)
    now = clock.utcnow()
    with Database(engine).session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="石门二路街道")
        area = places.create_place(db, kind="area", name="东王", parent=root)
        admin = Actor(user_id=None, roles=frozenset({("admin", root.id)}))
        at = clubs.create_club(db, admin, place_id=area.id, name="东王小区积分俱乐部", now=now)
        issued = ledger.club_account(db, at.club.id, "issued")
        tokens = []
        for n in range(MEMBERS + 1):
            user = accounts.create_user(db, settings, login=f"139{n:08d}", display_name=f"居民{n}",
                                        password=None)
            places.grant_role(db, user=user, role="resident", place=area)
            member = clubs.join(db, places.actor_for(db, user), user, at, now=now)
            points = 10 if n == MEMBERS else 30
            ledger.post(db, club_id=at.club.id, kind="award", now=now, created_by=None,
                        legs=[(ledger.member_account(db, member.id), points), (issued, -points)])
            tokens.append(accounts.issue_token(db, user, now=now))
        last = redemption.add_prize(db, admin, at, name="大米", price="20", stock=str(ITEMS), now=now)
        plenty = redemption.add_prize(db, admin, at, name="毛巾", price="10", stock="100", now=now)
        day = redemption.add_day(db, admin, at, title="兑换日", opens_at=now + timedelta(days=1),
                                 closes_at=now + timedelta(days=1, hours=4), now=now)
        ids = (day.id, last.id, plenty.id)
        db.commit()
    return engine, tokens, ids


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_last_items_go_once_and_no_balance_goes_negative(kind, tmp_path):
    with scratch_database_url(kind, tmp_path, prefix="points_race") as url:
        engine, tokens, (day_id, last_id, plenty_id) = _build(url)
        path = f"/api/v1/points/days/{day_id}/orders"
        with open(tmp_path / "server.log", "w") as log, _started(Server(url, log)) as server:
            with ThreadPoolExecutor(max_workers=40) as pool:
                crowd = list(pool.map(lambda token: request(server.base, "POST", path, {"prize_id": last_id}, token),
                                      tokens[:MEMBERS]))
                poor = tokens[MEMBERS]  # 10 points: one towel, asked for twenty times at once
                twice = list(pool.map(lambda _: request(server.base, "POST", path, {"prize_id": plenty_id}, poor),
                                      range(20)))
        statuses = [status for status, _ in crowd]
        assert statuses.count(201) == ITEMS, (sorted(set(statuses)), (tmp_path / "server.log").read_text()[-2000:])
        assert set(statuses) == {201, 409}
        assert {body["error"]["code"] for status, body in crowd if status == 409} <= {"out_of_stock", "cannot_order"}
        assert [status for status, _ in twice].count(201) == 1 and {s for s, _ in twice} == {201, 409}
        with Database(engine).session() as db:
            assert db.get(Prize, last_id).stock == 0
            assert db.exec(select(func.count()).select_from(Order).where(Order.prize_id == last_id)).one() == ITEMS
            assert db.exec(select(func.min(PointsAccount.balance))).one() >= 0
            assert db.exec(select(func.sum(Entry.amount))).one() == 0
            assert ledger.check(db) == []
        engine.dispose()
