"""Demo voting: ballots in the open 2019 vote, and an earlier vote with published results.

The consultations demo leaves the 2019 "三微" consultation in a vote round that is open
now. Here it gets its settings (approval within this vote's budget, greedy) and a few
hundred ballots from generated residents of every area — online, and on paper for
residents without a phone, entered by their committee — so moderators see turnout by
area and building group. The demo residents who can sign in have not voted: try it.

A small earlier consultation of 恒丰 (last year) has a closed vote whose results were
published, objected to once (and answered), and confirmed: its ideas are projects.
Rows are inserted in bulk and generated voters have no password, so loading stays fast.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, consultations
from consult.accounts import acting
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.demo import AREAS, _name
from consult.communities.models import Place, RoleAssignment, VerificationRequest
from consult.config import Settings
from consult.consultations import Category, Consultation, Idea, IdeaRound, Round, TimelineEntry
from consult.voting import rules, secrecy, services
from consult.voting.models import (
    Ballot,
    BallotChoice,
    PaperEntry,
    PaperVoter,
    VoteSettings,
    new_ballot_id,
)

DAY = timedelta(days=1)
VOTERS_PER_AREA = 30
TURNOUT = 0.8
PAPER_PER_AREA = 4
EARLIER_IDEAS = [("恒丰花园楼道扶手", 1_200_000), ("御品大厦门口休息座椅", 450_000),
                 ("垃圾厢房雨棚", 980_000), ("1号楼组睦邻角", 300_000), ("绿化带补种冬青", 520_000),
                 ("非机动车棚翻修", 1_500_000)]


def load(db: Session, settings: Settings, places: dict[str, Place], users: dict[str, User],
         now: datetime | None = None) -> None:
    """Load the voting demo (after the consultations demo); ``places`` is accepted for symmetry."""
    now = now or clock.utcnow()
    rng = random.Random(2026)
    # the residential areas by name (``places`` also holds estates and the sub-district)
    places = {p.name: p for p in communities.places_of_kind(db, "area")}
    voters = _voters(db, rng, places, now)
    current = db.exec(select(Round).where(Round.kind == "vote", Round.opens_at <= now,
                                          Round.closes_at > now).order_by(Round.id)).first()
    if current is not None:
        _open_vote(db, rng, current, places, users, voters, now)
    _earlier_vote(db, rng, places, users, voters, now)
    db.flush()


def _voters(db: Session, rng: random.Random, places: dict[str, Place], now: datetime
            ) -> dict[str, list[tuple[User, int | None]]]:
    """Verified residents of every area, each with the building group given when verified."""
    groups = {a: [p for p in communities.places_of_kind(db, "building_group", places[a])] for a in AREAS}
    rows = []
    for a, area in enumerate(AREAS):
        for n in range(VOTERS_PER_AREA):
            login = f"135{a:04d}{n:04d}"
            rows.append((area, User(login=login, phone=login, display_name=_name(rng), password_hash=None)))
    db.add_all([u for _, u in rows])
    db.flush()
    by_area: dict[str, list[tuple[User, int | None]]] = {}
    roles, requests = [], []
    for area, user in rows:
        group = rng.choice(groups[area]).id if groups[area] else None
        by_area.setdefault(area, []).append((user, group))
        roles.append({"user_id": user.id, "role": "resident", "place_id": places[area].id,
                      "created_at": now - 200 * DAY})
        requests.append({"user_id": user.id, "area_id": places[area].id, "building_group_id": group,
                         "note": "", "status": "approved", "created_at": now - 201 * DAY,
                         "decided_at": now - 200 * DAY})
    db.execute(insert(RoleAssignment), roles)
    db.execute(insert(VerificationRequest), requests)
    return by_area


def _receipt() -> tuple[str, str]:
    code = "".join(secrets.choice(rules.RECEIPT_ALPHABET) for _ in range(rules.RECEIPT_LENGTH))
    return code[:rules.RECEIPT_PREFIX], rules.receipt_hash(code)


def _insert_ballots(db: Session, round_id: int, ballots: list[dict], choices: list[list[int]]) -> None:
    """Ballot rows and their choices in two statements, in random order: on PostgreSQL
    the rows' physical order is the order of insertion, which must not be the voters'."""
    pairs = list(zip(ballots, choices, strict=True))
    random.SystemRandom().shuffle(pairs)
    for ballot, chosen in pairs:
        ballot["id"] = new_ballot_id()
        # both demo rounds are approval kinds: the line is the ideas ascending
        ballot["line"] = rules.counted_line("approval", [(idea_id, 1, None) for idea_id in chosen])
        ballot["created_at"] = ballot["updated_at"] = rules.ballot_day(ballot["created_at"])
    if pairs:
        db.execute(insert(Ballot), [ballot for ballot, _ in pairs])
    rows = [{"ballot_id": ballot["id"], "idea_id": idea_id, "points": 1, "rank": None}
            for ballot, chosen in pairs for idea_id in chosen]
    if rows:
        db.execute(insert(BallotChoice), rows)


def _pick(rng: random.Random, ideas, weights: list[float], budget: int) -> list[int]:
    """Two to six ideas a resident likes, within the budget of an "approval within budget" ballot."""
    chosen, spent = [], 0
    for _ in range(rng.randint(2, 6)):
        idea = rng.choices(ideas, weights=weights)[0]
        cost = idea.estimated_cost_fen or 0
        if idea.id not in chosen and spent + cost <= budget:
            chosen.append(idea.id)
            spent += cost
    return chosen


def _open_vote(db: Session, rng: random.Random, item: Round, places: dict[str, Place],
               users: dict[str, User], voters, now: datetime) -> None:
    ideas = list(db.exec(select(Idea).join(IdeaRound, IdeaRound.idea_id == Idea.id)
                         .where(IdeaRound.round_id == item.id).order_by(Idea.id)).all())
    if not ideas:
        return
    total = sum(i.estimated_cost_fen or 0 for i in ideas)
    budget = max(total * 3 // 10 // 100_000 * 100_000, 100_000)  # 30 %, in whole thousands of yuan
    db.add(VoteSettings(round_id=item.id, ballot_kind="approval_budget", rule="greedy",
                        budget_fen=budget, eligibility="residents", notice_days=7, updated_at=now))
    popularity = {i.id: rng.uniform(0.3, 3.0) for i in ideas}
    area_ids = {name: places[name].id for name in AREAS}
    ballots, choices = [], []
    opened = item.opens_at
    span = max(int((now - opened).total_seconds()), 60)
    for area, people in voters.items():
        weights = [popularity[i.id] * (4 if i.area_id == area_ids[area] else 1) for i in ideas]
        for user, group in people[:int(len(people) * TURNOUT)]:
            at = opened + timedelta(seconds=rng.randrange(span))
            prefix, digest = _receipt()
            ballots.append({"round_id": item.id, "voter_key": secrecy.user_key(item.id, user.id),
                            "channel": "web", "status": "counted", "area_id": area_ids[area],
                            "building_group_id": group, "receipt_prefix": prefix,
                            "receipt_hash": digest, "created_at": at, "updated_at": at})
            choices.append(_pick(rng, ideas, weights, budget))
    papers = _paper_voters(db, rng, places, now)
    entries = []
    for n, (person, staff_id) in enumerate(papers, start=1):
        at = opened + timedelta(seconds=rng.randrange(span))
        serial = f"2019-P-{n:04d}"
        weights = [popularity[i.id] * (4 if i.area_id == person.area_id else 1) for i in ideas]
        chosen = _pick(rng, ideas, weights, budget)
        prefix, digest = _receipt()
        ballots.append({"round_id": item.id, "voter_key": secrecy.user_key(item.id, person.user_id),
                        "channel": "paper", "status": "counted", "area_id": person.area_id,
                        "building_group_id": person.building_group_id, "serial": serial,
                        "receipt_prefix": prefix, "receipt_hash": digest, "created_at": at,
                        "updated_at": at, "entered_by": staff_id})
        choices.append(chosen)
        entries.append({"round_id": item.id, "serial": serial, "position": 1,
                        "voter_key": secrecy.user_key(item.id, person.user_id), "entered_by": staff_id,
                        "choices": sorted([i, 1, None] for i in chosen), "entered_at": at})
    _insert_ballots(db, item.id, ballots, choices)
    if entries:
        db.execute(insert(PaperEntry), entries)


def _paper_voters(db: Session, rng: random.Random, places: dict[str, Place], now: datetime
                  ) -> list[tuple[PaperVoter, int]]:
    """Elderly residents without a phone, registered by their area's committee."""
    staff = dict(db.exec(select(RoleAssignment.place_id, RoleAssignment.user_id)
                         .where(RoleAssignment.role == "moderator")).all())
    admin = db.exec(select(RoleAssignment.user_id).where(RoleAssignment.role == "admin")).first()
    people = []
    for area in AREAS:
        place = places[area]
        groups = communities.places_of_kind(db, "building_group", place)
        entered_by = staff.get(place.id, admin)
        if entered_by is None:
            continue
        for _ in range(PAPER_PER_AREA):
            person = PaperVoter(area_id=place.id, building_group_id=rng.choice(groups).id if groups else None,
                                name=_name(rng), id_last4=f"{rng.randrange(10000):04d}",
                                created_at=now - 5 * DAY, created_by=entered_by)
            people.append((person, entered_by))
    db.add_all([p for p, _ in people])
    db.flush()
    for person, entered_by in people:  # each is a managed resident (issue 17: one concept)
        record = acting.new_managed_resident(db, staff_id=entered_by, name=person.name,
                                             area=db.get(Place, person.area_id), now=now - 5 * DAY)
        person.user_id = record.id
    db.add_all([p for p, _ in people])
    db.flush()
    return people


