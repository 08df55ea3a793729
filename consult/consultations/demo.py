"""Demo consultations: the 2019 "三微" micro-projects across the 11 areas, and one open now.

The 2019 consultation carries exactly 141 ideas — 23 实事项目, 102 自治项目, 11 共筹项目
and 5 维修与补充项目, the figures of the field report — through collection, two
reviews and a revision round into a vote that is open now (times are relative to
the moment the demo is loaded). Every idea has a consistent history: versions,
timeline entries, round links, supports, some comments and expert advice; some
were revised, merged, rejected with a reason or withdrawn. 恒丰's "i 爱在恒丰，点亮绿角"
and 郑家巷's "小景观，大世界" are named in the field report; the other titles are
typical neighbourhood micro-projects, generated deterministically.

A second, smaller consultation (恒丰, this year) has its collection round open, so a
demo resident can propose an idea at once. Rows are inserted in bulk and demo
authors have no password, so loading stays fast.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities.demo import AREAS, SUBDISTRICT
from consult.communities.models import Place, RoleAssignment
from consult.config import Settings
from consult.consultations import rules
from consult.consultations.models import (
    Category,
    Comment,
    Consultation,
    Idea,
    IdeaPhoto,
    IdeaRound,
    IdeaVersion,
    Round,
    Support,
    TimelineEntry,
)
from consult.media.images import process_upload, store
from consult.notifications.models import Notification

DAY = timedelta(days=1)
CATEGORY_COUNTS = {"实事项目": 23, "自治项目": 102, "共筹项目": 11, "维修与补充项目": 5}
AUTHORS_PER_AREA = 12
#: how many ideas end in each fate (they sum to 141)
FATES = {
    "left_in_collect": 12, "withdrawn": 7, "rejected": 14, "merged": 14, "shortlisted": 52,
    "revised": 22, "edited_by_committee": 4, "revision_pending": 8, "rejected_after_revision": 6,
    "restored": 2,
}
AREA_WEIGHTS = {"恒丰": 20, "郑家巷": 18, "东王": 12, "太和": 14, "石二": 11, "新福康里": 12,
                "斯文里": 11, "景华": 10, "同孚": 11, "华沁": 11, "泰兴": 11}

# (title, description, cost range in yuan or None); {where} is the place's name.
PROJECTS: dict[str, list[tuple[str, str, tuple[int, int] | None]]] = {
    "实事项目": [
        ("楼道声控灯更换", "{where}楼道里的灯坏了好几盏，晚上上下楼看不清，老人容易摔倒。建议统一换成声控LED灯，省电又安全。", (1500, 6000)),
        ("楼梯加装扶手", "{where}楼梯没有扶手，腿脚不便的老人上下楼很吃力。建议在楼梯靠墙一侧加装不锈钢扶手。", (3000, 12000)),
        ("非机动车棚改造", "{where}的自行车棚顶棚漏雨，车子停得乱，通道经常被堵。建议翻修顶棚、划线分区。", (8000, 30000)),
        ("单元门禁维修", "{where}单元门禁经常失灵，外来人员随意进出。建议维修或更换门禁系统。", (5000, 15000)),
        ("增设休息座椅", "{where}附近没有可以坐下歇脚的地方，买菜回来的老人只能站着。建议在树荫下增设几张座椅。", (2000, 6000)),
        ("垃圾投放点加装雨棚", "{where}的垃圾分类投放点下雨天没有遮挡，居民投放不便。建议加装雨棚和洗手池。", (6000, 18000)),
        ("无障碍坡道建设", "{where}门口有三级台阶，轮椅和婴儿车都推不上去。建议建一条无障碍坡道。", (4000, 15000)),
        ("信报箱更换", "{where}的信报箱锈蚀严重、门也关不上。建议统一更换新的信报箱。", (2000, 5000)),
    ],
    "自治项目": [
        ("绿角改造", "{where}有一块闲置的角落，堆着杂物。建议由居民志愿者一起改造成种花种草的绿角，大家轮流养护。", (3000, 20000)),
        ("垃圾厢房美化", "{where}的垃圾厢房外墙脏旧。建议请居民和孩子们一起画墙绘，让垃圾厢房变干净好看。", (2000, 8000)),
        ("健身步道", "{where}的空地可以沿边铺一条健身步道，标上距离，方便居民早晚散步锻炼。", (10000, 40000)),
        ("楼组睦邻角", "{where}的楼道转角可以布置一个睦邻角，放上留言板和共享物品架，邻里之间多交流。", (1000, 4000)),
        ("楼道文化墙", "{where}楼道墙面斑驳。建议由楼组居民共同设计文化墙，展示楼组公约和老照片。", (2000, 6000)),
        ("社区读书角", "{where}可以设一个读书角，居民捐书、志愿者管理，老人和孩子都能来看书。", (2000, 8000)),
        ("屋顶微菜园", "{where}屋顶平台闲置，建议由楼组认领，建一个共享微菜园，收获分给困难家庭。", (3000, 10000)),
        ("宠物文明角", "{where}遛狗的居民多，粪便问题引起矛盾。建议设立宠物文明角，配置拾便袋和宣传牌。", (1000, 4000)),
        ("垃圾分类宣传栏", "{where}的居民对分类规则还不熟悉。建议设置宣传栏，由志愿者定期更新分类知识。", (1000, 3000)),
        ("四点半课堂", "{where}双职工家庭多，孩子放学后无人照看。建议利用活动室办四点半课堂，请退休教师志愿辅导。", (2000, 8000)),
        ("邻里议事角", "{where}缺少居民坐下来商量事情的地方。建议布置一个议事角，定期开楼组议事会。", (1500, 5000)),
        ("共享工具屋", "{where}居民家里修修补补常缺工具。建议设共享工具屋，登记借用、志愿者管理。", (2000, 6000)),
        ("楼道杂物清理", "{where}楼道堆放杂物，有消防隐患。建议组织居民集中清理，并制定楼道公约。", None),
        ("墙面垂直绿化", "{where}的围墙光秃秃的。建议种上爬藤植物，夏天还能降温。", (3000, 12000)),
        ("儿童游乐角", "{where}的孩子没有玩耍的地方。建议在安全的空地设一个小小的儿童游乐角。", (8000, 30000)),
        ("石库门记忆长廊", "{where}是老石库门街区，建议收集老照片和老物件，布置一条社区记忆长廊。", (3000, 15000)),
        ("睦邻节活动", "建议在{where}举办一次睦邻节，邻居们一起包馄饨、做手工，增进感情。", (1000, 5000)),
        ("志愿者服务站", "{where}志愿者多但缺少固定的服务点。建议设立志愿者服务站，提供量血压、修家电等服务。", (2000, 8000)),
        ("楼组公约上墙", "{where}的楼组公约已经由居民讨论通过。建议制作成展板挂在楼道，大家共同遵守。", (500, 2000)),
        ("雨水花园", "{where}每逢大雨就积水。建议把低洼处改造成雨水花园，既排水又美观。", (10000, 35000)),
        ("口袋公园", "{where}边上有一块空地，建议改造成口袋公园，放几张长椅、种几棵树。", (15000, 40000)),
        ("老年助餐点", "{where}独居老人多，做饭不方便。建议与附近餐饮店合作，设立助餐点。", (3000, 10000)),
    ],
    "共筹项目": [
        ("电动自行车集中充电棚", "{where}居民在楼道里给电动车充电，很危险。建议建集中充电棚，由居民和物业共同出资。", (15000, 40000)),
        ("增设智能快递柜", "{where}快递堆在门口容易丢失。建议与快递公司共同出资增设智能快递柜。", (8000, 20000)),
        ("楼道粉刷", "{where}楼道墙面发黑脱落。建议由居民自筹一部分、街道补贴一部分，统一粉刷。", (6000, 20000)),
        ("公共晾衣区", "{where}居民晒被子没有地方。建议共同出资搭建公共晾衣区。", (3000, 10000)),
        ("公共区域监控", "{where}近来发生过自行车被盗。建议在出入口加装监控，由居民共筹维护费用。", (8000, 25000)),
        ("健身器材更新", "{where}的健身器材年久失修。建议由居民和驻区单位共同出资更新。", (10000, 30000)),
    ],
    "维修与补充项目": [
        ("屋面防水补漏", "{where}顶楼住户反映屋顶漏水，墙面发霉。建议对屋面做防水补漏。", (20000, 60000)),
        ("外墙脱落修补", "{where}外墙面砖有脱落，存在安全隐患。建议尽快修补。", (15000, 50000)),
        ("路面破损修补", "{where}的通道路面坑洼，雨天积水，老人容易绊倒。建议修补路面。", (8000, 30000)),
        ("下水管道更换", "{where}下水管道老化经常堵塞返水。建议更换主管道。", (12000, 40000)),
        ("消防通道标识补充", "{where}消防通道常被占用，标识不清。建议补充标识和地面标线。", (1000, 4000)),
    ],
}
NAMED = [  # (area, title, description) from the field report
    ("恒丰", "i 爱在恒丰，点亮绿角",
     "恒丰花园里有几处闲置的边角地，堆放杂物、无人打理。建议由楼组居民认领，种上花草，设置小小的休憩点，让边角地变成大家喜爱的绿角，并由志愿者轮流养护。"),
    ("郑家巷", "小景观，大世界",
     "郑家巷小区空间狭小，建议在弄堂口和楼前空地布置一组小景观：盆景、花箱和介绍老弄堂故事的展板，小空间里看见大世界。"),
]
REJECT_REASONS = [
    "属于物业日常维修范围，已转交物业公司处理。",
    "涉及房屋结构安全，不属于小微项目，已报街道房管部门。",
    "所需费用超出本次小微项目的预算上限。",
    "涉及私人产权部位，需由相关业主自行协商解决。",
    "与区里今年的统一改造计划重复，将由区里实施。",
    "楼组居民意见分歧较大，暂不推进，明年再议。",
]
REVISION_NOTES = [
    "请补充具体位置和涉及的楼层、户数。",
    "请先与楼组长和邻居沟通，写明大家的意见。",
    "预估费用偏高，请参考报价重新核算。",
    "请说明建成后由谁负责日常维护。",
]
REVISION_ADDITIONS = [
    "\n\n（修改补充）已与楼组长沟通，涉及1至6层共24户，大家都同意。",
    "\n\n（修改补充）建成后由楼组志愿者每周轮流维护，物业提供工具。",
    "\n\n（修改补充）参考两家报价后重新核算了费用。",
    "\n\n（修改补充）位置改在楼前东侧空地，不影响消防通道。",
]
COMMENTS = ["支持！这个问题确实很久了。", "我们楼也有同样的情况。", "建议先问问楼里老人的意见。",
            "希望尽快落实。", "我愿意参加志愿维护。", "费用能不能再省一点？"]
ADVICE = ["建议选用耐候材料，后期维护成本更低。", "可以先做小范围试点，效果好再推广。",
          "注意与消防通道保持足够距离。"]
MERGE_PREFIXES = ("建议", "希望", "关于")
PHOTO_COLOURS = [(96, 140, 80), (170, 120, 70), (90, 110, 150), (150, 150, 150),
                 (120, 160, 120), (180, 160, 110), (110, 90, 80), (80, 130, 140)]


@dataclass
class Plan:
    """One demo idea before it becomes rows: where it ends and what happened on the way."""

    category: str
    area: str
    fate: str
    title: str = ""
    description: str = ""
    cost_fen: int | None = None
    place: Place | None = None
    author: User | None = None
    target: Plan | None = None
    supports: int = 0
    idea: Idea | None = None
    extra: dict = field(default_factory=dict)


def _photo(rng: random.Random, colour) -> bytes:
    """A plain picture of a courtyard-ish scene: enough to see thumbnails in the demo."""
    image = Image.new("RGB", (640, 480), (205, 220, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=colour)
    for _ in range(5):
        x = rng.randint(0, 560)
        draw.rectangle((x, rng.randint(90, 200), x + rng.randint(50, 110), 300),
                       fill=tuple(max(0, c - 40) for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _authors(db: Session, places: dict[str, Place], rng: random.Random) -> dict[str, list[User]]:
    """Residents who wrote and supported ideas (no password: they cannot sign in)."""
    from consult.communities.demo import _name

    by_area: dict[str, list[User]] = {}
    users = []
    for a, area in enumerate(AREAS):
        for i in range(AUTHORS_PER_AREA):
            login = f"1370{a:03d}{i:04d}"
            users.append((area, User(login=login, phone=login, display_name=_name(rng),
                                     password_hash=None)))
    db.add_all([u for _, u in users])
    db.flush()
    _bulk(db, RoleAssignment, [{"user_id": u.id, "role": "resident", "place_id": places[a].id,
                                "created_at": clock.utcnow(), "granted_by": None} for a, u in users])
    for area, user in users:
        by_area.setdefault(area, []).append(user)
    return by_area


def _moderators(users: dict[str, User]) -> dict[str, User]:
    found = {"恒丰": users.get("13800000002"), "郑家巷": users.get("13800000003")}
    for i, area in enumerate(AREAS[2:], start=10):
        found[area] = users.get(f"138000000{i:02d}")
    admin = users.get("13800000001")
    return {area: found.get(area) or admin for area in AREAS}


def _plans(rng: random.Random, places: dict[str, Place]) -> list[Plan]:
    areas = [a for a in AREAS for _ in range(AREA_WEIGHTS[a])]
    fates = [f for f, n in FATES.items() for _ in range(n)]
    categories = [c for c, n in CATEGORY_COUNTS.items() for _ in range(n)]
    rng.shuffle(fates)
    rng.shuffle(categories)
    plans = [Plan(category=c, area=rng.choice(areas), fate=f) for c, f in zip(categories, fates, strict=True)]
    # the two named projects are 自治 ideas that made it to the vote
    named = [p for p in plans if p.category == "自治项目" and p.fate == "shortlisted"][:2]
    for plan, (area, title, description) in zip(named, NAMED, strict=True):
        plan.area, plan.title, plan.description = area, title, description
        plan.cost_fen = 1_850_000 if area == "恒丰" else 1_260_000
        plan.place = places[area]
    # a merged idea duplicates a shortlisted one of the same category, in the same area
    keep = [p for p in plans if p.fate in ("shortlisted", "revised")]
    for plan in (p for p in plans if p.fate == "merged"):
        candidates = [k for k in keep if k.category == plan.category] or keep
        plan.target = rng.choice(candidates)
        plan.area = plan.target.area
    return plans


def _place_for(rng: random.Random, area: Place, inside: list[Place]) -> Place:
    groups = [p for p in inside if p.kind == "building_group"]
    estates = [p for p in inside if p.kind == "estate"]
    roll = rng.random()
    if roll < 0.6 and groups:
        return rng.choice(groups)
    if roll < 0.9 and estates:
        return rng.choice(estates)
    return area


def _texts(rng: random.Random, plans: list[Plan], places: dict[str, Place],
           everywhere: list[Place]) -> None:
    inside = {a: [p for p in everywhere if p.path.startswith(places[a].path) and p.id != places[a].id]
              for a in AREAS}
    used: set[str] = set()
    for plan in plans:
        if plan.title or plan.target:
            continue
        area = places[plan.area]
        plan.place = _place_for(rng, area, inside[plan.area])
        for _ in range(20):
            title, description, costs = rng.choice(PROJECTS[plan.category])
            where = plan.place.name.replace("号楼组", "号楼")
            prefix = "" if plan.place.kind == "area" else where
            full = f"{prefix}{title}" if prefix else f"{plan.area}{title}"
            if full not in used and len(full) <= rules.TITLE_MAX:
                break
        used.add(full)
        plan.title = full
        plan.description = description.format(where=plan.place.name)
        reaches_vote = plan.fate in ("shortlisted", "revised", "edited_by_committee", "restored")
        costs = costs or (500, 3000)  # the committee puts a figure on every idea put to the vote
        plan.cost_fen = rng.randint(*costs) * 100 if reaches_vote or rng.random() < 0.85 else None
    for plan in plans:
        if plan.target:
            base = plan.target.title
            plan.title = (rng.choice(MERGE_PREFIXES) + base)[:rules.TITLE_MAX]
            plan.description = "我也觉得" + plan.target.description[:200]
            plan.place = plan.target.place
            plan.cost_fen = None


@dataclass
class Timeline:
    """Collects the rows an idea's history makes, with times inside the right rounds."""

    rng: random.Random
    rounds: list[Round]
    entries: list = field(default_factory=list)
    links: list = field(default_factory=list)
    versions: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def at(self, round_index: int, fraction: float | None = None) -> datetime:
        item = self.rounds[round_index]
        span = (item.closes_at - item.opens_at).total_seconds()
        share = fraction if fraction is not None else self.rng.uniform(0.05, 0.85)
        return item.opens_at + timedelta(seconds=int(span * share))


