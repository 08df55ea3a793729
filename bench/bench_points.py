"""Points club figures: the passbook on a phone, a balance from a long ledger, and queries
that do not grow with it.

    python -m bench.bench_points

``passbook_page_weight``: gzip size of a member's passbook page (the latest 50 entries of
10,000, as the member sees it) plus the CSS and JS it links; target ≤ 102400.

``balance_ms``: milliseconds to compute, in process, the balance of a member with 10,000
entries from the ledger (the sum of the entries, not the cached copy); median of 200
calls on SQLite; target < 5.

``ledger_queries_growth``: SQL statements of the passbook page for a member with 10,000
entries minus for one with 10; target 0.

Every figure is printed, on target or not; a line ``# off target: …`` says which missed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import compressed_weight, report
from tests.statements import count_statements

LONG, SHORT = 10_000, 10
PASSWORD = "bench-password-2026"


def fill(db, club_id: int, member_account: int, issued_account: int, count: int, now) -> None:
    """``count`` awards of 5 points to one member, written in bulk as the services would."""
    from sqlalchemy import insert, select, update

    from consult.points.models import Entry, PointsAccount, Transfer

    db.execute(insert(Transfer), [{"club_id": club_id, "kind": "award", "memo": f"活动 {n}",
                                   "created_at": now - timedelta(hours=count - n)} for n in range(count)])
    ids = db.execute(select(Transfer.id).where(Transfer.club_id == club_id)  # the ones just written
                     .order_by(Transfer.id.desc()).limit(count)).scalars().all()
    rows = []
    for tid in ids:
        rows += [{"transfer_id": tid, "account_id": member_account, "amount": 5},
                 {"transfer_id": tid, "account_id": issued_account, "amount": -5}]
    for start in range(0, len(rows), 20000):
        db.execute(insert(Entry), rows[start:start + 20000])
    db.execute(update(PointsAccount).where(PointsAccount.id == member_account)
               .values(balance=PointsAccount.balance + 5 * count))


def build(url: str, media: Path):
    from consult import clock
    from consult.accounts import services as accounts
    from consult.communities import services as places
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.permissions import Actor
    from consult.points.services import clubs, ledger

    upgrade(url)
    engine = make_engine(url)
    database = Database(engine)
    settings = Settings(database_url=url, secret_key="bench-secret", base_url="http://testserver",
                        allowed_hosts=("testserver", "127.0.0.1"), media_dir=media)
    now = clock.utcnow()
    with database.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="石门二路街道")
        area = places.create_place(db, kind="area", name="东王", parent=root)
        staff = Actor(user_id=None, roles=frozenset({("admin", root.id)}))
        at = clubs.create_club(db, staff, place_id=area.id, name="东王小区积分俱乐部", now=now)
        members = {}
        for size, login in ((LONG, "13912345678"), (SHORT, "13912345679")):
            user = accounts.create_user(db, settings, login=login, display_name="钱桂英", password=PASSWORD)
            places.grant_role(db, user=user, role="resident", place=area)
            member = clubs.join(db, places.actor_for(db, user), user, at, now=now)
            fill(db, at.club.id, ledger.member_account(db, member.id).id,
                 ledger.club_account(db, at.club.id, "issued").id, size, now)
            members[size] = (member.id, login)
        db.commit()
    return engine, database, settings, members


def main() -> None:
    from starlette.testclient import TestClient

    from consult.points.services import ledger
    from consult.web.app import create_app
    from tests.factories import sign_in

    off = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = f"sqlite:///{directory / 'bench.db'}"
        engine, database, settings, members = build(url, directory / "media")
        with database.session() as db:
            member_id = members[LONG][0]
            assert ledger.member_balance(db, member_id) == 5 * LONG
            for _ in range(20):
                ledger.member_balance(db, member_id)
            times = []
            for _ in range(200):
                start = time.perf_counter()
                ledger.member_balance(db, member_id)
                times.append((time.perf_counter() - start) * 1000)
        balance_ms = statistics.median(times)
        counts = {}
        app = create_app(settings, database)
        for size in (SHORT, LONG):
            member_id, login = members[size]
            with TestClient(app, base_url="http://testserver") as client:
                sign_in(client, login, PASSWORD)
                path = f"/points/members/{member_id}"
                page = client.get(path)
                assert page.status_code == 200 and page.context["balance"] == 5 * size
                if size == LONG:
                    weight = compressed_weight(client, path)
                with count_statements(engine) as statements:
                    assert client.get(path).status_code == 200
                counts[size] = len(statements)
        engine.dispose()
    report("passbook_page_weight", weight, "bytes")
    if weight > 102400:
        off.append("passbook_page_weight")
    report("balance_ms", balance_ms, "ms")
    if balance_ms >= 5:
        off.append("balance_ms")
    report(f"ledger_queries_{SHORT}", counts[SHORT], "statements")
    report(f"ledger_queries_{LONG}", counts[LONG], "statements")
    report("ledger_queries_growth", counts[LONG] - counts[SHORT], "statements")
    if counts[LONG] != counts[SHORT]:
        off.append("ledger_queries_growth")
    if off:
        print("# off target: " + ", ".join(off), flush=True)


if __name__ == "__main__":
    main()
