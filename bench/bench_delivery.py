"""Delivery figures: a project page's weight, the overview at scale, the daily reminder.

    python -m bench.bench_delivery

``project_page_weight``: gzip size of a busy project's public page (a resident signed in:
12 milestones with photos, 30 pledges, 60 budget entries, ratings, checks, its timeline)
plus the CSS and JS it links; target ≤ 102400.

``projects_overview_queries_growth``: SQL statements of the projects overview at 1,000
projects minus at 10 (in process, TestClient); target 0.

``checks_due_seconds``: ``checks_due`` (what ``python -m consult checks-due`` runs: the
due and overdue list and the notifications to each area's moderators) over 10,000
registered projects, 2,000 of them due or overdue, and 300 open repairs; median of five
runs, each rolled back; target < 1.

Every figure is printed, on target or not; a line ``# off target: …`` says which missed.
"""

from __future__ import annotations

import io
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import compressed_weight, report
from tests.statements import count_statements

PASSWORD = "bench-password-2026"
SMALL, LARGE, REGISTER = 10, 1000, 10_000


def _photo(rng) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (rng.randint(0, 255), 150, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def _settings(url, media):
    from consult.config import Settings

    return Settings(database_url=url, secret_key="bench-secret", base_url="http://testserver",
                    allowed_hosts=("testserver", "127.0.0.1"), media_dir=media)


def _projects(db, areas, count, now, state="in_use", due_share=0.0, rng=None):
    """``count`` projects inserted in bulk, spread over the areas."""
    from sqlalchemy import insert

    from consult.delivery.models import Project

    rng = rng or random.Random(1)
    rows = []
    for n in range(count):
        area = areas[n % len(areas)]
        due = now.date() + timedelta(days=rng.randint(-60, 25) if rng.random() < due_share else rng.randint(40, 360))
        rows.append({"place_id": area.id, "area_id": area.id, "title": f"项目{n}", "description": "", "category":
                     ("shishi", "zizhi", "gongchou", "weixiu")[n % 4], "kind": "lighting", "location": "", "year": 2019 + n % 7,
                     "budget_fen": 100000 + n, "state": state, "delivery_party": "juweihui", "delivery_unit": "",
                     "upkeep_party": "wuye", "upkeep_unit": "", "contact_name": "", "contact_phone": "",
                     "public_appeal": False, "appeal_partner": "", "check_interval_days": 365,
                     "next_check_due": due, "accepted_on": due - timedelta(days=365),
                     "created_at": now, "updated_at": now})
    for start in range(0, len(rows), 5000):
        db.execute(insert(Project), rows[start:start + 5000])


def build(url: str, media: Path):
    from consult import clock
    from consult.accounts import services as accounts
    from consult.communities import services as places
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.delivery.services import money, projects, register, works

    upgrade(url)
    engine = make_engine(url)
    database = Database(engine)
    settings = _settings(url, media)
    now = clock.utcnow()
    rng = random.Random(2019)
    with database.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="石门二路街道")
        areas = [places.create_place(db, kind="area", name=f"居住区{i}", parent=root) for i in range(11)]
        estate = places.create_place(db, kind="estate", name="御品大厦", parent=areas[0])
        staff_user = accounts.create_user(db, settings, login="staff", display_name="李娟", password=PASSWORD)
        places.grant_role(db, user=staff_user, role="admin", place=root)
        for i, area in enumerate(areas):
            moderator = accounts.create_user(db, settings, login=f"m{i}", display_name=f"主任{i}", password=PASSWORD)
            places.grant_role(db, user=moderator, role="moderator", place=area)
        resident = accounts.create_user(db, settings, login="13912345678", display_name="刘秀英", password=PASSWORD)
        places.grant_role(db, user=resident, role="resident", place=areas[0])
        staff = places.actor_for(db, staff_user)
        p = projects.create(db, staff, place_id=estate.id, year=2026, now=now - timedelta(days=200),
                            data=projects.ProjectInput(title="电动自行车充电棚（共筹）", category="gongchou",
                                                       kind="charging", budget="200000", location="3号楼旁",
                                                       delivery_party="unit", delivery_unit="上海某电气安装公司",
                                                       upkeep_party="wuye", contact_name="东王居委会"))
        projects.record_meeting(db, staff, p.id, meeting_on=(now - timedelta(days=190)).date(), record_key=None,
                                public_appeal=False, appeal_partner="", now=now - timedelta(days=190))
        lines = [money.add_line(db, staff, p.id, name=f"科目{i}", required=i < 3, now=now) for i in range(6)]
        for i in range(60):
            money.add_entry(db, staff, p.id, line_id=lines[i % 6].id, kind=("planned", "committed", "spent")[i % 3],
                            source=("jiedao", "zizhijin", "cofunding")[i % 3], amount="1000.50",
                            reason="按合同付款，附发票", now=now - timedelta(days=150))
        for i in range(30):
            item = money.pledge(db, staff, staff_user, p.id, pledger_kind=("household", "organisation", "unit")[i % 3],
                                pledger_name=f"认筹人{i}", kind=("money", "labour", "goods")[i % 3], unit="",
                                quantity="500", show_name=i % 2 == 0, now=now - timedelta(days=140), on_behalf=True)
            money.receive_pledge(db, staff, item.id, quantity="200", receipt="paper", receipt_key="k" * 64, note="",
                                 now=now - timedelta(days=130))
        projects.move(db, staff, p.id, "start", now - timedelta(days=120))
        for i in range(12):
            works.add_milestone(db, staff, p.id, title=f"第{i + 1}次施工进展", happened_on=(now - timedelta(days=110 - i)).date(),
                                body="施工方与居委会现场确认，进度正常。" * 3, phase="during",
                                photos=[_photo(rng) for _ in range(6 if i < 2 else 1)], media_dir=media,
                                now=now - timedelta(days=110 - i))
        works.sign_acceptance(db, staff, p.id, note="", record=_photo(rng), media_dir=media, now=now - timedelta(days=60))
        works.sign_acceptance(db, places.actor_for(db, resident), p.id, note="", record=None, media_dir=media,
                              now=now - timedelta(days=60))
        for i in range(40):
            works.enter_paper_rating(db, staff, p.id, card=f"C{i}", stars=str(1 + i % 5), comment="好用" if i % 4 else "",
                                     now=now - timedelta(days=20))
        for i in range(3):
            register.record_check(db, staff, p.id, checked_on=(now - timedelta(days=30 - i)).date(), now=now,
                                  items={k: register.ItemInput(result="pass") for k in
                                         ("electrical", "fire", "earthing", "signage", "structure")}, media_dir=media)
        db.commit()
        return engine, database, settings, p.id, areas


