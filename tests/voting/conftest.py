"""A small world for voting tests: two areas, people in every role, a vote round open now.

The consultation is scoped to area a (恒丰) with a budget of ¥10,000. Its vote round
carries four shortlisted ideas costing ¥4,000, ¥3,000, ¥2,500 and ¥1,500, and has
settings "approval within the budget, greedy". Times are relative to the real clock
because pages read it.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from consult import clock
from consult.communities import services as places
from consult.communities.models import HomeOwner
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from consult.voting import services
from consult.voting.models import VoteSettings
from tests import factories

DAY = timedelta(days=1)
COSTS = (400_000, 300_000, 250_000, 150_000)  # fen
TITLES = ("楼道灯更换", "加装扶手", "绿角改造", "增设座椅")


def actor(db, user):
    return places.actor_for(db, user)


def add_vote_round(db, *, scope, author, budget_fen=1_000_000, costs=COSTS, titles=TITLES,
                   opens_at, closes_at, settings=None, title="居民投票"):
    """A consultation whose only round is a vote round carrying shortlisted ideas."""
    consultation = Consultation(title="2026 微更新", year=2026, scope_place_id=scope.id,
                                budget_fen=budget_fen)
    db.add(consultation)
    db.flush()
    category = Category(consultation_id=consultation.id, name="实事项目")
    item = Round(consultation_id=consultation.id, position=1, kind="vote", title=title,
                 opens_at=opens_at, closes_at=closes_at, settings={})
    db.add_all([category, item])
    db.flush()
    ideas = []
    for title_, cost in zip(titles, costs, strict=True):
        idea = Idea(consultation_id=consultation.id, author_id=author.id, title=title_,
                    description=f"{title_}：说明", category_id=category.id, place_id=scope.id,
                    area_id=scope.id if scope.kind == "area" else None, estimated_cost_fen=cost,
                    state="shortlisted", current_round_id=item.id, version=1)
        db.add(idea)
        ideas.append(idea)
    db.flush()
    for idea in ideas:
        db.add(IdeaRound(idea_id=idea.id, round_id=item.id))
    db.add(VoteSettings(round_id=item.id, **(settings or {"ballot_kind": "approval_budget",
                                                           "rule": "greedy"})))
    db.flush()
    return SimpleNamespace(consultation=consultation, round=item, ideas=ideas, category=category)


def build_world(db, settings):
    tree = factories.place_tree(db)
    people = {}
    for key, role, place in (
        ("voter", "resident", "area_a"), ("voter2", "resident", "area_a"),
        ("voter3", "resident", "area_a"), ("outsider", "resident", "area_b"),
        ("moderator", "moderator", "area_a"), ("moderator2", "moderator", "area_a"),
        ("moderator_b", "moderator", "area_b"), ("expert", "expert", "area_a"),
        ("owner", "owner", "estate_a"), ("admin", "admin", "root"), ("unverified", None, None),
    ):
        user = factories.user(db, settings, name=key)
        if role:
            places.grant_role(db, user=user, role=role, place=tree[place])
        people[key] = user
    now = clock.utcnow()
    vote = add_vote_round(db, scope=tree["area_a"], author=people["voter3"],
                          opens_at=now - DAY, closes_at=now + 7 * DAY)
    home = places.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code="1-101",
                           building="1号楼", room="101", area_hundredths=8000, owners=["owner"])
    db.execute(update(HomeOwner).where(HomeOwner.home_id == home.id)
               .values(user_id=people["owner"].id))
    db.flush()
    return SimpleNamespace(
        tree=tree, people=people, now=now, vote=vote, round=vote.round, ideas=vote.ideas,
        home=home, actor=lambda key: actor(db, people[key]),
        load=lambda round_=None, now_=None: services.load_round(db, (round_ or vote.round).id,
                                                                now_ or clock.utcnow()),
    )


@pytest.fixture
def world(db, settings):
    return build_world(db, settings)


def set_settings(db, round_id, **values):
    settings = db.get(VoteSettings, round_id)
    for name, value in values.items():
        setattr(settings, name, value)
    db.add(settings)
    db.flush()


def close_round(db, item, when=None):
    """Move the round's closing time into the past (as closing early would)."""
    item.closes_at = when or clock.utcnow() - timedelta(minutes=1)
    if item.opens_at >= item.closes_at:
        item.opens_at = item.closes_at - DAY
    db.add(item)
    db.flush()


def ids(ideas, *indexes):
    return [str(ideas[i].id) for i in indexes]


def api_headers(client, world, key):
    """The Authorization header of a fresh API token of ``world.people[key]``."""
    response = client.post("/api/v1/auth/token", json={"login": world.people[key].login,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
