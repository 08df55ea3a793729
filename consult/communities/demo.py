"""Demo places and people: 石门二路街道 as in the field report.

The report names the residential areas 恒丰, 郑家巷, 东王 and 太和 (and speaks
of 石二); the other six names are plausible completions, not facts. Floor areas
and owners are generated deterministically.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services
from consult.communities.models import Home, HomeOwner, Place, VerificationRequest
from consult.config import Settings

SUBDISTRICT = "石门二路街道"
AREAS = ["恒丰", "郑家巷", "东王", "太和", "石二", "新福康里", "斯文里", "景华", "同孚", "华沁", "泰兴"]
#: Estates per area; 御品大厦 and 国际丽都城 are the two named in the report.
ESTATES = {
    "恒丰": ["御品大厦", "恒丰花园"],
    "郑家巷": ["郑家巷小区", "中华新城"],
    "东王": ["东王公寓"],
    "太和": ["国际丽都城", "太和苑"],
    "石二": ["石二新村"],
    "新福康里": ["新福康里小区"],
    "斯文里": ["斯文里公寓"],
    "景华": ["景华新村"],
    "同孚": ["同孚大楼"],
    "华沁": ["华沁苑"],
    "泰兴": ["泰兴大厦"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平红玉兰桂珍文辉刚健波宁晨阳浩宇欣怡"
DEMO_PASSWORD = "shimen-demo-2026"


@dataclass(frozen=True)
class DemoPerson:
    login: str
    name: str
    role: str | None
    place: str | None  # a place name; None for the sub-district
    label: str


PEOPLE = [
    DemoPerson("13800000001", "王敏", "admin", None, "街道管理员 sub-district admin"),
    DemoPerson("13800000002", "李娟", "moderator", "恒丰", "恒丰居委会 moderator"),
    DemoPerson("13800000003", "张伟", "moderator", "郑家巷", "郑家巷居委会 moderator"),
    DemoPerson("13800000004", "陈立群", "expert", "恒丰", "智库专家 expert (恒丰)"),
    DemoPerson("13800000005", "周海燕", "owners_rep", "国际丽都城", "业主代表 owners' rep (国际丽都城)"),
    DemoPerson("13800000006", "吴建国", "owner", "御品大厦", "业主 owner (御品大厦, two homes)"),
    DemoPerson("13800000007", "刘秀英", "resident", "恒丰", "居民 resident (恒丰)"),
    DemoPerson("13800000008", "赵强", "resident", "郑家巷", "居民 resident (郑家巷)"),
    DemoPerson("13800000009", "孙丽", None, None, "新用户 new user, verification pending (恒丰)"),
    DemoPerson("13800000021", "钱桂英", "resident", "东王", "居民 resident (东王, points club member)"),
    DemoPerson("13800000022", "刘建华", None, None, "家属 family member acting for 刘秀英 (亲情账号)"),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _homes(db: Session, rng: random.Random, estate: Place, groups: list[Place], per_group: int):
    """Homes with two-decimal areas, some co-owned, some developer stock, a few multi-home owners."""
    buyers: list[str] = []
    for g, group in enumerate(groups, start=1):
        building = f"{g}号楼"
        for n in range(per_group):
            floor, unit = divmod(n, 4)
            room = f"{floor + 1}0{unit + 1}"
            area = rng.randint(4500, 16000)  # hundredths of m²: 45.00–160.00
            developer = rng.random() < 0.05
            if developer:
                owners: list[str] = []
            elif buyers and rng.random() < 0.08:
                owners = [rng.choice(buyers)]  # the same buyer owns another home
            else:
                owners = [_name(rng)] + ([_name(rng)] if rng.random() < 0.25 else [])
                buyers.append(owners[0])
            services.add_home(db, estate=estate, building_group=group, code=f"{g}-{room}",
                              building=building, room=room, area_hundredths=area,
                              owners=list(dict.fromkeys(owners)), developer_held=developer)


def load_places(db: Session) -> dict[str, Place]:
    rng = random.Random(2019)
    root = services.create_place(db, kind="subdistrict", name=SUBDISTRICT)
    by_name = {SUBDISTRICT: root}
    for position, area_name in enumerate(AREAS):
        area = services.create_place(db, kind="area", name=area_name, parent=root, position=position)
        by_name[area_name] = area
        for estate_name in ESTATES[area_name]:
            estate = services.create_place(db, kind="estate", name=estate_name, parent=area)
            by_name[estate_name] = estate
            big = estate_name in ("御品大厦", "国际丽都城")
            groups = [
                services.create_place(db, kind="building_group", name=f"{estate_name}{i}号楼组",
                                      parent=estate, position=i)
                for i in range(1, (6 if big else 3) + 1)
            ]
            _homes(db, rng, estate, groups, per_group=12 if big else 6)
    return by_name


def load_people(db: Session, settings: Settings, places: dict[str, Place]) -> dict[str, User]:
    users: dict[str, User] = {}
    for person in PEOPLE:
        user = accounts.create_user(db, settings, login=person.login, phone=person.login,
                                    display_name=person.name, password=DEMO_PASSWORD)
        users[person.login] = user
        if person.role:
            place = places[person.place or SUBDISTRICT]
            services.grant_role(db, user=user, role=person.role, place=place)
            if person.role == "owner":
                # the demo owner holds the first two homes of 御品大厦
                homes = db.exec(select(Home).where(Home.estate_id == place.id)
                                .order_by(Home.id).limit(2)).all()
                for home in homes:
                    for owner in db.exec(select(HomeOwner).where(HomeOwner.home_id == home.id)):
                        db.delete(owner)
                    db.flush()
                    db.add(HomeOwner(home_id=home.id, name=person.name, user_id=user.id))
                area = db.get(Place, place.parent_id)
                services.grant_role(db, user=user, role="resident", place=area)
            if person.role == "owners_rep":
                services.grant_role(db, user=user, role="owner", place=place)
    # every other area gets a moderator, so each can be tried
    for i, area_name in enumerate(AREAS[2:], start=10):
        login = f"138000000{i:02d}"
        user = accounts.create_user(db, settings, login=login, phone=login,
                                    display_name=f"{area_name}居委会", password=DEMO_PASSWORD)
        services.grant_role(db, user=user, role="moderator", place=places[area_name])
        users[login] = user
    db.add(VerificationRequest(user_id=users["13800000009"].id, area_id=places["恒丰"].id,
                               note="恒丰花园 2号楼"))
    db.flush()
    return users


def logins() -> list[tuple[str, str, str]]:
    rows = [(p.login, p.name, p.label) for p in PEOPLE]
    rows += [(f"138000000{i:02d}", f"{a}居委会", f"{a}居委会 moderator")
             for i, a in enumerate(AREAS[2:], start=10)]
    return rows
