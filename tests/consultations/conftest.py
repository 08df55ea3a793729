"""A small world for consultation tests: two areas, people in every role, one consultation.

The consultation (in area a) has a collect round open now, then a review round and a
vote round; times are relative to the real clock because pages read it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from consult import clock
from consult.accounts.models import User
from consult.communities import services as places
from consult.communities.models import Place
from consult.consultations import services
from consult.consultations.models import Category, Consultation, Round
from consult.permissions import Actor
from tests import factories

DAY = timedelta(days=1)


def jpeg(color=(200, 60, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def actor(db, user):
    return places.actor_for(db, user)


@dataclass
class ConsultationWorld:
    """What ``world`` arranges (see the module's docstring).

    ``people`` by key: resident_a, resident_a2, neighbour (residents of area a),
    resident_b (of area b), moderator_a, moderator_b, expert_a, admin (sub-district),
    unverified (no role). ``tree`` is ``factories.place_tree``; ``now`` the clock when the
    world was built; ``categories`` the consultation's default ones, in order.
    """

    db: object  # the test's session
    tree: dict[str, Place]
    people: dict[str, User]
    now: datetime
    consultation: Consultation
    collect: Round  # open now, 3 ideas per resident
    review: Round  # opens when collect closes
    vote: Round  # after the review
    categories: list[Category]
    media_dir: Path

    def actor(self, key: str) -> Actor:
        """The permissions actor of ``people[key]``, as read now."""
        return actor(self.db, self.people[key])


def build_world(db, settings) -> ConsultationWorld:
    tree = factories.place_tree(db)
    people = {}
    for key, role, place in (
        ("resident_a", "resident", "area_a"), ("resident_a2", "resident", "area_a"),
        ("neighbour", "resident", "area_a"),
        ("resident_b", "resident", "area_b"), ("moderator_a", "moderator", "area_a"),
        ("moderator_b", "moderator", "area_b"), ("expert_a", "expert", "area_a"),
        ("admin", "admin", "root"), ("unverified", None, None),
    ):
        user = factories.user(db, settings, name=key)
        if role:
            places.grant_role(db, user=user, role=role, place=tree[place])
        people[key] = user
    now = clock.utcnow()
    admin = actor(db, people["admin"])
    consultation = services.create_consultation(
        db, admin, scope_place_id=tree["area_a"].id, title="2026 三微征集", year="2026",
        description="小微项目", budget="200000")
    collect = services.add_round(db, admin, consultation, kind="collect", opens_at=now - DAY,
                                 closes_at=now + 7 * DAY, ideas_per_resident="3")
    review = services.add_round(db, admin, consultation, kind="review", opens_at=now + 7 * DAY,
                                closes_at=now + 14 * DAY)
    vote = services.add_round(db, admin, consultation, kind="vote", opens_at=now + 14 * DAY,
                              closes_at=now + 21 * DAY)
    categories = services.categories_of(db, consultation.id)
    db.flush()
    return ConsultationWorld(db, tree, people, now, consultation, collect, review, vote,
                             categories, settings.media_dir)


@pytest.fixture
def world(db, settings) -> ConsultationWorld:
    return build_world(db, settings)


def new_idea(db, world, *, author="resident_a", title="楼道灯更换", description="三号楼楼道灯坏了",
             category=0, place=None, cost="1200", photos=(), submit=True, now=None):
    """Create (and by default submit) an idea through the services."""
    place = place or world.tree["group_a"]
    idea = services.create_draft(
        db, world.actor(author), world.people[author], world.consultation, title=title,
        description=description, category_id=world.categories[category].id, place_id=place.id,
        estimated_cost=cost, photos=list(photos), media_dir=world.media_dir, now=now or world.now)
    if submit:
        services.submit_idea(db, world.actor(author), idea, now or world.now)
    return idea
