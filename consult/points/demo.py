"""The points club demo: 东王小区's members' club, alive (field report: 60 members by
December; attendance counted only after the committee checks and stamps it; quarterly
redemption; points accumulate and never expire).

A year of activities of every kind, two a month, each with its sign-ups, its attendance
recorded from the sheet by the 东王 committee (13800000010) and approved with the photo
of the stamped sheet by the sub-district admin (13800000001); last week's activity waits
for approval; two coming ones take sign-ups (one is full, with a waiting list). One
correction reversed an attendance keyed for the wrong person (proposed by one, confirmed
by the other). Two quarterly redemption days: last quarter's, collected and released,
and this quarter's, taking pre-orders from a catalogue with stock. 钱桂英 (13800000021)
is a member online; the other members joined at the desk, most without a phone, and
刘秀英 (13800000007) is the family proxy of her mother.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.demo import GIVEN, SURNAMES
from consult.communities.models import Place
from consult.config import Settings
from consult.points.services import activities, attendance, clubs, ledger, redemption

RULES = ("凡东王小区居民均可自愿入会，每人一本积分存折（线上与纸质同步）。参加团队活动、主题活动、"
         "特色活动和居委会组织的外出参观，经居委会审核盖章后计入积分；积分可累计、不清零，"
         "每季度兑换一次生活用品。志愿服务时长另行记录，可出具证明。")

KINDS = ("team", "themed", "special", "outing")
TITLES = {
    "team": ("楼道清洁日", "垃圾分类值守", "睦邻巡逻队", "绿化认养养护"),
    "themed": ("健康讲座：高血压防治", "智能手机使用课堂", "防诈骗宣传", "端午包粽子"),
    "special": ("重阳敬老午餐", "社区文艺汇演", "中秋邻里节", "迎新春写春联"),
    "outing": ("参观四行仓库", "苏州河步道健步走", "上海博物馆参观", "植物园赏花"),
}
PRIZES = (("洗衣液", 30, 20), ("毛巾两条", 20, 30), ("大米 5 公斤", 60, 12), ("保温杯", 80, 6),
          ("食用油", 50, 10), ("电饭煲", 300, 2))


def _sheet_photo(title: str) -> bytes:
    """A picture of a signed sheet with a red stamp (demo stand-in for the photo)."""
    image = Image.new("RGB", (480, 640), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for y in range(80, 600, 36):
        draw.line((30, y, 450, y), fill=(120, 120, 120), width=1)
    draw.ellipse((300, 480, 430, 610), outline=(200, 20, 20), width=6)
    draw.text((40, 30), title.encode("ascii", "ignore").decode() or "sign-in sheet", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def load(db: Session, settings: Settings, places: dict[str, Place], users: dict[str, User],
         now: datetime | None = None) -> None:
    if "东王" not in places or "13800000010" not in users or "13800000001" not in users:
        return
    now = now or clock.utcnow()
    rng = random.Random(2018)
    staff = communities.actor_for(db, users["13800000010"])
    second = communities.actor_for(db, users["13800000001"])
    year_ago = now - timedelta(days=365)
    at = clubs.create_club(db, staff, place_id=places["东王"].id, name="东王小区积分俱乐部", rules_text=RULES,
                           now=year_ago)
    clubs.update_club(db, staff, at, name=at.club.name, rules_text=RULES,
                      earning={"team": ("5", "2"), "themed": ("5", "0"), "special": ("10", "0"),
                               "outing": ("3", "0")})
    members = []
    if "13800000021" in users:
        member_user = users["13800000021"]
        members.append(clubs.join(db, communities.actor_for(db, member_user), member_user, at, now=year_ago))
    while len(members) < 60:
        members.append(clubs.join_at_desk(db, staff, at, name=_name(rng), now=year_ago + timedelta(days=len(members))))
    if "13800000007" in users:
        clubs.set_proxy(db, staff, at, members[1].id, login=users["13800000007"].login)
    media = settings.media_dir

    def happened(index: int, kind: str, starts: datetime, *, approve: bool = True):
        a = activities.create_activity(db, staff, at, activities.ActivityDraft(
            title=TITLES[kind][index % 4], kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=2),
            venue="东王居委会活动室" if kind != "outing" else "小区门口集合", organiser="东王居委会"),
            now=starts - timedelta(days=7))
        came = [members[0]] + rng.sample(members[1:], rng.randint(8, 20))
        for m in came:
            activities.sign_up(db, staff, at, a, now=starts - timedelta(days=3), member_id=m.id, channel="desk")
        recorded = [attendance.record(db, staff, at, a, now=starts + timedelta(hours=2), member_id=m.id,
                                      source="sheet") for m in came]
        if approve:
            attendance.approve(db, second, at, a, [str(r.id) for r in recorded], photo=_sheet_photo(a.title),
                               media_dir=media, now=starts + timedelta(days=1))
        return a

    prizes = [redemption.add_prize(db, staff, at, name=name, price=str(price), stock=str(stock), now=year_ago)
              for name, price, stock in PRIZES]
    last = (now - timedelta(days=40)).replace(hour=1, minute=0, second=0, microsecond=0)

    def correct() -> None:
        """An attendance keyed for the wrong person, reversed by two people."""
        member, wrong = next((m, lines[0]) for m in members[1:]
                             if (lines := ledger.passbook(db, m.id, limit=1)))
        when = wrong.transfer.created_at + timedelta(days=1)
        correction = ledger.propose_correction(db, staff, at, member_id=member.id, reason="签到表记错了人，冲正",
                                               reverses_id=wrong.transfer.id, now=when)
        ledger.confirm_correction(db, second, at, correction.id, now=when + timedelta(hours=2))

    def last_quarter() -> None:
        """Last quarter's redemption day: pre-ordered, mostly collected, the rest released."""
        past = redemption.add_day(db, staff, at, title="第三季度积分兑换日", opens_at=last,
                                  closes_at=last + timedelta(hours=4), now=last - timedelta(days=14))
        for k, m in enumerate(members[:14]):
            affordable = [p for p in prizes if p.price <= ledger.member_balance(db, m.id) and p.stock > 0]
            if affordable:
                order = redemption.preorder(db, staff, at, past, prize_id=affordable[0].id, member_id=m.id,
                                            now=last - timedelta(days=3))
                if k % 5:  # most collect on the day; a few do not come
                    redemption.collect(db, staff, at, past, order.id, via="proxy" if k == 1 else "self",
                                       now=last + timedelta(hours=1))
        redemption.release(db, staff, at, past, now=last + timedelta(days=1))

    redeemed = False
    for n in range(24):  # two a month, a year back, in the order they happened
        starts = (year_ago + timedelta(days=15 * n + 5)).replace(hour=1, minute=30, second=0, microsecond=0)
        if not redeemed and starts > last - timedelta(days=3):
            last_quarter()
            redeemed = True
        happened(n, KINDS[n % 4], starts)
        if n == 3:
            correct()
    happened(24, "team", (now - timedelta(days=6)).replace(hour=1, minute=30, second=0, microsecond=0),
             approve=False)  # last week's, waiting for the committee

    for i, (kind, capacity) in enumerate((("special", None), ("outing", 3))):
        starts = (now + timedelta(days=5 + 7 * i)).replace(hour=1, minute=30, second=0, microsecond=0)
        coming = activities.create_activity(db, staff, at, activities.ActivityDraft(
            title=TITLES[kind][(i + 1) % 4], kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=3),
            venue="东王居委会活动室", organiser="东王居委会", capacity=str(capacity) if capacity else ""), now=now)
        for m in members[2:7]:
            activities.sign_up(db, staff, at, coming, now=now, member_id=m.id, channel="phone")

    redemption.restock(db, staff, at, prizes[0].id, count="10", now=now - timedelta(days=2))
    coming_day = (now + timedelta(days=20)).replace(hour=1, minute=0, second=0, microsecond=0)
    this = redemption.add_day(db, staff, at, title="第四季度积分兑换日", opens_at=coming_day,
                              closes_at=coming_day + timedelta(hours=4), now=now)
    totals = ledger.balances_of(db, [m.id for m in members[1:]])
    richest = max(members[1:], key=lambda m: totals.get(m.id, 0))
    redemption.preorder(db, staff, at, this, prize_id=prizes[1].id, member_id=richest.id, now=now)
    db.flush()
