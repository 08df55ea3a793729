"""Demo owners' votes: an open ordinary matter in 御品大厦, a closed major one in 国际丽都城.

Everything goes through the services, at the times it would have happened, so
the demo is what the product would hold after real use: paper ballots (keyed
twice in 国际丽都城, one mismatch resolved), proxy ballots with their forms, an
online ballot, a voided one re-cast.  吴建国 (13800000006) holds two homes of
御品大厦 and has not voted yet: sign in as him and vote.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.models import Home, HomeOwner, Place, RoleAssignment
from consult.config import Settings

from . import rules, services
from .models import OwnerBallot

ADMIN = "13800000001"
OWNER = "13800000006"  # 吴建国, two homes of 御品大厦
OWNERS_REP = "13800000005"  # 周海燕, owners' rep and owner of 国际丽都城


def _pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (ASCII), built by hand with a correct xref table."""
    stream = f"BT /F1 18 Tf 72 760 Td ({title}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _user(db: Session, login: str) -> User:
    return db.exec(select(User).where(User.login == login)).one()


def _moderator_of(db: Session, area: Place) -> User:
    return db.exec(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == "moderator", RoleAssignment.place_id == area.id)).first()


def _owners_by_key(db: Session, estate: Place) -> dict[rules.OwnerKey, rules.Holding]:
    return rules.holdings(services.estate_homes(db, estate))


def _link_rep(db: Session, estate: Place) -> None:
    """周海燕 becomes the owner of record of one home of 国际丽都城, linked to her account."""
    rep = _user(db, OWNERS_REP)
    home = db.exec(select(Home).where(Home.estate_id == estate.id, Home.developer_held.is_(False))
                   .order_by(Home.id.desc())).first()
    for owner in db.exec(select(HomeOwner).where(HomeOwner.home_id == home.id)).all():
        db.delete(owner)
    db.flush()
    db.add(HomeOwner(home_id=home.id, name=rep.display_name, user_id=rep.id))
    db.flush()


def _vote_on_paper(db, settings, staff, second, matter, holdings, rng, at, *, serial_prefix,
                   share, agree_weight, skip=()):
    """Paper ballots (and a few proxies) for a ``share`` of the owners, keyed at ``at``."""
    number = 0
    for key, holding in holdings.items():
        if key in skip or rng.random() >= share:
            continue
        number += 1
        choice = rng.choices(["agree", "disagree", "abstain"],
                             weights=[agree_weight, (1 - agree_weight) * 0.6, (1 - agree_weight) * 0.4])[0]
        home = holding.home_ids[-1]  # multi-home owners hand in one paper for all
        when = at + timedelta(hours=number)
        if number % 9 == 0:
            holder = "代理人" + rng.choice("明华强伟敏")
            services.enter_proxy_ballot(db, staff, settings, matter.id, home=home,
                                        choice=choice, holder=holder, filename="委托书.pdf",
                                        scan=_pdf(f"Proxy form for home {home}"), now=when)
            continue
        serial = f"{serial_prefix}-{number:04d}"
        services.enter_paper_ballot(db, staff, matter.id, serial=serial, home=home,
                                    choice=choice, now=when)
        if second is not None:
            services.enter_paper_ballot(db, second, matter.id, serial=serial, home=home,
                                        choice=choice, now=when + timedelta(minutes=30))
    return number


