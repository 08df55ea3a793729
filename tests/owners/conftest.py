"""An estate with a small register, its staff and owners, for the owners' vote tests.

The register (the same as in test_cli.py): li holds two homes (200 m²), the couple
wang + zhao two homes listed in both orders (100 m²), the developer two unsold homes
(200 m²) and qian one home (100 m²): four owners, 600.00 m².
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consult.communities import services as communities
from consult.owners import services
from consult.permissions import Actor
from tests import factories

HOMES = (
    "home_id,building,room,area_m2,owners,developer_held\n"
    "1-101,1,101,100.00,li,0\n"
    "1-102,1,102,100.00,li,0\n"
    "1-103,1,103,50.50,wang;zhao,0\n"
    "1-104,1,104,49.50,zhao;wang,0\n"
    "1-105,1,105,100.00,,1\n"
    "1-106,1,106,100.00,,1\n"
    "1-107,1,107,100.00,qian,0\n"
)
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OPENS = NOW - timedelta(days=1)
CLOSES = NOW + timedelta(days=6)
BEFORE = OPENS - timedelta(hours=1)
AFTER = CLOSES + timedelta(hours=1)


def actor_of(db, user) -> Actor:
    return communities.actor_for(db, user)


class World:
    """Everything a test may need, built once per test inside its transaction."""

    def __init__(self, db, settings):
        self.db = db
        self.settings = settings
        self.tree = factories.place_tree(db)
        self.estate = self.tree["estate_a"]
        self.other_estate = self.tree["estate_b"]
        self.moderator = factories.user(db, settings, name="李娟")
        communities.grant_role(db, user=self.moderator, role="moderator", place=self.tree["area_a"])
        self.moderator2 = factories.user(db, settings, name="张伟")
        communities.grant_role(db, user=self.moderator2, role="moderator", place=self.tree["area_a"])
        self.li = factories.user(db, settings, name="li")
        self.wang = factories.user(db, settings, name="wang")
        self.zhao = factories.user(db, settings, name="zhao")
        staff = actor_of(db, self.moderator)
        services.import_register(db, staff, self.estate, filename="homes.csv",
                                 data=HOMES.encode(), now=NOW)
        for name, user in (("li", self.li), ("wang", self.wang), ("zhao", self.zhao)):
            self.link(name, user, staff)
        db.flush()

    def link(self, name: str, user, staff: Actor | None = None, now=NOW):
        """Staff ask for the link, the account holder confirms it on their page."""
        request = services.request_link(self.db, staff or self.staff, self.owner_row(name).id,
                                        phone=user.phone, now=now)
        return services.confirm_link(self.db, self.actor(user), request.id, method="owner", now=now)

    def owner_row(self, name: str):
        from sqlmodel import select

        from consult.communities.models import Home, HomeOwner

        return self.db.exec(select(HomeOwner).join(Home, Home.id == HomeOwner.home_id).where(
            Home.estate_id == self.estate.id, HomeOwner.name == name).order_by(HomeOwner.id)).first()

    def actor(self, user) -> Actor:
        return actor_of(self.db, user)

    @property
    def staff(self) -> Actor:
        return self.actor(self.moderator)

    def matter(self, kind="ordinary", double_key=False, opens=OPENS, closes=CLOSES, now=BEFORE):
        return services.create_matter(
            self.db, self.staff, self.estate, title="续聘物业服务企业", kind=kind,
            description="", opens_at=opens, closes_at=closes, paper_double_key=double_key, now=now)

    def vote(self, user, matter, choice="agree", now=NOW):
        [voice] = services.voices(self.db, user, matter)
        return services.cast_web_ballot(self.db, self.actor(user), user, matter.id,
                                        owner=voice.digest, choice=choice, now=now)


@pytest.fixture
def world(db, settings) -> World:
    return World(db, settings)
