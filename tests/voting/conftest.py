"""A small world for voting tests: two areas, people in every role, a vote round open now.

The consultation is scoped to area a (恒丰) with a budget of ¥10,000. Its vote round
carries four shortlisted ideas costing ¥4,000, ¥3,000, ¥2,500 and ¥1,500, and has
settings "approval within the budget, greedy". Times are relative to the real clock
because pages read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from consult import clock
from consult.accounts.models import User
from consult.communities import services as places
from consult.communities.models import Home, HomeOwner, Place
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from consult.permissions import Actor
from consult.voting import services
from consult.voting.models import VoteSettings
from tests import factories

DAY = timedelta(days=1)
COSTS = (400_000, 300_000, 250_000, 150_000)  # fen
TITLES = ("楼道灯更换", "加装扶手", "绿角改造", "增设座椅")


def actor(db, user):
    return places.actor_for(db, user)


@dataclass
class ArrangedVote:
    """A consultation whose only round is a vote round (``add_vote_round``)."""

    consultation: Consultation
    round: Round
    ideas: list[Idea]  # in the order of the costs given
    category: Category


def add_vote_round(db, *, scope, author, budget_fen=1_000_000, costs=COSTS, titles=TITLES,
                   opens_at, closes_at, settings=None, title="居民投票") -> ArrangedVote:
    """A consultation whose only round is a vote round carrying shortlisted ideas (one per
    cost), with ``settings`` saved (default: approval within the budget, greedy)."""
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
    return ArrangedVote(consultation, item, ideas, category)


@dataclass
class VoteWorld:
    """What ``world`` arranges (see the module's docstring).

    ``people`` by key: voter, voter2, voter3 (residents of area a), outsider (of area b),
    moderator, moderator2 (area a), moderator_b, expert (area a), owner (owner of record of
    ``home`` in estate a), admin (sub-district), unverified (no role). ``tree`` is
    ``factories.place_tree``. ``now`` is the clock when the world was built.
    """

    db: object  # the test's session
    tree: dict[str, Place]
    people: dict[str, User]
    now: datetime
    vote: ArrangedVote
    home: Home

    @property
    def round(self) -> Round:
        return self.vote.round

    @property
    def ideas(self) -> list[Idea]:
        return self.vote.ideas

    def actor(self, key: str) -> Actor:
        """The permissions actor of ``people[key]``, as read now."""
        return actor(self.db, self.people[key])

    def load(self, round_: Round | None = None, now_: datetime | None = None) -> services.VoteRound:
        """``services.load_round`` of the world's round (or ``round_``) at ``now_`` (default:
        the clock now)."""
        return services.load_round(self.db, (round_ or self.vote.round).id, now_ or clock.utcnow())


def build_world(db, settings) -> VoteWorld:
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
    return VoteWorld(db, tree, people, now, vote, home)


@pytest.fixture(autouse=True)
def _empty_turnout_cache():
    """Each test starts with no kept turnout: ids and versions come again when tests roll back."""
    services.clear_turnout_cache()
    yield
    services.clear_turnout_cache()


@pytest.fixture
def world(db, settings) -> VoteWorld:
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


def load_voting_demo(db, settings):
    """The demo's places, people, consultations and votes (``consult.voting.demo``)."""
    from consult.communities import demo as communities_demo
    from consult.consultations import demo as consultations_demo
    from consult.voting import demo

    places = communities_demo.load_places(db)
    users = communities_demo.load_people(db, settings, places)
    consultations_demo.load(db, settings, places, users)
    demo.load(db, settings, places, users)
    return places, users


def ids(ideas, *indexes):
    return [str(ideas[i].id) for i in indexes]


def one_ballot_cast(url: str, settings, now: datetime) -> int:
    """On the migrated database at ``url`` (the migration tests' own file or schema): a
    resident of area a casts one ballot in an open round, committed. Returns the round's id."""
    from sqlmodel import Session

    from consult.db.engine import make_engine
    from consult.voting.rules import RawBallot

    engine = make_engine(url)
    with Session(engine) as db:
        tree = factories.place_tree(db)
        voter = factories.user(db, settings, name="甲")
        places.grant_role(db, user=voter, role="resident", place=tree["area_a"])
        vote = add_vote_round(db, scope=tree["area_a"], author=voter, opens_at=now - timedelta(days=1),
                              closes_at=now + timedelta(days=1))
        vr = services.load_round(db, vote.round.id, now)
        services.cast(db, places.actor_for(db, voter), voter, vr, RawBallot(choices=ids(vote.ideas, 0)), now)
        db.commit()
        round_id = vote.round.id
    engine.dispose()
    return round_id


def api_headers(client, world, key):
    """The Authorization header of a fresh API token of ``world.people[key]``."""
    response = client.post("/api/v1/auth/token", json={"login": world.people[key].login,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