def load(db: Session, settings: Settings, places: dict[str, Place], users: dict[str, User],
         now: datetime | None = None) -> Consultation:
    """Load both demo consultations; returns the 2019 one."""
    now = now or clock.utcnow()
    rng = random.Random(2019)
    authors = _authors(db, places, rng)
    demo_residents = {"恒丰": users.get("13800000007"), "郑家巷": users.get("13800000008")}
    moderators = _moderators(users)
    expert = users.get("13800000004")
    admin = users.get("13800000001")
    root = places[SUBDISTRICT]

    consultation = Consultation(
        title="2019年“三微”项目征询", year=2019, scope_place_id=root.id, budget_fen=300_000_000,
        description="石门二路街道11个居民区自下而上征集微更新、微治理、微服务项目：居民提出建议，居委会和智库专家对接筛选，经过多轮酝酿修改，最后由居民投票表决。",
        created_by=admin.id if admin else None, created_at=now - 100 * DAY)
    db.add(consultation)
    db.flush()
    categories = {name: Category(consultation_id=consultation.id, name=name, position=i)
                  for i, name in enumerate(CATEGORY_COUNTS)}
    db.add_all(categories.values())
    spec = [("collect", "居民提出建议", -90, -60, {"ideas_per_resident": 0, "supports_needed": 2}),
            ("review", "第一轮对接筛选", -60, -40, {}), ("revise", "酝酿修改", -40, -25, {}),
            ("review", "第二轮筛选", -25, -7, {}), ("vote", "居民投票表决", -7, 21, {}),
            ("decide", "结果公示", 21, 35, {})]
    rounds = [Round(consultation_id=consultation.id, position=i + 1, kind=kind, title=title,
                    opens_at=now + start * DAY, closes_at=now + end * DAY, settings=settings_)
              for i, (kind, title, start, end, settings_) in enumerate(spec)]
    for item in rounds[:4]:
        item.carried_at = item.closes_at
    db.add_all(rounds)
    db.flush()

    everywhere = list(db.exec(select(Place).where(Place.path.startswith(root.path))).all())
    plans = _plans(rng, places)
    _texts(rng, plans, places, everywhere)
    # authors: the demo residents get a few ideas each, so their pages have something to show
    for plan in plans:
        pool = authors[plan.area]
        plan.author = rng.choice(pool)
    for area, person in demo_residents.items():
        if person is None:
            continue
        for fate in ("revised", "rejected", "shortlisted"):
            plan = next((p for p in plans if p.area == area and p.fate == fate), None)
            if plan is not None:
                plan.author = person

    ideas = []
    for plan in plans:
        state = {"left_in_collect": "submitted", "withdrawn": "withdrawn", "rejected": "rejected",
                 "merged": "merged", "revision_pending": "revision_requested",
                 "rejected_after_revision": "rejected"}.get(plan.fate, "shortlisted")
        current = {"left_in_collect": 0, "withdrawn": 0, "rejected": 1, "merged": 1,
                   "revision_pending": 3, "rejected_after_revision": 3}.get(plan.fate, 4)
        plan.idea = Idea(
            consultation_id=consultation.id, author_id=plan.author.id, title=plan.title,
            description=plan.description, category_id=categories[plan.category].id,
            place_id=plan.place.id, area_id=places[plan.area].id, estimated_cost_fen=plan.cost_fen,
            state=state, current_round_id=rounds[current].id)
        ideas.append(plan.idea)
    db.add_all(ideas)
    db.flush()

    history = Timeline(rng=rng, rounds=rounds)
    for plan in plans:
        _history(history, plan, rounds, moderators[plan.area], expert)
    _bulk(db, IdeaRound, history.links)
    _bulk(db, IdeaVersion, history.versions)
    _bulk(db, TimelineEntry, history.entries)
    _bulk(db, Notification, history.notes)
    for plan in plans:
        if plan.target is not None:
            plan.idea.merged_into_id = plan.target.idea.id

    _supports_and_comments(db, rng, plans, authors, demo_residents, expert, rounds)
    _photos(db, rng, plans, settings)
    _current_consultation(db, rng, places, everywhere, users, authors, now)
    db.flush()
    return consultation


