"""Demo text messages: what the demo's events would have sent, on the outbox page.

The open vote's notice went to the demo residents yesterday morning; the new user who
waits for verification asked for a code; a resident of 郑家巷 replied TD, so last night's
reminder to her was not sent; and one notice asked for last night waits for 08:00
(or for ``send-due``). Staff see them all at /staff/messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from consult import clock
from consult.accounts.models import User
from consult.communities.models import Place
from consult.messaging import services


def _at(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    local = clock.to_local(now) - timedelta(days=days_ago)
    return clock.from_local(local.replace(hour=hour, minute=minute, second=0, tzinfo=None))


def load(db: Session, places: dict[str, Place], users: dict[str, User], *,
         vote: tuple[str, datetime] | None = None, now: datetime | None = None) -> None:
    """``vote``: the open vote's title and closing time (the demo's own lookup; this domain
    knows no consultation)."""
    now = now or clock.utcnow()
    title = vote[0] if vote else "社区微更新投票"
    closes = f"{clock.to_local(vote[1]):%m月%d日}" if vote else "下周五"
    residents = [(users[login], places[area]) for login, area in
                 (("13800000007", "恒丰"), ("13800000008", "郑家巷"))
                 if login in users and area in places]
    for user, place in residents:
        services.send_sms(db, to=user.phone, template="vote_opened", params={"title": title, "closes": closes},
                          kind="notice", now=_at(now, 1, 10), user_id=user.id, place_id=place.id)
    if "13800000009" in users:
        person = users["13800000009"]
        services.send_sms(db, to=person.phone, template="verification_code",
                          params={"code": "482913", "minutes": 10}, kind="code",
                          now=_at(now, 1, 22, 15), user_id=person.id, address="192.0.2.10")
    if "13800000008" in users:
        resident = users["13800000008"]
        services.record_reply(db, phone=resident.phone, text="TD", now=_at(now, 1, 12))
        services.send_sms(db, to=resident.phone, template="digest",
                          params={"count": 2, "summary": "投票即将截止；新的征询"}, kind="notice",
                          now=_at(now, 1, 18), user_id=resident.id, place_id=places["郑家巷"].id)
    if "13800000007" in users:
        resident = users["13800000007"]
        evening = _at(now, 0 if clock.to_local(now).hour >= 22 else 1, 22)  # the last 22:00
        services.send_sms(db, to=resident.phone, template="digest",
                          params={"count": 1, "summary": "您的建议已入围"}, kind="notice",
                          now=evening, user_id=resident.id, place_id=places["恒丰"].id)
