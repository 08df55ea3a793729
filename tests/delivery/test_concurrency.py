"""Two staff recording receipts of one pledge at the same moment never receive more than
was pledged, and the pledge's figures equal the sums of its entries; on SQLite and on
PostgreSQL, each with its own committed transactions (marked ``slow``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.communities import services as places
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.delivery.models import Pledge, PledgeEntry
from consult.delivery.services import money, projects
from consult.errors import FieldErrors
from tests import factories
from tests.delivery.builders import NOW
from tests.voting.live import scratch_database_url

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    with scratch_database_url(request.param, tmp_path, "delivery_race") as found:
        yield found


def test_two_receipts_at_once_never_exceed_the_pledge(url, settings):
    upgrade(url)
    database = Database(make_engine(url))
    with database.session(write=True) as db:
        tree = factories.place_tree(db)
        staff = []
        for name in ("甲", "乙"):
            user = factories.user(db, settings, name=name)
            places.grant_role(db, user=user, role="moderator", place=tree["area_a"])
            staff.append(user.id)
        admin = places.actor_for(db, db.get(type(user), staff[0]))
        p = projects.create(db, admin, place_id=tree["estate_a"].id, year=2026, now=NOW,
                            data=projects.ProjectInput(title="充电棚", category="zizhi", kind="charging",
                                                       budget="1000", delivery_party="juweihui", upkeep_party="wuye"))
        projects.move(db, admin, p.id, "start", NOW)
        pledges = [money.pledge(db, admin, db.get(type(user), staff[0]), p.id, pledger_kind="unit",
                                pledger_name=f"单位{n}", kind="goods", unit="件", quantity="100", show_name=False,
                                now=NOW, on_behalf=True).id for n in range(8)]
        db.commit()

    with database.session() as db:
        from consult.accounts.models import User

        actors = {user_id: places.actor_for(db, db.get(User, user_id)) for user_id in staff}
    barrier = threading.Barrier(2, timeout=30)

    def receive(user_id, pledge_id):
        actor = actors[user_id]
        barrier.wait()  # both begin their transactions together (SQLite then queues the second)
        with database.session(write=True) as db:
            try:
                money.receive_pledge(db, actor, pledge_id, quantity="60", receipt="paper", receipt_key="k" * 64,
                                     note="", now=NOW)
                db.commit()
                return True
            except FieldErrors:
                db.rollback()
                return False

    with ThreadPoolExecutor(2) as pool:
        for pledge_id in pledges:
            outcomes = list(pool.map(receive, staff, [pledge_id, pledge_id]))
            assert sorted(outcomes) == [False, True]
    with database.session() as db:
        for pledge_id in pledges:
            item = db.get(Pledge, pledge_id)
            entries = db.exec(select(func.sum(PledgeEntry.quantity)).where(
                PledgeEntry.pledge_id == pledge_id, PledgeEntry.action == "receive")).one()
            assert item.received == entries == 60
    database.engine.dispose()