def _bulk(db: Session, model, rows: list[dict]) -> None:
    """Insert many rows in one statement (no per-object ORM work: the demo must load fast)."""
    if rows:
        db.execute(insert(model.__table__), rows)


def _comment(idea_id: int, author_id: int, body: str, at: datetime, expert: bool = False) -> dict:
    return dict(idea_id=idea_id, author_id=author_id, parent_id=None, body=body, is_expert=expert,
                created_at=at, hidden_at=None, hidden_reason=None, hidden_by=None)


def _version(history: Timeline, plan: Plan, number: int, at: datetime, round_: Round, *,
             description: str | None = None, cost_fen=..., by: User | None = None,
             moderator: bool = False) -> None:
    idea = plan.idea
    history.versions.append(dict(
        idea_id=idea.id, number=number, title=idea.title,
        description=description if description is not None else plan.description,
        category_name=plan.category, place_name=plan.place.name,
        estimated_cost_fen=plan.cost_fen if cost_fen is ... else cost_fen, photo_keys=[],
        round_id=round_.id, created_at=at, created_by=(by or plan.author).id,
        author_is_moderator=moderator))


def _entry(history: Timeline, plan: Plan, at: datetime, role: str, action: str, round_: Round,
           actor: User | None = None, note: str | None = None, **details) -> None:
    history.entries.append(dict(
        idea_id=plan.idea.id, at=at, actor_id=actor.id if actor else None, actor_role=role,
        action=action, round_id=round_.id, note=note, details=details))


