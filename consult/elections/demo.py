"""Demo elections: 国际丽都城's first owners' committee (业主委员会) election and 恒丰's
residents' committee (居民委员会) election, both open now.

7 seats, 10 candidates. A boycott keeps the area taking part just under the two-thirds
line (the larger holdings stay away) while the headcount is past it, so the gauge says
how many m² are still missing and the door-to-door list (流动票箱) is what staff print
next. Ballots came online (周海燕, 13800000005, has voted) and on paper, keyed twice.
恒丰: 48 voters on the register (one removed, logged), 7 candidates for 5 seats, 22 paper
ballots in; 刘秀英 (13800000007) is on the register and has not voted: sign in and vote.
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
    """Create the demo elections; called once by :func:`consult.demo.load` (after owners)."""
    load_owners(db, settings, places, now)
    load_residents(db, settings, places, now)


def load_owners(db: Session, settings: Settings, places: dict[str, Place],
                now: datetime | None = None) -> None:
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


RESIDENT = "13800000007"  # 刘秀英, verified resident of 恒丰: on the register, not yet voted
RESIDENT_CANDIDATES = [
    ("李娟", "现任居委会主任，负责全岗通窗口。"), ("王建华", "退休社区医生，关心老年人助餐。"),
    ("陈晓红", "楼组长，组织过垃圾分类志愿队。"), ("张志刚", "物业联络员，熟悉小区设施。"),
    ("刘芳", "社工，负责青少年暑托班。"), ("黄永年", "老党员，调解邻里纠纷多年。"),
    ("吴婷", "年轻居民，想把议事会搬到线上。"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def load_residents(db: Session, settings: Settings, places: dict[str, Place],
                   now: datetime | None = None) -> None:
    """恒丰's residents' committee election (换届选举): 5 seats, 7 candidates (差额), the
    register of the area's voters published, voting open with paper ballots coming in."""
    now = now or clock.utcnow()
    rng = random.Random(2019)
    hengfeng = places["恒丰"]
    staff = communities.actor_for(db, _moderator_of(db, hengfeng.id))
    opens, closes = now - timedelta(days=1), now + timedelta(days=2)
    called = opens - timedelta(days=30)
    election = services.create_resident_election(
        db, staff, hengfeng, title="恒丰居民区居民委员会换届选举",
        description=("按《城市居民委员会组织法》第八条，由本居住地区全体有选举权的居民选举产生居民委员会主任、"
                     "副主任和委员共 5 名。登记选民过半数投票，选举有效；候选人获得参加投票选民过半数的选票始得当选。"
                     "\n投票站设在居委会活动室，行动不便的居民可申请流动票箱。"),
        mode="voters", seats=5, election_day=closes.date(), opens_at=opens, closes_at=closes,
        now=called)
    resident = _user(db, RESIDENT)
    services.add_voter(db, staff, election.id, name=resident.display_name, birth_date="1956-04-12",
                       phone=resident.phone, now=called)
    voters = [services.add_voter(
        db, staff, election.id, name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        birth_date=f"{rng.randint(1935, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        now=called + timedelta(days=1)) for _ in range(48)]
    services.remove_voter(db, staff, voters[-1].id, reason="已迁出本居住地区", now=called + timedelta(days=3))
    ids = [str(services.add_resident_candidate(
        db, staff, election.id, name=name, statement=text,
        nominators=[v.id for v in voters[3 * n:3 * n + election.nominations_voters]],
        now=called + timedelta(days=5)).id) for n, (name, text) in enumerate(RESIDENT_CANDIDATES)]
    services.publish_candidates(db, staff, election.id, now=called + timedelta(days=10))
    popularity = [0.85, 0.7, 0.65, 0.6, 0.5, 0.35, 0.3]
    for number, voter in enumerate(voters[:22], start=1):
        services.enter_resident_paper(db, staff, election.id, voter=str(voter.id),
                                      candidates=_choice(rng, ids, popularity, 5),
                                      now=opens + timedelta(hours=number))
    db.flush()