def _overview_statements(client, engine) -> int:
    assert client.get("/projects").status_code == 200
    with count_statements(engine) as statements:
        assert client.get("/projects").status_code == 200
    return len(statements)


def main() -> None:
    from sqlalchemy import insert, select
    from starlette.testclient import TestClient

    from consult import clock
    from consult.delivery.models import CheckItem, Project, Repair, SafetyCheck
    from consult.delivery.services import register
    from consult.web.app import create_app
    from tests.factories import sign_in

    off = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = f"sqlite:///{directory / 'bench.db'}"
        engine, database, settings, project_id, areas = build(url, directory / "media")
        now = clock.utcnow()
        with TestClient(create_app(settings, database)) as client:
            sign_in(client, "13912345678", PASSWORD)
            weight = compressed_weight(client, f"/projects/{project_id}")
            with database.session(write=True) as db:
                _projects(db, areas, SMALL - 1, now, state="planned")
                db.commit()
            small = _overview_statements(client, engine)
            with database.session(write=True) as db:
                _projects(db, areas, LARGE - SMALL, now, state="in_progress")
                db.commit()
            large = _overview_statements(client, engine)
        report("project_page_weight", weight, "bytes")
        if weight > 102400:
            off.append("project_page_weight")
        report("projects_overview_queries_10", small, "statements")
        report("projects_overview_queries_1000", large, "statements")
        report("projects_overview_queries_growth", large - small, "statements")
        if large != small:
            off.append("projects_overview_queries_growth")

        with database.session(write=True) as db:  # the register: 10,000 projects in use
            _projects(db, areas, REGISTER, now, due_share=0.2, rng=random.Random(7))
            ids = db.execute(select(Project.id).where(Project.state == "in_use").limit(300)).scalars().all()
            db.execute(insert(SafetyCheck), [{"project_id": i, "checked_on": now.date(), "failed": 1, "at": now}
                                             for i in ids])
            checks = db.execute(select(SafetyCheck.id, SafetyCheck.project_id)).all()
            db.execute(insert(CheckItem), [{"check_id": c, "item": "electrical", "result": "fail", "note": ""}
                                           for c, _ in checks])
            items = db.execute(select(CheckItem.id, SafetyCheck.project_id)
                               .join(SafetyCheck, SafetyCheck.id == CheckItem.check_id)
                               .where(CheckItem.result == "fail")).all()
            db.execute(insert(Repair), [{"project_id": p, "check_item_id": i, "item": "electrical", "party": "wuye",
                                         "unit": "", "due_on": now.date() + timedelta(days=5), "state": "open"}
                                        for i, p in items])
            db.commit()
        times = []
        for _ in range(5):
            with database.session(write=True) as db:
                started = time.perf_counter()
                found, sent = register.checks_due(db, now)
                times.append(time.perf_counter() - started)
                db.rollback()
        assert len(found) > 2000 and sent == 11, (len(found), sent)
        seconds = statistics.median(times)
        report("checks_due_seconds", seconds, "s")
        if seconds >= 1:
            off.append("checks_due_seconds")
        engine.dispose()
    if off:
        print("# off target: " + ", ".join(off), flush=True)

if __name__ == "__main__":
    main()
