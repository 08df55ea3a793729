"""Demo people without e-mail (issue 17): a managed resident served at the desk, a family
member linked to a resident, a reset slip, and the text messages these events sent.

恒丰's moderator (13800000002) added 钱桂芳, who has no phone, and acted for her at the
desk this morning; 刘建华 (13800000022) is the linked family member of 刘秀英
(13800000007), with her confirmation; 郑家巷's moderator printed a reset slip for 赵强
yesterday. Yesterday morning's digests told people of their news: staff see them at
/staff/messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts import acting, family, resets
from consult.accounts.models import ActingSession, User
from consult.communities.models import Place
from consult.communities.services import actor_for


def _yesterday_morning(now: datetime) -> datetime:
    """10:30 Beijing time the day before ``now``: when the demo's digests went (the
    messaging demo's notice held back last night still waits for 08:00 today)."""
    local = clock.to_local(now) - timedelta(days=1)
    return clock.from_local(local.replace(hour=10, minute=30, second=0, microsecond=0, tzinfo=None))


def load(db: Session, settings, places: dict[str, Place], users: dict[str, User],
         now: datetime | None = None) -> None:
    from consult.notifications import services as notifications

    now = now or clock.utcnow()
    moderator = users["13800000002"]
    staff = actor_for(db, moderator)
    managed = acting.create_managed_resident(db, staff, name="钱桂芳", area_id=places["恒丰"].id,
                                             note="恒丰花园 5号楼", now=now - timedelta(hours=2))
    acting._start(db, helper_id=moderator.id, person=managed, kind="desk",
                  reason="窗口代办：无智能手机，本人到场", now=now - timedelta(hours=1))
    session = db.exec(select(ActingSession).where(ActingSession.person_id == managed.id)).one()
    acting.log_action(db, session, action="survey_answer", path="/surveys",
                      now=now - timedelta(minutes=50))
    acting.finish(db, session, now - timedelta(minutes=40), how="done")

    mother, son = users["13800000007"], users["13800000022"]
    link = family.ask_to_help(db, actor_for(db, son), phone=mother.phone, now=now - timedelta(days=2))
    family.confirm(db, actor_for(db, mother), link.id, now - timedelta(days=2))

    desk = actor_for(db, users["13800000003"])
    resets.issue_slip(db, desk, settings, login="13800000008", reason="忘记密码，本人持身份证到场",
                      id_checked=True, now=now - timedelta(days=1))
    notifications.send_digests(db, _yesterday_morning(now))
    db.flush()

