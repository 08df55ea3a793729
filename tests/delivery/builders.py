"""Builders for delivery tests: a world of people with roles, a confirmed vote whose
selected ideas became projects, projects put in any state, and a photo."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image

from consult import consultations
from consult.communities import services as places
from consult.delivery.models import Project
from consult.delivery.services import projects, register
from consult.permissions import ANONYMOUS
from consult.voting import VoteResult, VoteSettings, finalize_due
from tests import factories

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def jpeg(size=(64, 48), colour=(120, 160, 110)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


ROLES = {  # name → (role, place key) ; "in" is 恒丰 (area_a), "out" 郑家巷 (area_b)
    "resident_in": ("resident", "area_a"), "resident_out": ("resident", "area_b"),
    "resident_in2": ("resident", "area_a"), "owners_rep_in": ("owners_rep", "estate_a"),
    "owner_in": ("owner", "estate_a"), "expert_in": ("expert", "area_a"),
    "moderator_in": ("moderator", "area_a"), "moderator_in2": ("moderator", "area_a"),
    "moderator_out": ("moderator", "area_b"), "admin": ("admin", "root"),
}


@dataclass
class World:
    db: object
    tree: dict
    users: dict = field(default_factory=dict)
    actors: dict = field(default_factory=dict)

    def actor(self, name):
        return self.actors[name]

    def user(self, name):
        return self.users.get(name)


def world(db, settings) -> World:
    w = World(db, factories.place_tree(db))
    w.actors["anonymous"] = ANONYMOUS
    unverified = factories.user(db, settings, name="unverified")
    w.users["unverified"], w.actors["unverified"] = unverified, places.actor_for(db, unverified)
    for name, (role, place) in ROLES.items():
        user = factories.user(db, settings, name=name, login=None)
        places.grant_role(db, user=user, role=role, place=w.tree[place])
        w.users[name] = user
    for name, user in w.users.items():
        w.actors[name] = places.actor_for(db, user)
    return w


def confirmed_vote(db, w: World, ideas=(("楼道扶手", 1200000), ("睦邻角", 800000), ("雨棚", 500000)),
                   selected=(0, 1), now=NOW):
    """A consultation of 恒丰 with a published vote whose notice period has ended; the
    daily ``finalize_due`` confirms it, and its selected ideas become projects."""
    held = consultations.create_held_vote(
        db, scope=w.tree["estate_a"], title="恒丰微更新", year=2026, budget_fen=3_000_000, description="",
        category_name="微设施", round_title="投票", opens_at=now - 30 * DAY, closes_at=now - 20 * DAY,
        author_id=w.users["resident_in"].id, ideas=[(t, "说明", c) for t, c in ideas], now=now - 40 * DAY)
    db.add(VoteSettings(round_id=held.round.id, ballot_kind="approval", rule="greedy", max_choices=2,
                        min_choices=1, eligibility="residents", notice_days=7, updated_at=now - 31 * DAY))
    chosen = [held.idea_ids[i] for i in selected]
    db.add(VoteResult(round_id=held.round.id, rule="greedy", parameters={}, scores={}, selected=chosen,
                      ballot_digest="0" * 64, ballots=0, tie_breaking="", published_at=now - 15 * DAY,
                      notice_until=now - 8 * DAY))
    db.flush()
    done = finalize_due(db, now)
    assert [d.problem for d in done] == [None]
    return held, chosen


def project(db, w: World, *, state="planned", category="zizhi", kind="lighting", budget="10000",
            place="estate_a", accepted_days_ago=40, now=NOW) -> Project:
    """A project decided outside a vote, put straight into ``state`` (for lifecycle tests)."""
    p = projects.create(db, w.actor("admin"), place_id=w.tree[place].id, year=2026, now=now - 100 * DAY,
                        data=projects.ProjectInput(title="测试项目", category=category, kind=kind, budget=budget,
                                                   delivery_party="juweihui", upkeep_party="wuye"))
    p.state = state
    if state in ("accepted", "in_use", "retired"):
        p.accepted_on = (now - accepted_days_ago * DAY).date()
        p.next_check_due = (now + 300 * DAY).date()
    if category == "gongchou":
        p.meeting_on = (now - 90 * DAY).date()
    db.add(p)
    db.flush()
    return p


def all_pass(p) -> dict:
    from consult.delivery import rules

    return {k: register.ItemInput(result="pass") for k, _ in rules.CHECKLISTS[p.kind]}
