"""Demo election: 国际丽都城's first owners' committee (业主委员会) election, open now.

7 seats, 10 candidates. A boycott keeps the area taking part just under the two-thirds
line (the larger holdings stay away) while the headcount is past it, so the gauge says
how many m² are still missing and the door-to-door list (流动票箱) is what staff print
next. Ballots came online (周海燕, 13800000005, has voted) and on paper, keyed twice.
Everything goes through the services, at the times it would have happened.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.models import Place, RoleAssignment
from consult.config import Settings

from . import services

ADMIN = "13800000001"
OWNERS_REP = "13800000005"  # 周海燕, owners' rep and owner of record of 国际丽都城

CANDIDATES = [
    ("周海燕", "业主代表，在小区居住十二年，参与过电梯更换方案的征询。"),
    ("徐志明", "退休会计师，愿意把维修资金的账目每季度公开。"),
    ("顾美华", "3号楼楼组长，熟悉老年业主的需求。"),
    ("沈建平", "工程师，关注消防通道和地下车库的安全。"),
    ("陆文静", "社区志愿者，参与垃圾分类督导两年。"),
    ("钱国强", "个体经营者，希望改进物业服务的考核办法。"),
    ("蒋丽萍", "中学教师，愿意做好业主大会的会议记录和公示。"),
    ("朱永康", "退伍军人，负责过小区巡逻队。"),
    ("许晓燕", "律师，可以协助审查物业服务合同。"),
    ("马卫东", "年轻业主，想推动线上议事和信息公开。"),
]


def _user(db: Session, login: str) -> User:
    return db.exec(select(User).where(User.login == login)).one()


def _moderator_of(db: Session, area_id: int) -> User:
    return db.exec(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == "moderator", RoleAssignment.place_id == area_id)).first()


def _choice(rng: random.Random, ids: list[str], popularity: list[float], seats: int) -> list[str]:
    picked = [c for c, p in zip(ids, popularity, strict=True) if rng.random() < p]
    return sorted(picked[:seats], key=int)


def load(db: Session, settings: Settings, places: dict[str, Place],
         now: datetime | None = None) -> None:
    """Create the demo election; called once by :func:`consult.demo.load` (after owners)."""
    now = now or clock.utcnow()
    rng = random.Random(2018)
    lido = places["国际丽都城"]
    admin = communities.actor_for(db, _user(db, ADMIN))
    staff = communities.actor_for(db, _moderator_of(db, lido.parent_id))
    opens, closes = now - timedelta(days=5), now + timedelta(days=9)
    called = opens - timedelta(days=15)
    election = services.create_election(
        db, staff, lido, title="国际丽都城第一届业主委员会选举",
        description=("经街道指导、首次业主大会筹备组推荐，现选举第一届业主委员会委员 7 名。\n"
                     "按《民法典》第二百七十八条，须由专有部分面积占比三分之二以上且人数占比三分之二以上的业主"
                     "参与表决；候选人须经参与表决专有部分面积过半数且参与表决人数过半数的业主同意方可当选。"
                     "通过的候选人多于 7 名时，先按同意人数、再按同意面积排序。\n"
                     "每张选票最多勾选 7 名候选人。可在线投票，也可投纸质选票或书面委托他人投票。"),
        seats=7, rank="headcount", opens_at=opens, closes_at=closes, paper_double_key=True,
        now=called)
    ids = [str(services.add_candidate(db, staff, election.id, name=name, statement=statement,
                                      now=called + timedelta(days=1)).id)
           for name, statement in CANDIDATES]
    popularity = [0.8, 0.75, 0.7, 0.66, 0.62, 0.58, 0.55, 0.5, 0.45, 0.3]

    rep = _user(db, OWNERS_REP)
    rep_actor = communities.actor_for(db, rep)
    services.cast_web_ballot(db, rep_actor, rep, election.id,
                             candidates=_choice(rng, ids, popularity, 7), now=opens + timedelta(hours=3))
    register = services.election_register(db, election)
    gauge = services.gauge(db, staff, election.id, opens)[2]
    area, needed = gauge.area_voted_cents, gauge.area_needed_cents
    mine = {v.owner for v in services.voices(db, rep, election)}
    # the boycott: the largest holdings stay away; the others come, smallest first, until
    # the area stands just under two thirds
    waiting = sorted((o for o in register.holdings if o not in mine),
                     key=lambda o: register.holdings[o].area_cents)
    number = 0
    for owner in waiting:
        holding = register.holdings[owner]
        if area + holding.area_cents >= needed:
            break
        area += holding.area_cents
        number += 1
        when = opens + timedelta(hours=6 + number * 2)
        serial, home = f"LD-E{number:04d}", holding.home_ids[-1]
        chosen = _choice(rng, ids, popularity, 7)
        services.enter_paper_ballot(db, staff, election.id, serial=serial, home=home,
                                    candidates=chosen, now=when)
        services.enter_paper_ballot(db, admin, election.id, serial=serial, home=home,
                                    candidates=chosen, now=when + timedelta(minutes=30))
    db.flush()
