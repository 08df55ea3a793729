"""Builders for points tests: a club in area 恒丰 with staff, residents and an activity."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PIL import Image

from consult.accounts.models import User
from consult.permissions import Actor
from consult.points.models import Activity, Member, RedemptionDay
from consult.points.services import activities, attendance, clubs, redemption
from consult.points.services.common import ClubAt
from tests import factories
from tests.surveys.builders import person

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def sheet_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class World:
    tree: dict
    at: ClubAt
    staff: tuple[User, Actor]
    second: tuple[User, Actor]
    residents: list[tuple[User, Actor, Member]]
    outsider: tuple[User, Actor]


def world(db, settings, residents: int = 3) -> World:
    tree = factories.place_tree(db)
    staff = person(db, settings, "moderator", tree["area_a"], name="李娟")
    second = person(db, settings, "admin", tree["root"], name="王敏")
    at = clubs.create_club(db, staff[1], place_id=tree["area_a"].id, name="恒丰积分俱乐部", now=NOW)
    people = []
    for i in range(residents):
        user, actor = person(db, settings, "resident", tree["area_a"], name=f"居民{i}")
        people.append((user, actor, clubs.join(db, actor, user, at, now=NOW)))
    outsider = person(db, settings, "resident", tree["area_b"], name="郑家巷居民")
    return World(tree, at, staff, second, people, outsider)


def activity(db, w: World, *, starts=NOW + timedelta(days=1), hours=2, capacity="", kind="team",
             title="楼道清洁") -> Activity:
    return activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
        title=title, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=hours),
        capacity=capacity, venue="活动室"), now=NOW)


def award(db, settings, w: World, member: Member, *, title="楼道清洁") -> Activity:
    """An activity that happened, the member recorded and approved: 5 points (team)."""
    a = activity(db, w, starts=NOW - timedelta(hours=3), title=title)
    att = attendance.record(db, w.staff[1], w.at, a, now=NOW, card_code=member.card_code)
    attendance.approve(db, w.second[1], w.at, a, [str(att.id)], photo=sheet_photo(),
                       media_dir=settings.media_dir, now=NOW)
    return a


def day(db, w: World, *, opens=NOW + timedelta(days=2), hours=4) -> RedemptionDay:
    return redemption.add_day(db, w.staff[1], w.at, title="第四季度兑换日", opens_at=opens,
                              closes_at=opens + timedelta(hours=hours), now=NOW)
