"""Demo star ratings, forums and the star-building-group photo contest.

What it makes (deterministically, from the surveys demo's seed; times relative to loading):

- 2025 and 2026 star ratings of ten owners' committees: the 2025 one final, the 2026
  one published and in its notice period, fed by a ledger check, two criteria rated in
  owners'-representative forums and each committee's closed 2026 satisfaction survey;
  eight committees reach a star level;
- the "最 shine 星级楼组" public vote: 41 building groups from the 11 residential areas,
  each with a small generated picture, open for voting, with votes already cast; it
  feeds a draft 2026 star-building-group campaign.

Ratings build on surveys, and so does their demo: :func:`load` loads the surveys demo
first (:mod:`consult.surveys.demo`) and goes on with its random sequence. Demo
representatives and voters have no password: they exist to fill the figures.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from consult import clock
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import demo as communities_demo
from consult.communities import services as places
from consult.communities.models import Place
from consult.config import Settings
from consult.ratings import services as ratings
from consult.ratings.models import ContestRating
from consult.ratings.rules import CriterionDraft
from consult.surveys import demo as surveys_demo
from consult.surveys.demo import ANNUAL_QUESTIONS, COMMITTEES, paper_forms, survey


def _name(rng: random.Random) -> str:
    surnames, given = communities_demo.SURNAMES, communities_demo.GIVEN
    return rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))


def _people(db: Session, settings: Settings, rng: random.Random, prefix: str, count: int) -> list[User]:
    """Accounts without a password (they cannot sign in) to carry demo ratings and votes."""
    return [accounts.create_user(db, settings, login=f"demo-{prefix}-{i:03d}", display_name=_name(rng),
                                 password=None) for i in range(1, count + 1)]



def _picture(rng: random.Random, hue: int) -> bytes:
    """A small picture of a building group: sky, blocks and lit windows (cheap, no fonts)."""
    image = Image.new("RGB", (240, 180), (150 + hue % 80, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 150, 240, 180), fill=(70, 140, 70))
    x = 10
    while x < 220:
        width, height = rng.randint(40, 60), rng.randint(70, 130)
        draw.rectangle((x, 150 - height, x + width, 150), fill=(200 - hue % 60, 170, 150))
        for wy in range(150 - height + 8, 145, 16):
            for wx in range(x + 6, x + width - 8, 12):
                draw.rectangle((wx, wy, wx + 6, wy + 8), fill=(255, 230, 140) if rng.random() < 0.6 else (90, 90, 110))
        x += width + rng.randint(6, 14)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()



def load(db: Session, settings: Settings, by_name: dict[str, Place]) -> None:
    """The surveys demo, then the ratings built on it."""
    rng = surveys_demo.load(db, settings, by_name)
    now = clock.utcnow()
    admin_user = accounts.find_by_login(db, communities_demo.PEOPLE[0].login)
    admin = places.actor_for(db, admin_user)
    root = by_name[communities_demo.SUBDISTRICT]

    # -- the owners' committees' star ratings: 2025 (final) and 2026 (in its notice period) ---
    estates = {name: by_name[name] for name in COMMITTEES}
    past = ratings.create_campaign(db, admin, place_id=root.id, title="2025年度星级业委会评定", year="2025",
                                   description="按台账检查和满意度测评（纸质汇总）评定。")
    ratings.set_criteria(db, admin, past, [
        ratings.CriterionRow(None, CriterionDraft("台账检查", 60, "staff")),
        ratings.CriterionRow(None, CriterionDraft("满意度测评（纸质汇总）", 40, "staff"))])
    past_subjects = {name: ratings.add_subject(db, admin, past, kind="owners_committee", place_id=estate.id)
                     for name, estate in estates.items()}
    for criterion in ratings.criteria_of(db, past):
        ratings.save_staff_scores(db, admin, past, criterion, {
            s.id: (str(max(0, min(100, round(100 * COMMITTEES[n]) - rng.randint(0, 12)))), "2025年度台账及测评汇总")
            for n, s in past_subjects.items()}, now=now - timedelta(days=340))
    ratings.publish(db, admin, past, now - timedelta(days=330))

    campaign = ratings.create_campaign(db, admin, place_id=root.id, title="2026年度星级业委会评定", year="2026",
                                       description="台账检查、业主代表座谈会评议和满意度测评三方面综合评定。")
    ratings.set_criteria(db, admin, campaign, [
        ratings.CriterionRow(None, CriterionDraft("台账检查", 30, "staff")),
        ratings.CriterionRow(None, CriterionDraft("业主代表评议：履职情况", 15, "forum")),
        ratings.CriterionRow(None, CriterionDraft("业主代表评议：沟通公开", 15, "forum")),
        ratings.CriterionRow(None, CriterionDraft("满意度测评", 40, "survey", survey_measure="rate"))])
    ledger, duty, openness, _ = ratings.criteria_of(db, campaign)
    rep_login = next(p.login for p in communities_demo.PEOPLE if p.role == "owners_rep")
    known_rep = accounts.find_by_login(db, rep_login)
    subjects = {}
    for name, estate in estates.items():
        quality = COMMITTEES[name]
        groups = places.children(db, estate)
        annual = survey(db, admin, estate, f"{name}业委会2026年度满意度测评表", "owners", False,
                        now - timedelta(days=60), now - timedelta(days=30), ANNUAL_QUESTIONS)
        paper_forms(db, admin, annual, rng, quality, 12, groups=groups, when=now - timedelta(days=45))
        subject = ratings.add_subject(db, admin, campaign, kind="owners_committee", place_id=estate.id,
                                      survey_id=annual.survey.id)
        subjects[name] = subject
        reps = _people(db, settings, rng, f"rep-{estate.id}", 3 if name != "国际丽都城" else 2)
        for rep in reps:
            places.grant_role(db, user=rep, role="owners_rep", place=estate)
        if name == "国际丽都城":
            reps.insert(0, known_rep)
        area = db.get(Place, estate.parent_id)
        forum = ratings.create_forum(db, admin, campaign, subject_id=subject.id,
                                     held_at=now - timedelta(days=40), location=f"{area.name}居委会会议室",
                                     agenda="一、业委会年度工作报告\n二、业主代表评议\n三、意见征询")
        ratings.update_forum(db, admin, forum, held_at=forum.held_at, location=forum.location,
                             agenda=forum.agenda, minutes=f"{name}业委会汇报了年度工作，业主代表现场评议并提出意见。",
                             attendee_ids=[str(r.id) for r in reps])
        ratings.save_grid(db, admin, forum, {
            f"r{r.id}_c{c.id}": str(max(1, min(5, round(1 + 4 * quality + rng.uniform(-0.6, 0.6)))))
            for r in reps for c in (duty, openness)})
    ratings.save_staff_scores(db, admin, campaign, ledger, {
        s.id: (str(max(0, min(100, round(100 * COMMITTEES[n]) + rng.randint(-4, 4)))), "台账检查：会议记录、财务公开、档案")
        for n, s in subjects.items()}, now=now - timedelta(days=20))
    ratings.publish(db, admin, campaign, now - timedelta(days=2))

    # -- the star-building-group photo contest ---------------------------------------------
    groups_by_area = []
    for area_name in communities_demo.AREAS:
        area = by_name[area_name]
        groups_by_area.append(places.places_of_kind(db, "building_group", within=area))
    chosen: list[Place] = []
    while len(chosen) < 41:  # round-robin over the 11 areas, so every area has entries
        for groups in groups_by_area:
            if groups and len(chosen) < 41:
                chosen.append(groups.pop(0))
    group_campaign = ratings.create_campaign(db, admin, place_id=root.id, title="2026年度星级楼组评选",
                                             year="2026", description="大众评选占七成，居委会评价占三成。")
    contest = ratings.create_contest(
        db, admin, place_id=root.id, title="最 shine 星级楼组", campaign_id=group_campaign.id,
        description="为你心目中最美的楼组打星！每位认证居民可以给每个楼组打 1 到 5 颗星。",
        opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=14))
    ratings.set_criteria(db, admin, group_campaign, [
        ratings.CriterionRow(None, CriterionDraft("大众评选", 70, "contest", contest_id=contest.id)),
        ratings.CriterionRow(None, CriterionDraft("居委会评价", 30, "staff"))])
    quality_of = {}
    entries = []
    for i, group in enumerate(chosen):
        quality_of[group.id] = 0.45 + 0.5 * rng.random()
        subject = ratings.add_subject(db, admin, group_campaign, kind="building_group", place_id=group.id)
        entries.append(ratings.add_entry(
            db, admin, contest, title=group.name, place_id=group.id, subject_id=subject.id,
            text=rng.choice(("楼道整洁，邻里和睦。", "绿植满楼道，四季有花香。", "志愿者每周清扫公共区域。",
                             "老人互助小组远近闻名。", "垃圾分类做得最认真。")),
            photo=_picture(rng, i * 37), media_dir=settings.media_dir))
        quality_of[entries[-1].id] = quality_of[group.id]
    ratings.save_staff_scores(db, admin, group_campaign, ratings.criteria_of(db, group_campaign)[1], {
        s.id: (str(round(100 * quality_of[s.place_id])), "居委会日常检查") for s in ratings.subjects_of(db, group_campaign)},
        now=now - timedelta(days=3))
    voters = _people(db, settings, rng, "voter", 24)
    for i, voter in enumerate(voters):
        places.grant_role(db, user=voter, role="resident", place=by_name[communities_demo.AREAS[i % 11]])
    # votes inserted directly: the demo's voters are all verified and vote once per entry
    db.add_all(ContestRating(entry_id=entry.id, user_id=voter.id,
                             stars=max(1, min(5, round(1 + 4 * quality_of[entry.id] + rng.uniform(-1, 1)))),
                             created_at=now - timedelta(hours=rng.randint(1, 140)))
               for voter in voters for entry in rng.sample(entries, 18))
    db.flush()
