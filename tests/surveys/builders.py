"""Builders for survey tests: people with roles, and a survey with every kind of question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consult.communities import services as places
from consult.communities.models import Home, HomeOwner
from consult.surveys import services
from consult.surveys.rules import QuestionDraft
from tests import factories

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
OPENS = NOW - timedelta(days=1)
CLOSES = NOW + timedelta(days=6)


def person(db, settings, role=None, place=None, name="测试居民"):
    """A user (optionally holding ``role`` at ``place``) and their actor."""
    user = factories.user(db, settings, name=name)
    if role:
        places.grant_role(db, user=user, role=role, place=place)
    return user, places.actor_for(db, user)


def home(db, estate, group, code, owner=None, developer=False):
    h = Home(estate_id=estate.id, building_group_id=group.id if group else None, code=code,
             building="1号楼", room=code, area_hundredths=8850, developer_held=developer)
    db.add(h)
    db.flush()
    if owner is not None:
        db.add(HomeOwner(home_id=h.id, name=owner.display_name, user_id=owner.id))
        db.flush()
    return h


ALL_KINDS = [
    QuestionDraft(kind="satisfaction", text="您对业委会工作总体是否满意？"),
    QuestionDraft(kind="stars", text="请为小区环境打星"),
    QuestionDraft(kind="single", text="您多久参加一次活动？", options=("每周", "每月", "很少")),
    QuestionDraft(kind="multiple", text="您最关心哪些事？", options=("停车", "绿化", "安全", "卫生"),
                  max_choices=2, required=False),
    QuestionDraft(kind="number", text="您在小区住了多少年？", min_value=0, max_value=100, required=False),
    QuestionDraft(kind="text", text="其他意见", max_length=50, required=False),
]


def survey(db, staff_actor, place, *, audience="residents", anonymous=False, opens=OPENS,
           closes=CLOSES, drafts=ALL_KINDS, title="满意度测评"):
    s = services.create_survey(db, staff_actor, place_id=place.id, title=title, description="",
                               audience=audience, anonymous=anonymous, opens_at=opens,
                               closes_at=closes)
    for draft in drafts:  # built before it opens
        services.add_question(db, staff_actor, s, draft, now=opens - timedelta(hours=1))
    return services.load_form(db, s.id)


def good_answers(form, level=5, stars=4):
    """A complete, valid answer to a survey built from ALL_KINDS."""
    q = {x.kind: x for x in form.questions}
    raw = {}
    if "satisfaction" in q:
        raw[f"q{q['satisfaction'].id}"] = [str(level)]
    if "stars" in q:
        raw[f"q{q['stars'].id}"] = [str(stars)]
    if "single" in q:
        raw[f"q{q['single'].id}"] = [str(form.options[q["single"].id][0].id)]
    return raw