def load(db: Session, settings: Settings, places: dict[str, Place],
         now: datetime | None = None) -> None:
    """Create the two demo votes; called once by :func:`consult.demo.load`."""
    now = now or clock.utcnow()
    rng = random.Random(278)
    admin = communities.actor_for(db, _user(db, ADMIN))

    # 国际丽都城: a major matter, keyed twice, closed two weeks ago with a result.
    lido = places["国际丽都城"]
    _link_rep(db, lido)
    taihe_staff = communities.actor_for(db, _moderator_of(db, places["太和"]))
    opens, closes = now - timedelta(days=30), now - timedelta(days=14)
    lift = services.create_matter(
        db, admin, lido, title="续筹专项维修资金（用于更换3号楼电梯）", kind="maintenance_fund_raise",
        description=("3号楼两部电梯已使用二十余年，多次困人，更换约需 86 万元，专项维修资金余额不足。"
                     "拟按专有部分面积续筹，方案和报价见附件。\n按《民法典》第二百七十八条第一款第六项，"
                     "筹集维修资金须经参与表决专有部分面积四分之三以上且参与表决人数四分之三以上的业主同意"
                     "（使用维修资金则过半数即可）。"),
        opens_at=opens, closes_at=closes, paper_double_key=True, now=opens - timedelta(days=7))
    services.add_attachment(db, admin, settings, lift.id, filename="电梯更换方案及报价.pdf",
                            data=_pdf("Lift replacement plan and quotation"), now=opens - timedelta(days=6))
    holdings = _owners_by_key(db, lido)
    rep = _user(db, OWNERS_REP)
    services.cast_web_ballot(db, communities.actor_for(db, rep), rep, lift.id, owner="",
                             choice="agree", now=opens + timedelta(hours=2))
    rep_key = frozenset({rep.display_name})
    _vote_on_paper(db, settings, taihe_staff, admin, lift, holdings, rng, opens + timedelta(days=1),
                   serial_prefix="LD", share=0.86, agree_weight=0.9, skip={rep_key})
    # one paper keyed differently by the two staff members, then checked and resolved
    unvoted = [k for k, h in holdings.items() if k not in (rep_key,) and not _has_ballot(db, lift, k)]
    key = unvoted[0]
    home = holdings[key].home_ids[0]
    when = opens + timedelta(days=6)
    services.enter_paper_ballot(db, taihe_staff, lift.id, serial="LD-9001", home=home,
                                choice="agree", now=when)
    entry = services.enter_paper_ballot(db, admin, lift.id, serial="LD-9001", home=home,
                                        choice="disagree", now=when + timedelta(minutes=20))
    services.resolve_mismatch(db, admin, entry.ballot.id, keep="first",  # not the first keyer
                              now=when + timedelta(hours=1))

    # 御品大厦: an ordinary matter, open now; 吴建国 has not voted yet.
    yupin = places["御品大厦"]
    hengfeng_staff = communities.actor_for(db, _moderator_of(db, places["恒丰"]))
    opens, closes = now - timedelta(days=3), now + timedelta(days=11)
    renew = services.create_matter(
        db, hengfeng_staff, yupin, title="续聘物业服务企业（2027—2029 年）", kind="ordinary",
        description=("现物业服务合同将于 2026 年 12 月 31 日到期。业主委员会提议续聘现物业服务企业三年，"
                     "物业费标准不变。\n须经参与表决专有部分面积过半数且参与表决人数过半数的业主同意。"),
        opens_at=opens, closes_at=closes, paper_double_key=False, now=opens - timedelta(days=10))
    services.add_attachment(db, hengfeng_staff, settings, renew.id, filename="物业服务合同（草案）.pdf",
                            data=_pdf("Property service contract (draft)"), now=opens - timedelta(days=9))
    holdings = _owners_by_key(db, yupin)
    wu_key = frozenset({_user(db, OWNER).display_name})
    _vote_on_paper(db, settings, hengfeng_staff, None, renew, holdings, rng, opens + timedelta(hours=3),
                   serial_prefix="YP", share=0.45, agree_weight=0.7, skip={wu_key})
    # a paper entered for the wrong owner is voided, and the owner votes again
    voted = db.exec(select(OwnerBallot).where(OwnerBallot.matter_id == renew.id,
                                                       OwnerBallot.channel == "paper")
                    .order_by(OwnerBallot.id)).first()
    services.void_ballot(db, admin, voted.id, reason="房号录错，业主申请更正",  # not who entered it
                         now=opens + timedelta(days=1))
    services.enter_paper_ballot(db, hengfeng_staff, renew.id, serial=voted.paper_serial,
                                home=voted.home_code, choice="agree", now=opens + timedelta(days=1, hours=1))
    db.flush()


def _has_ballot(db: Session, matter, key: rules.OwnerKey) -> bool:
    return db.exec(select(OwnerBallot.id).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.owner_key == rules.owner_digest(key))).first() is not None
