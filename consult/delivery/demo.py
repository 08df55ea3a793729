"""Demo delivery: the projects after the votes, and past years' projects in the register.

The confirmed earlier vote of 恒丰 (voting's demo) makes its projects here: one in
progress with milestones and photos, one accepted by two people and rated. The 2019
"三微" vote of the demo is still open (so residents can try voting), so the delivered
2019 projects of the field report are entered as projects decided then, outside this
platform: 恒丰's "i 爱在恒丰，点亮绿角" lighting (its yearly check overdue), 郑家巷's
"小景观，大世界" planting (a failed check with its repair open), a 共筹 charging shed in
东王 with pledges from a household, a social organisation and a unit, and seating in 太和,
accepted and rated on paper cards. Everything goes through the services, as staff would.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.models import RoleAssignment
from consult.config import Settings
from consult.delivery import rules
from consult.delivery.models import Project
from consult.delivery.services import money, projects, register, works
from consult.voting import VoteResult

DAY = timedelta(days=1)


def _photo(rng: random.Random, colour) -> bytes:
    image = Image.new("RGB", (640, 480), (210, 225, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 320, 640, 480), fill=colour)
    for _ in range(4):
        x = rng.randint(0, 560)
        draw.rectangle((x, rng.randint(120, 240), x + rng.randint(40, 90), 320),
                       fill=tuple(max(0, c - 50) for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _project(db, admin, place, now, **fields) -> Project:
    data = projects.ProjectInput(**{k: v for k, v in fields.items() if k != "year"})
    return projects.create(db, admin, place_id=place.id, year=fields.get("year", 2019), data=data, now=now)


def _accept(db, staff, rep, project, at, media_dir, rng) -> None:
    works.sign_acceptance(db, staff, project.id, note="现场验收，资料齐全", record=_photo(rng, (240, 240, 230)),
                          media_dir=media_dir, now=at)
    works.sign_acceptance(db, rep, project.id, note="居民代表同意验收", record=None, media_dir=media_dir, now=at)


def _check(project, item_results: dict, **repair) -> dict:
    items = {}
    for key, _label in rules.CHECKLISTS[project.kind]:
        result = item_results.get(key, "pass")
        items[key] = register.ItemInput(result=result, **(repair if result == "fail" else {}))
    return items


def load(db: Session, settings: Settings, places: dict, users: dict) -> None:
    rng = random.Random(2019)
    now = clock.utcnow()
    media = settings.media_dir
    admin = communities.actor_for(db, users["13800000001"])
    hengfeng_staff = communities.actor_for(db, users["13800000002"])
    zjx_staff = communities.actor_for(db, users["13800000003"])
    resident = communities.actor_for(db, users["13800000007"])
    zjx_resident = communities.actor_for(db, users["13800000008"])

    # the confirmed vote outcomes' projects (voting's demo confirmed 恒丰's earlier vote)
    # (made when the outcome was confirmed, if this process had delivery loaded; else now)
    rounds = []
    for round_id, selected, at in db.exec(select(VoteResult.round_id, VoteResult.selected, VoteResult.finalized_at)
                                          .where(VoteResult.finalized_at.is_not(None))).all():
        projects.from_outcome(db, None, round_id, list(selected), at)
        rounds.append(round_id)
    made = list(db.exec(select(Project).where(Project.round_id.in_(rounds)).order_by(Project.id)).all()) \
        if rounds else []
    if made:
        first = made[0]
        projects.move(db, hengfeng_staff, first.id, "start", now - 50 * DAY)
        money.add_line(db, hengfeng_staff, first.id, name="施工", required=True, now=now - 50 * DAY)
        for title, days, phase, colour in (("开工前现场", 48, "before", (150, 150, 140)),
                                           ("施工中：铺设与安装", 20, "during", (120, 160, 110))):
            works.add_milestone(db, hengfeng_staff, first.id, title=title, happened_on=(now - days * DAY).date(),
                                body="居委会与施工方现场确认进度。", phase=phase,
                                photos=[_photo(rng, colour), _photo(rng, colour)], media_dir=media, now=now - days * DAY)
    if len(made) > 1:
        second = made[1]
        projects.move(db, hengfeng_staff, second.id, "start", now - 90 * DAY)
        works.add_milestone(db, hengfeng_staff, second.id, title="完工", happened_on=(now - 45 * DAY).date(),
                            body="完工，待验收。", phase="after", photos=[_photo(rng, (110, 170, 120))],
                            media_dir=media, now=now - 45 * DAY)
        _accept(db, hengfeng_staff, resident, second, now - 40 * DAY, media, rng)
        works.rate(db, resident, second.id, stars="5", comment="很方便，老人们都喜欢。", channel="app", now=now - 5 * DAY)
        for n, stars in enumerate((4, 5, 3, 4), start=1):
            works.enter_paper_rating(db, hengfeng_staff, second.id, card=f"HF-{n:03d}", stars=str(stars),
                                     comment="", now=now - 4 * DAY)

    # 2019: 恒丰's lighting, in the register, its yearly check overdue
    lights = _project(db, admin, places["恒丰"], now - 1500 * DAY, title="i 爱在恒丰，点亮绿角", category="shishi",
                      kind="lighting", location="恒丰花园中心绿地", budget="86000", delivery_party="jiedao",
                      upkeep_party="wuye", upkeep_unit="", contact_name="李娟")
    projects.move(db, admin, lights.id, "start", now - 1490 * DAY)
    _accept(db, hengfeng_staff, resident, lights, now - 1400 * DAY, media, rng)
    projects.move(db, hengfeng_staff, lights.id, "put_in_use", now - 1399 * DAY)
    register.record_check(db, hengfeng_staff, lights.id, checked_on=(now - 380 * DAY).date(),
                          items=_check(lights, {}), media_dir=media, now=now - 380 * DAY)

    # 2019: 郑家巷's planting, a failed check with its repair open
    garden = _project(db, admin, places["郑家巷"], now - 1500 * DAY, title="小景观，大世界", category="zizhi",
                      kind="planting", location="郑家巷弄口", budget="42000.50", delivery_party="juweihui",
                      upkeep_party="wuye", contact_name="张伟")
    projects.move(db, admin, garden.id, "start", now - 1490 * DAY)
    _accept(db, zjx_staff, zjx_resident, garden, now - 1380 * DAY, media, rng)
    projects.move(db, zjx_staff, garden.id, "put_in_use", now - 1379 * DAY)
    register.record_check(db, zjx_staff, garden.id, checked_on=(now - 10 * DAY).date(),
                          items=_check(garden, {"trees": "fail"}, note="香樟枯枝悬挂", repair_party="wuye",
                                       repair_due=(now + 20 * DAY).date()),
                          media_dir=media, now=now - 10 * DAY)

    # 2019 太和: seating, accepted and rated on paper cards
    seats = _project(db, admin, places["太和"], now - 1500 * DAY, title="弄堂休憩座椅", category="weixiu",
                     kind="seating", location="太和坊主弄", budget="18000", delivery_party="juweihui",
                     upkeep_party="juweihui")
    projects.move(db, admin, seats.id, "start", now - 1480 * DAY)
    _accept(db, admin, _resident_of(db, places["太和"])[1], seats, now - 400 * DAY, media, rng)
    projects.move(db, admin, seats.id, "put_in_use", now - 399 * DAY)
    register.record_check(db, admin, seats.id, checked_on=(now - 30 * DAY).date(), items=_check(seats, {}),
                          media_dir=media, now=now - 30 * DAY)
    for n, stars in enumerate((5, 4, 4, 5, 3, 5), start=1):
        works.enter_paper_rating(db, admin, seats.id, card=f"TH-{n:03d}", stars=str(stars), comment="",
                                 now=now - 200 * DAY)

    # this year: a 共筹 charging shed in 东王, with pledges
    shed = _project(db, admin, places["东王"], now - 60 * DAY, year=now.year, title="电动自行车充电棚（共筹）",
                    category="gongchou", kind="charging", location="东王小区3号楼旁", budget="60000",
                    delivery_party="unit", delivery_unit="上海某电气安装公司", upkeep_party="wuye",
                    contact_name="东王居委会")
    projects.record_meeting(db, admin, shed.id, meeting_on=(now - 55 * DAY).date(), record_key=None,
                            public_appeal=False, appeal_partner="", now=now - 55 * DAY)
    line = money.add_line(db, admin, shed.id, name="充电桩与棚架", required=True, now=now - 54 * DAY)
    money.add_line(db, admin, shed.id, name="照明与监控（可选）", required=False, now=now - 54 * DAY)
    money.add_entry(db, admin, shed.id, line_id=line.id, kind="planned", source="zizhijin", amount="40000",
                    reason="自治金预算", now=now - 54 * DAY)
    money.add_entry(db, admin, shed.id, line_id=line.id, kind="planned", source="cofunding", amount="20000",
                    reason="共筹目标", now=now - 54 * DAY)
    projects.move(db, admin, shed.id, "start", now - 30 * DAY)
    money.add_entry(db, admin, shed.id, line_id=line.id, kind="committed", source="zizhijin", amount="38500",
                    reason="与安装公司签约", now=now - 29 * DAY)
    household = _resident_of(db, places["东王"])
    org = money.pledge(db, admin, users["13800000001"], shed.id, pledger_kind="organisation",
                       pledger_name="石门二路社区公益服务社", kind="money", unit="", quantity="8000", show_name=True,
                       now=now - 40 * DAY, on_behalf=True)
    unit = money.pledge(db, admin, users["13800000001"], shed.id, pledger_kind="unit",
                        pledger_name="辖区某银行网点", kind="equipment", unit="台", quantity="4", show_name=True,
                        now=now - 40 * DAY, on_behalf=True)
    labour = money.pledge(db, admin, users["13800000001"], shed.id, pledger_kind="organisation",
                          pledger_name="东王志愿者服务队", kind="labour", unit="小时", quantity="40", show_name=False,
                          now=now - 40 * DAY, on_behalf=True)
    scan = works.store_photos(works.processed_photos([_photo(rng, (250, 250, 245))], "r", 1), media)[0]
    money.receive_pledge(db, admin, org.id, quantity="5000", receipt="paper", receipt_key=scan, note="首期到账",
                         now=now - 35 * DAY)
    money.confirm_pledge(db, admin, unit.id, now - 38 * DAY)
    money.receive_pledge(db, admin, labour.id, quantity="24", receipt="paper", receipt_key=scan, note="两次义务劳动",
                         now=now - 20 * DAY)
    money.use_pledge(db, admin, labour.id, action="use", quantity="24", note="清理场地", now=now - 20 * DAY)
    money.pledge(db, household[1], household[0], shed.id, pledger_kind="household", pledger_name="",
                     kind="money", unit="", quantity="200", show_name=False, now=now - 39 * DAY)


def _resident_of(db: Session, area):
    """The first verified resident of ``area`` (the consultations demo makes them in every area)."""
    row = db.exec(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                  .where(RoleAssignment.role == "resident", RoleAssignment.place_id == area.id)
                  .order_by(User.id)).first()
    return row, communities.actor_for(db, row)