def _carry(history: Timeline, plan: Plan, rounds: list[Round], into: int) -> None:
    target = rounds[into]
    history.links.append(dict(idea_id=plan.idea.id, round_id=target.id, at=target.opens_at))
    _entry(history, plan, target.opens_at, "system", "carried", target, round=target.position,
           kind=target.kind)


def _notify(history: Timeline, plan: Plan, kind: str, at: datetime, **params) -> None:
    history.notes.append(dict(user_id=plan.author.id, kind=kind,
                              params={"title": plan.idea.title, **params},
                              link=f"/ideas/{plan.idea.id}", created_at=at, read_at=at + DAY))


def _history(history: Timeline, plan: Plan, rounds: list[Round], moderator: User | None,
             expert: User | None) -> None:
    """Write one idea's path through the rounds; its final state was set from its fate."""
    rng, idea, fate = history.rng, plan.idea, plan.fate
    submitted = history.at(0)
    idea.submitted_at = idea.created_at = submitted
    idea.updated_at = submitted
    idea.version = 1
    history.links.append(dict(idea_id=idea.id, round_id=rounds[0].id, at=submitted))
    _version(history, plan, 1, submitted, rounds[0])
    _entry(history, plan, submitted, "author", "submitted", rounds[0], plan.author)
    plan.supports = rng.randint(0, 1) if fate == "left_in_collect" else rng.randint(2, 11)
    if fate == "left_in_collect":
        return
    if fate == "withdrawn":
        at = history.at(0, rng.uniform(0.9, 0.99))
        _entry(history, plan, at, "author", "withdrawn", rounds[0], plan.author)
        idea.updated_at = at
        return
    _carry(history, plan, rounds, 1)
    decided = history.at(1)
    idea.updated_at = decided
    if fate in ("rejected", "restored"):
        reason = rng.choice(REJECT_REASONS)
        _entry(history, plan, decided, "moderator", "rejected", rounds[1], moderator, reason)
        _notify(history, plan, "idea_rejected", decided, reason=reason)
        if fate == "rejected":
            idea.state_note = reason
            return
        decided = decided + DAY
        _entry(history, plan, decided, "moderator", "restored", rounds[1], moderator,
               "经复核，属于小微项目范围，予以恢复。")
    if fate == "merged":
        target = plan.target
        _entry(history, plan, decided, "moderator", "merged", rounds[1], moderator, "内容相同，合并办理。",
               target=target.title, target_id=target.idea.id)
        _entry(history, target, decided, "moderator", "merged_in", rounds[1], moderator,
               "内容相同，合并办理。", source=idea.title, source_id=idea.id)
        _notify(history, plan, "idea_merged", decided, target=target.title)
        idea.state_note = "内容相同，合并办理。"
        return
    revising = fate in ("revised", "revision_pending", "rejected_after_revision")
    if revising:
        note = rng.choice(REVISION_NOTES)
        _entry(history, plan, decided, "moderator", "request_revision", rounds[1], moderator, note)
        _notify(history, plan, "idea_revision_requested", decided, note=note)
    else:
        _entry(history, plan, decided, "moderator", "shortlisted", rounds[1], moderator)
        _notify(history, plan, "idea_shortlisted", decided)
    if expert is not None and plan.area == "恒丰" and rng.random() < 0.5:
        plan.extra["advice"] = history.at(1)
        _entry(history, plan, plan.extra["advice"], "expert", "advice", rounds[1], expert)
    _carry(history, plan, rounds, 2)
    version = 1
    if revising:
        version += 1
        at = history.at(2)
        plan.description += rng.choice(REVISION_ADDITIONS)
        if plan.cost_fen and rng.random() < 0.5:
            plan.cost_fen = plan.cost_fen * 9 // 10 // 100 * 100
        _version(history, plan, version, at, rounds[2])
        _entry(history, plan, at, "author", "revised", rounds[2], plan.author, version=version)
        idea.description, idea.estimated_cost_fen, idea.updated_at = plan.description, plan.cost_fen, at
    if fate == "edited_by_committee":
        version += 1
        at = history.at(2)
        plan.description += "\n\n（居委会补充）已请物业核实现场，方案可行。"
        _version(history, plan, version, at, rounds[2], by=moderator, moderator=True)
        _entry(history, plan, at, "moderator", "edited", rounds[2], moderator, version=version)
        idea.description, idea.updated_at = plan.description, at
    idea.version = version
    _carry(history, plan, rounds, 3)
    decided = history.at(3)
    idea.updated_at = max(idea.updated_at, decided)
    if fate == "revision_pending":
        note = "请再补充费用明细。"
        _entry(history, plan, decided, "moderator", "request_revision", rounds[3], moderator, note)
        _notify(history, plan, "idea_revision_requested", decided, note=note)
        idea.state_note = note
        return
    if fate == "rejected_after_revision":
        reason = rng.choice(REJECT_REASONS)
        _entry(history, plan, decided, "moderator", "rejected", rounds[3], moderator, reason)
        _notify(history, plan, "idea_rejected", decided, reason=reason)
        idea.state_note = reason
        return
    if revising:
        _entry(history, plan, decided, "moderator", "shortlisted", rounds[3], moderator)
        _notify(history, plan, "idea_shortlisted", decided)
    _carry(history, plan, rounds, 4)
    history.notes.append(dict(
        user_id=plan.author.id, kind="vote_opened", params={"title": "2019年“三微”项目征询"},
        link=f"/ideas/{idea.id}", created_at=rounds[4].opens_at, read_at=None))


