"""Demo surveys: the open satisfaction surveys of two owners' committees, with paper
forms already entered (the star ratings built on surveys are :mod:`consult.ratings.demo`).

What it makes (deterministically, from a fixed seed; times relative to loading):

- open satisfaction surveys for the owners' committees of 国际丽都城 (owners, named,
  with a breakdown by building group) and 御品大厦 (residents of 恒丰, anonymous), with
  paper forms already entered.

The ratings demo builds on this one: it makes each committee's annual survey with
:func:`survey` and :func:`paper_forms` and continues the random sequence :func:`load`
returns, so the demo is the same whichever domain's part it is read from.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import demo as communities_demo
from consult.communities import services as places
from consult.communities.models import Home, Place
from consult.config import Settings
from consult.surveys import services
from consult.surveys.rules import QuestionDraft

SEED = 2026
#: The ten owners' committees rated, with how well each one does (0–1).
COMMITTEES = {
    "国际丽都城": 0.92, "御品大厦": 0.88, "恒丰花园": 0.95, "中华新城": 0.85, "东王公寓": 0.8,
    "太和苑": 0.78, "石二新村": 0.74, "新福康里小区": 0.71, "景华新村": 0.46, "泰兴大厦": 0.4,
}
OPEN_QUESTIONS = [
    QuestionDraft(kind="satisfaction", text="您对本小区业委会的总体工作是否满意？"),
    QuestionDraft(kind="satisfaction", text="您对业委会信息公开（财务收支、会议纪要）是否满意？"),
    QuestionDraft(kind="satisfaction", text="您对维修资金使用的透明度是否满意？"),
    QuestionDraft(kind="stars", text="请为小区环境卫生打星（1–5 星）"),
    QuestionDraft(kind="single", text="今年您参加过业主大会或业主代表座谈会吗？",
                  options=("参加过", "没参加过", "不知道有这个会")),
    QuestionDraft(kind="multiple", text="您最希望业委会优先办的事（最多选 2 项）",
                  options=("加装电梯", "停车管理", "绿化养护", "外墙维修", "安防监控"), max_choices=2),
    QuestionDraft(kind="text", text="其他意见和建议", max_length=300, required=False),
]
ANNUAL_QUESTIONS = [
    QuestionDraft(kind="satisfaction", text="您对业委会年度履职是否满意？"),
    QuestionDraft(kind="satisfaction", text="您对业委会信息公开是否满意？"),
    QuestionDraft(kind="stars", text="请为业委会与业主的沟通打星"),
]
SUGGESTIONS = ["希望楼道灯早点修好。", "停车位太紧张，建议错峰停车。", "业委会公告请贴在每个楼道口。",
               "感谢业委会的辛苦付出！", "绿化带需要修剪。", "希望多开几次座谈会听听大家意见。"]


def _level(rng: random.Random, quality: float) -> int:
    """A satisfaction level 1–5 drawn around a committee's quality."""
    roll = rng.random()
    if roll < quality * 0.55:
        return 5
    if roll < quality:
        return 4
    return rng.choice((3, 3, 2, 1))




def _answers(form: services.SurveyForm, rng: random.Random, quality: float) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for q in form.questions:
        options = [str(o.id) for o in form.options.get(q.id, [])]
        if q.kind in ("satisfaction", "stars"):
            raw[f"q{q.id}"] = [str(_level(rng, quality))]
        elif q.kind == "single":
            raw[f"q{q.id}"] = [rng.choice(options)]
        elif q.kind == "multiple":
            raw[f"q{q.id}"] = rng.sample(options, rng.choice((1, 2)))
        elif q.kind == "text" and rng.random() < 0.3:
            raw[f"q{q.id}"] = [rng.choice(SUGGESTIONS)]
    return raw


def survey(db, admin, place, title, audience, anonymous, opens, closes, questions):
    """A survey at ``place`` with ``questions``, built before it opened; its form."""
    survey = services.create_survey(db, admin, place_id=place.id, title=title, description=(
        "请根据您的实际感受填写。纸质表可交到居委会，由工作人员录入。"), audience=audience,
        anonymous=anonymous, opens_at=opens, closes_at=closes)
    for draft in questions:  # built before it opened, as staff would have
        services.add_question(db, admin, survey, draft, now=opens - timedelta(days=1))
    return services.load_form(db, survey.id)


def paper_forms(db, admin, form, rng, quality, count, *, homes=(), groups=(), when):
    """``count`` paper forms keyed in, answered around ``quality`` (for ``homes`` or ``groups``)."""
    for n in range(1, count + 1):
        home = homes[n - 1] if n <= len(homes) else None
        services.enter_paper(db, admin, form, _answers(form, rng, quality), serial=f"{n:04d}", now=when,
                             home_code=home.code if home else "",
                             building_group_id=str(rng.choice(groups).id) if groups and not home else None)


def load(db: Session, settings: Settings, by_name: dict[str, Place]) -> random.Random:
    """The open surveys; returns the random sequence, for the ratings demo to go on with."""
    rng = random.Random(SEED)
    now = clock.utcnow()
    admin_user = accounts.find_by_login(db, communities_demo.PEOPLE[0].login)
    admin = places.actor_for(db, admin_user)

    # -- open satisfaction surveys of the two named owners' committees ----------------------
    lidu, yupin = by_name["国际丽都城"], by_name["御品大厦"]
    opens, closes = now - timedelta(days=5), now + timedelta(days=16)
    lidu_form = survey(db, admin, lidu, "国际丽都城业委会满意度测评（2026年第四季度）", "owners", False,
                       opens, closes, OPEN_QUESTIONS)
    lidu_homes = list(db.exec(select(Home).where(Home.estate_id == lidu.id, Home.developer_held.is_(False))
                              .order_by(Home.id)).all())
    paper_forms(db, admin, lidu_form, rng, COMMITTEES["国际丽都城"], 30,
                homes=rng.sample(lidu_homes, 30), when=now - timedelta(days=1))
    yupin_form = survey(db, admin, yupin, "御品大厦业委会满意度测评（2026年第四季度）", "residents", True,
                        opens, closes, OPEN_QUESTIONS)
    paper_forms(db, admin, yupin_form, rng, COMMITTEES["御品大厦"], 20, when=now - timedelta(days=1))
    return rng