def _earlier_vote(db: Session, rng: random.Random, places: dict[str, Place], users: dict[str, User],
                  voters, now: datetime) -> None:
    """恒丰, last year: a closed vote, published, one objection answered, outcome confirmed."""
    area = places["恒丰"]
    moderator = users.get("13800000002")
    year = clock.to_local(now).year - 1
    opens, closes = now - 330 * DAY, now - 316 * DAY
    consultation = Consultation(title=f"{year}年恒丰居民区微更新", year=year, scope_place_id=area.id,
                                budget_fen=3_000_000, created_at=opens - 60 * DAY,
                                description="恒丰居民区去年的微更新项目：居民投票选出，公示后实施。",
                                created_by=moderator.id if moderator else None)
    db.add(consultation)
    db.flush()
    category = Category(consultation_id=consultation.id, name="实事项目", position=0)
    item = Round(consultation_id=consultation.id, position=1, kind="vote", title="居民投票",
                 opens_at=opens, closes_at=closes, settings={})
    db.add_all([category, item])
    db.flush()
    people = voters["恒丰"]
    groups = communities.places_of_kind(db, "building_group", area)
    ideas = []
    for n, (title, cost) in enumerate(EARLIER_IDEAS):
        author, _ = people[n]
        ideas.append(Idea(consultation_id=consultation.id, author_id=author.id, title=title,
                          description=f"{title}：居民提出，居委会对接后入围投票。", category_id=category.id,
                          place_id=groups[n % len(groups)].id if groups else area.id, area_id=area.id,
                          estimated_cost_fen=cost, state="shortlisted", current_round_id=item.id,
                          version=1, created_at=opens - 40 * DAY, updated_at=opens - 10 * DAY,
                          submitted_at=opens - 40 * DAY))
    db.add_all(ideas)
    db.flush()
    for idea in ideas:
        db.add(IdeaRound(idea_id=idea.id, round_id=item.id, at=opens))
        db.add(TimelineEntry(idea_id=idea.id, at=opens, actor_role="system", action="carried",
                             round_id=item.id, details={"round": 1, "kind": "vote"}))
    db.add(VoteSettings(round_id=item.id, ballot_kind="approval", rule="greedy", max_choices=3,
                        min_choices=1, eligibility="residents", notice_days=7, updated_at=opens))
    weights = [3, 2, 2.5, 1, 1.5, 0.8]
    ballots, choices = [], []
    for user, group in people:
        chosen = sorted({rng.choices(ideas, weights=weights)[0].id for _ in range(rng.randint(1, 3))})
        at = opens + timedelta(seconds=rng.randrange(int((closes - opens).total_seconds())))
        prefix, digest = _receipt()
        ballots.append({"round_id": item.id, "voter_key": secrecy.user_key(item.id, user.id), "channel": "web",
                        "status": "counted", "area_id": area.id,
                        "building_group_id": group, "receipt_prefix": prefix, "receipt_hash": digest,
                        "created_at": at, "updated_at": at})
        choices.append(chosen)
    _insert_ballots(db, item.id, ballots, choices)
    db.flush()
    vr = services.load_round(db, item.id, closes + DAY)
    staff = communities.actor_for(db, moderator) if moderator else None
    published_at = closes + 2 * DAY
    services.publish(db, staff, vr, published_at)
    objector, _ = people[-1]
    objection = services.file_objection(db, communities.actor_for(db, objector), objector, vr,
                                        "3号楼组有几位老人是纸质投票的，请问都计入了吗？", published_at + DAY)
    if staff is not None:
        services.answer_objection(db, staff, objection.id,
                                  "纸质选票已由居委会录入并计入，可凭回执码在“查询回执码”页面核对。",
                                  published_at + 2 * DAY)
        services.finalize(db, staff, vr, published_at + 8 * DAY)
    else:
        consultations.record_outcome(db, None, item, [], published_at + 8 * DAY)