def _supports_and_comments(db: Session, rng: random.Random, plans: list[Plan],
                           authors: dict[str, list[User]], demo_residents: dict[str, User | None],
                           expert: User | None, rounds: list[Round]) -> None:
    rows, comments = [], []
    supporters: dict[int, set[int]] = {}
    for plan in plans:
        pool = [u for u in authors[plan.area] + [demo_residents.get(plan.area)]
                if u is not None and u.id != plan.author.id]
        chosen = rng.sample(pool, min(plan.supports, len(pool)))
        supporters[plan.idea.id] = {u.id for u in chosen}
        submitted = plan.idea.submitted_at
        rows += [dict(idea_id=plan.idea.id, user_id=u.id, created_at=submitted + DAY) for u in chosen]
        if chosen and rng.random() < 0.3:
            comments.append(_comment(plan.idea.id, chosen[0].id, rng.choice(COMMENTS),
                                     submitted + 2 * DAY))
        if "advice" in plan.extra and expert is not None:
            comments.append(_comment(plan.idea.id, expert.id, rng.choice(ADVICE),
                                     plan.extra["advice"], expert=True))
    # merged ideas' supporters and authors join the idea they were merged into
    for plan in plans:
        if plan.target is None:
            continue
        into = supporters[plan.target.idea.id]
        for user_id in supporters[plan.idea.id] | {plan.author.id}:
            if user_id not in into and user_id != plan.target.author.id:
                into.add(user_id)
                rows.append(dict(idea_id=plan.target.idea.id, user_id=user_id,
                                 created_at=rounds[1].opens_at + DAY))
    for plan in plans:
        plan.idea.support_count = len(supporters[plan.idea.id])
    _bulk(db, Support, rows)
    _bulk(db, Comment, comments)


def _photos(db: Session, rng: random.Random, plans: list[Plan], settings: Settings) -> None:
    """A photo on a dozen ideas in the vote, re-encoded and stored like any upload."""
    chosen = [p for p in plans if p.idea.state == "shortlisted"][:12]
    for i, plan in enumerate(chosen):
        processed = process_upload(_photo(rng, PHOTO_COLOURS[i % len(PHOTO_COLOURS)]))
        key = store(processed, settings.media_dir)
        db.add(IdeaPhoto(idea_id=plan.idea.id, key=key, position=0, width=processed.width,
                         height=processed.height))


def _current_consultation(db: Session, rng: random.Random, places: dict[str, Place],
                          everywhere: list[Place], users: dict[str, User],
                          authors: dict[str, list[User]], now: datetime) -> None:
    """恒丰 this year: collection open, a few ideas in, and a draft of the demo resident's."""
    area = places["恒丰"]
    moderator = users.get("13800000002")
    year = clock.to_local(now).year
    consultation = Consultation(
        title=f"{year}年恒丰居民区微更新征集", year=year, scope_place_id=area.id,
        budget_fen=50_000_000, description="欢迎恒丰居民区的居民提出身边的微更新建议。",
        created_by=moderator.id if moderator else None, created_at=now - 12 * DAY)
    db.add(consultation)
    db.flush()
    categories = [Category(consultation_id=consultation.id, name=name, position=i)
                  for i, name in enumerate(rules.DEFAULT_CATEGORIES)]
    db.add_all(categories)
    rounds = [Round(consultation_id=consultation.id, position=1, kind="collect", title="征集建议",
                    opens_at=now - 10 * DAY, closes_at=now + 20 * DAY,
                    settings={"ideas_per_resident": 3, "supports_needed": 0}),
              Round(consultation_id=consultation.id, position=2, kind="review", title="对接筛选",
                    opens_at=now + 20 * DAY, closes_at=now + 35 * DAY, settings={}),
              Round(consultation_id=consultation.id, position=3, kind="vote", title="居民投票",
                    opens_at=now + 35 * DAY, closes_at=now + 50 * DAY, settings={})]
    db.add_all(rounds)
    db.flush()
    groups = [p for p in everywhere if p.kind == "building_group" and p.path.startswith(area.path)]
    titles = [("2号楼楼道声控灯更换", 0), ("御品大厦门口增设休息座椅", 0), ("恒丰花园垃圾厢房美化", 1),
              ("1号楼组睦邻角", 1), ("电动自行车集中充电棚", 2)]
    ideas = []
    for i, (title, category) in enumerate(titles):
        at = now - (9 - i) * DAY
        ideas.append(Idea(consultation_id=consultation.id, author_id=authors["恒丰"][i].id,
                          title=title, description=f"{title}：希望居委会和大家一起商量实施。",
                          category_id=categories[category].id, place_id=rng.choice(groups).id,
                          area_id=area.id, state="submitted", current_round_id=rounds[0].id,
                          version=1, created_at=at, updated_at=at, submitted_at=at))
    resident = users.get("13800000007")
    if resident is not None:
        ideas.append(Idea(consultation_id=consultation.id, author_id=resident.id,
                          title="楼下绿化带补种", description="恒丰花园2号楼前的绿化带有几处空了，建议补种冬青。",
                          category_id=categories[1].id, place_id=groups[0].id, area_id=area.id,
                          state="draft", created_at=now - DAY, updated_at=now - DAY))
    db.add_all(ideas)
    db.flush()
    for idea in ideas:
        if idea.state == "draft":
            continue
        db.add(IdeaRound(idea_id=idea.id, round_id=rounds[0].id, at=idea.submitted_at))
        db.add(IdeaVersion(idea_id=idea.id, number=1, title=idea.title, description=idea.description,
                           category_name=next(c.name for c in categories if c.id == idea.category_id),
                           place_name=next(g.name for g in groups if g.id == idea.place_id),
                           estimated_cost_fen=None, photo_keys=[], round_id=rounds[0].id,
                           created_at=idea.submitted_at, created_by=idea.author_id))
        db.add(TimelineEntry(idea_id=idea.id, at=idea.submitted_at, actor_id=idea.author_id,
                             actor_role="author", action="submitted", round_id=rounds[0].id))
