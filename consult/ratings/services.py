"""Star-rating services: campaigns and their sources, the scoreboard, publishing and
objections, representatives' forums, and photo contests.

The scoreboard of a campaign is computed in a fixed number of GROUP BY queries
(one per kind of source), whatever the number of answers, ratings and votes.

Every privileged action checks the lifecycle of its campaign or contest
(``rules.CAMPAIGN_ACTIONS`` / ``rules.CONTEST_ACTIONS``, through
``require_campaign_action`` / ``require_contest_action``): once a campaign is published
nothing it is computed from changes, once a contest has closed (or its first star is
given) its entries are fixed. Nobody answers their own objection.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place, RoleAssignment
from consult.communities.services import check_decision
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload, store
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    Contest,
    ContestEntry,
    ContestRating,
    Criterion,
    Forum,
    ForumAttendee,
    ForumRating,
    Objection,
    StaffScore,
    Subject,
)
from consult.surveys import rules as survey_rules
from consult.surveys.models import Answer, Question, Survey
from consult.surveys.services import acting_path, in_scope

# -- helpers ------------------------------------------------------------------------------


def _int(value) -> int | None:
    return survey_rules.whole_number(str(value)) if str(value or "").strip() else None


def _get(db: Session, model, ident):
    item = find(db, model, ident)
    if item is None:
        raise NotFound()
    return item


def _require(actor: Actor, action: str, path: tuple[int, ...]) -> None:
    if not permissions.allowed(action, actor, path):
        if not actor.authenticated:
            raise NotSignedIn()
        raise Forbidden()


def photo_message(error: ImageError) -> Msg:
    """The media module's English template uses ``{name}``; the catalogue uses ``%(name)s``."""
    return Msg(re.sub(r"\{(\w+)\}", r"%(\1)s", error.template), dict(error.params))


# -- campaigns ----------------------------------------------------------------------------


def get_campaign(db: Session, campaign_id) -> Campaign:
    return _get(db, Campaign, campaign_id)


def campaign_place(db: Session, campaign: Campaign) -> Place:
    return db.get(Place, campaign.place_id)


def state_of(campaign: Campaign, now: datetime) -> str:
    return rules.campaign_state(campaign.published_at, campaign.notice_ends_at, now)


def require_campaign_action(campaign: Campaign, action: str, now: datetime | None = None) -> str:
    """Refuse (``Conflict``, nothing changed) what the campaign's state does not allow; return
    the state."""
    state = state_of(campaign, now or clock.utcnow())
    if problem := rules.campaign_action_problem(action, state):
        raise Conflict(problem, code=rules.CAMPAIGN_CODES[state])
    return state


def campaign_refusal(campaign: Campaign, action: str, now: datetime) -> Msg | None:
    """Why the campaign's state refuses ``action`` now (the pages show it instead of a form)."""
    return rules.campaign_action_problem(action, state_of(campaign, now))


def entry_refusal(db: Session, contest: Contest, now: datetime) -> Msg | None:
    """Why no entry can be added to the contest now, or None."""
    if problem := rules.contest_action_problem("add_entry", contest_state(contest, now)):
        return problem
    if db.exec(select(ContestRating.id).join(ContestEntry, ContestEntry.id == ContestRating.entry_id)
               .where(ContestEntry.contest_id == contest.id).limit(1)).first() is not None:
        return Msg(HAS_RATINGS)
    return None


HAS_RATINGS = N_("Stars have been given in this public vote: entries can no longer be added.")


def contest_state(contest: Contest, now: datetime) -> str:
    return survey_rules.state(contest.opens_at, contest.closes_at, now)


def require_contest_action(contest: Contest, action: str, now: datetime | None = None) -> str:
    state = contest_state(contest, now or clock.utcnow())
    if problem := rules.contest_action_problem(action, state):
        raise Conflict(problem, code=rules.CONTEST_CODES[state])
    return state


def may_manage(db: Session, actor: Actor, campaign: Campaign) -> bool:
    return permissions.allowed("manage_campaign", actor, campaign_place(db, campaign).ids_from_root)


def check_visible(db: Session, actor: Actor, campaign: Campaign) -> bool:
    """Published campaigns are public; drafts only for staff. Returns whether actor manages it."""
    staff = may_manage(db, actor, campaign)
    if campaign.published_at is None and not staff:
        raise NotFound()
    return staff


def list_campaigns(db: Session, actor: Actor) -> list[tuple[Campaign, Place]]:
    """Published campaigns, plus drafts the actor manages (one query, filtered in Python)."""
    rows = db.exec(select(Campaign, Place).join(Place, Place.id == Campaign.place_id)
                   .order_by(Campaign.year.desc(), Campaign.id.desc()).limit(100)).all()
    return [(c, p) for c, p in rows
            if c.published_at is not None or permissions.allowed("manage_campaign", actor, p.ids_from_root)]


def create_campaign(db: Session, actor: Actor, *, place_id, title: str, year, description: str = "",
                    notice_days="7") -> Campaign:
    place = _get(db, Place, place_id) if str(place_id or "").strip() else None
    if place is None:
        raise FieldErrors({"place_id": Msg(N_("Please choose a place."))})
    _require(actor, "manage_campaign", place.ids_from_root)
    problems: dict[str, Msg] = {}
    if problem := rules.text_problem(title, rules.NAME_MAX, N_("Please give the campaign a title.")):
        problems["title"] = problem
    year_value = _int(year)
    if year_value is None or not 2000 <= year_value <= 2100:
        problems["year"] = Msg(N_("Please give the year, for example 2026."))
    days, problem = rules.notice_days_problem(str(notice_days))
    if problem:
        problems["notice_days"] = problem
    if len(description) > 2000:
        problems["description"] = Msg(N_("The description must have at most %(max)s characters."),
                                      {"max": 2000})
    if problems:
        raise FieldErrors(problems)
    campaign = Campaign(title=title.strip(), year=year_value, place_id=place.id,
                        description=description.strip(), notice_days=days, created_by=actor.user_id)
    db.add(campaign)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="create_campaign", target_type="campaign",
                 target_id=campaign.id, place_id=place.id)
    return campaign


def _editable(db: Session, actor: Actor, campaign: Campaign, action: str = "change_setup",
              now: datetime | None = None) -> Place:
    place = campaign_place(db, campaign)
    _require(actor, "manage_campaign", place.ids_from_root)
    require_campaign_action(campaign, action, now)
    return place


def set_thresholds(db: Session, actor: Actor, campaign: Campaign, raw: list[str], *,
                   now: datetime | None = None) -> None:
    _editable(db, actor, campaign, now=now)
    values = [_int(v) for v in raw]
    if problem := rules.thresholds_problem(values):
        raise FieldErrors({"thresholds": problem})
    (campaign.threshold_1, campaign.threshold_2, campaign.threshold_3, campaign.threshold_4,
     campaign.threshold_5) = values
    db.add(campaign)


def criteria_of(db: Session, campaign: Campaign) -> list[Criterion]:
    return list(db.exec(select(Criterion).where(Criterion.campaign_id == campaign.id)
                        .order_by(Criterion.position, Criterion.id)).all())


def contests_for(db: Session, campaign: Campaign) -> list[Contest]:
    return list(db.exec(select(Contest).where(Contest.campaign_id == campaign.id)
                        .order_by(Contest.id)).all())


@dataclass(frozen=True)
class CriterionRow:
    """A row of the criteria form: ``id`` is None for a new criterion."""

    id: int | None
    draft: rules.CriterionDraft


def set_criteria(db: Session, actor: Actor, campaign: Campaign, rows: list[CriterionRow], *,
                 now: datetime | None = None) -> None:
    """Replace the criteria in one go, so the weights are checked as a whole (sum = 100).

    Rows keep their id so scores already entered stay with their criterion; a
    criterion left out is removed with its scores.
    """
    _editable(db, actor, campaign, now=now)
    contest_ids = [c.id for c in contests_for(db, campaign)]
    problems = rules.criteria_problems([r.draft for r in rows], contest_ids)
    if problems:
        raise FieldErrors(problems)
    existing = {c.id: c for c in criteria_of(db, campaign)}
    kept = set()
    for position, row in enumerate(rows, start=1):
        criterion = existing.get(row.id) if row.id is not None else None
        if criterion is None:
            criterion = Criterion(campaign_id=campaign.id, name="", weight=0, source="staff")
        d = row.draft
        criterion.position, criterion.name, criterion.weight, criterion.source = (
            position, d.name.strip(), d.weight, d.source)
        criterion.survey_measure = d.survey_measure if d.source == "survey" else None
        criterion.contest_id = d.contest_id if d.source == "contest" else None
        db.add(criterion)
        if criterion.id is not None:
            kept.add(criterion.id)
    for ident, criterion in existing.items():
        if ident not in kept:
            db.delete(criterion)
    db.flush()


def subjects_of(db: Session, campaign: Campaign) -> list[Subject]:
    return list(db.exec(select(Subject).where(Subject.campaign_id == campaign.id)
                        .order_by(Subject.name)).all())


SUBJECT_PLACE_KIND = {"owners_committee": "estate", "building_group": "building_group"}


def add_subject(db: Session, actor: Actor, campaign: Campaign, *, kind: str, place_id=None,
                name: str = "", ref: str = "", survey_id=None, now: datetime | None = None) -> Subject:
    """An owners' committee is named after its estate; a building group after itself."""
    scope = _editable(db, actor, campaign, now=now)
    place = None
    errors: dict[str, Msg] = {}
    if kind in SUBJECT_PLACE_KIND:
        place = find(db, Place, place_id)
        if place is None or place.kind != SUBJECT_PLACE_KIND[kind] or not place.path.startswith(scope.path):
            errors["place_id"] = Msg(N_("Please choose an estate or building group inside %(place)s."),
                                     {"place": scope.name})
        elif not name.strip():
            name = place.name if kind == "building_group" else f"{place.name}业委会"
    errors.update(rules.subject_problems(kind, name))
    survey = None
    if str(survey_id or "").strip():
        survey = find(db, Survey, survey_id)
        if survey is None:
            errors["survey_id"] = Msg(N_("Please choose a survey."))
    if errors:
        raise FieldErrors(errors)
    subject = Subject(campaign_id=campaign.id, kind=kind, place_id=place.id if place else None,
                      ref=ref.strip()[:60], name=name.strip(), survey_id=survey.id if survey else None)
    try:
        with db.begin_nested():
            db.add(subject)
    except IntegrityError:
        raise FieldErrors({"name": Msg(N_("This campaign already rates “%(name)s”."),
                                       {"name": name.strip()})}) from None
    return subject


def subject_places(db: Session, place: Place) -> list[Place]:
    """Estates (for owners' committees) and building groups inside ``place``, for the picker."""
    return list(db.exec(select(Place).where(Place.path.startswith(place.path),
                                            Place.kind.in_(("estate", "building_group")))
                        .order_by(Place.path)).all())


def surveys_within(db: Session, place: Place) -> list[Survey]:
    """Surveys at places inside ``place``: a subject's satisfaction survey is one of them."""
    return list(db.exec(select(Survey).join(Place, Place.id == Survey.place_id)
                        .where(Place.path.startswith(place.path))
                        .order_by(Survey.opens_at.desc()).limit(200)).all())


def remove_subject(db: Session, actor: Actor, campaign: Campaign, subject_id, *,
                   now: datetime | None = None) -> None:
    _editable(db, actor, campaign, now=now)
    subject = _get(db, Subject, subject_id)
    if subject.campaign_id != campaign.id:
        raise NotFound()
    db.delete(subject)
    db.flush()


def staff_scores(db: Session, criterion: Criterion) -> dict[int, StaffScore]:
    return {s.subject_id: s for s in db.exec(select(StaffScore).where(
        StaffScore.criterion_id == criterion.id)).all()}


def save_staff_scores(db: Session, actor: Actor, campaign: Campaign, criterion: Criterion,
                      raw: dict[int, tuple[str, str]], now: datetime) -> None:
    """Scores 0–100 with evidence for every subject of one staff criterion, in one form.

    ``raw`` maps subject id → (score text, evidence). A blank score removes the score.
    """
    _editable(db, actor, campaign, "enter_staff_scores", now)
    if criterion.campaign_id != campaign.id or criterion.source != "staff":
        raise NotFound()
    subjects = subjects_of(db, campaign)
    errors: dict[str, Msg] = {}
    values: dict[int, tuple[int | None, str]] = {}
    for subject in subjects:
        text, evidence = raw.get(subject.id, ("", ""))
        value, problem = rules.staff_score(text)
        if problem:
            errors[f"s{subject.id}"] = problem
        elif value is not None and not evidence.strip():
            errors[f"e{subject.id}"] = Msg(N_("Please note the evidence for this score."))
        elif len(evidence.strip()) > rules.EVIDENCE_MAX:
            errors[f"e{subject.id}"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                                           {"max": rules.EVIDENCE_MAX, "count": len(evidence.strip())})
        values[subject.id] = (value, evidence.strip())
    if errors:
        raise FieldErrors(errors)
    existing = staff_scores(db, criterion)
    for subject_id, (value, evidence) in values.items():
        row = existing.get(subject_id)
        if value is None:
            if row is not None:
                db.delete(row)
            continue
        row = row or StaffScore(criterion_id=criterion.id, subject_id=subject_id, score=value)
        row.score, row.evidence, row.entered_by, row.entered_at = value, evidence, actor.user_id, now
        db.add(row)
    audit.record(db, actor_id=actor.user_id, action="enter_staff_scores", target_type="criterion",
                 target_id=criterion.id, place_id=campaign.place_id)
    db.flush()


# -- the scoreboard -----------------------------------------------------------------------


@dataclass
class SubjectScore:
    subject: Subject
    scores: dict[int, Fraction | None]
    total: Fraction
    stars: int
    complete: bool
    rank: int = 0


@dataclass
class Scoreboard:
    campaign: Campaign
    criteria: list[Criterion]
    rows: list[SubjectScore]
    frozen: bool
    evidence: dict[tuple[int, int], str] = field(default_factory=dict)


def _survey_scores(db: Session, survey_ids: set[int]) -> dict[int, dict[str, Fraction | None]]:
    """For each survey: 满意率 over its satisfaction questions and the mean level (1–5)."""
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    means: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if survey_ids:
        for survey_id, kind, value, n in db.exec(
                select(Question.survey_id, Question.kind, Answer.value, func.count())
                .join(Question, Question.id == Answer.question_id)
                .where(Question.survey_id.in_(survey_ids), Question.kind.in_(("satisfaction", "stars")))
                .group_by(Question.survey_id, Question.kind, Answer.value)).all():
            if kind == "satisfaction":
                counts[survey_id][value] += n
            means[survey_id][0] += value * n
            means[survey_id][1] += n
    return {sid: {"rate": survey_rules.satisfaction_rate(counts.get(sid, {})),
                  "mean": survey_rules.mean(*means[sid]) if sid in means else None}
            for sid in survey_ids}


def compute(db: Session, campaign: Campaign) -> Scoreboard:
    """Every subject's score per criterion, weighted total and star level, live from the sources."""
    criteria = criteria_of(db, campaign)
    subjects = subjects_of(db, campaign)
    by_source: dict[str, list[Criterion]] = defaultdict(list)
    for c in criteria:
        by_source[c.source].append(c)
    scores: dict[tuple[int, int], Fraction | None] = {}
    evidence: dict[tuple[int, int], str] = {}

    if by_source["staff"]:
        for s in db.exec(select(StaffScore).where(
                StaffScore.criterion_id.in_([c.id for c in by_source["staff"]]))).all():
            scores[(s.subject_id, s.criterion_id)] = Fraction(s.score)
            evidence[(s.subject_id, s.criterion_id)] = s.evidence
    if by_source["forum"]:
        for subject_id, criterion_id, total, n in db.exec(
                select(Forum.subject_id, ForumRating.criterion_id, func.sum(ForumRating.score), func.count())
                .join(Forum, Forum.id == ForumRating.forum_id)
                .where(Forum.campaign_id == campaign.id)
                .group_by(Forum.subject_id, ForumRating.criterion_id)).all():
            scores[(subject_id, criterion_id)] = rules.five_to_100(Fraction(int(total), n))
    if by_source["survey"]:
        survey_scores = _survey_scores(db, {s.survey_id for s in subjects if s.survey_id})
        for s in subjects:
            if not s.survey_id:
                continue
            figures = survey_scores[s.survey_id]
            for c in by_source["survey"]:
                if c.survey_measure == "rate" and figures["rate"] is not None:
                    scores[(s.id, c.id)] = rules.rate_to_100(figures["rate"])
                elif c.survey_measure == "mean" and figures["mean"] is not None:
                    scores[(s.id, c.id)] = rules.five_to_100(figures["mean"])
    if by_source["contest"]:
        contest_criteria = defaultdict(list)
        for c in by_source["contest"]:
            contest_criteria[c.contest_id].append(c)
        for contest_id, subject_id, total, n in db.exec(
                select(ContestEntry.contest_id, ContestEntry.subject_id, func.sum(ContestRating.stars),
                       func.count())
                .join(ContestEntry, ContestEntry.id == ContestRating.entry_id)
                .where(ContestEntry.contest_id.in_(list(contest_criteria)),
                       ContestEntry.subject_id.is_not(None))
                .group_by(ContestEntry.contest_id, ContestEntry.subject_id)).all():
            for c in contest_criteria[contest_id]:
                scores[(subject_id, c.id)] = rules.five_to_100(Fraction(int(total), n))

    weights = {c.id: c.weight for c in criteria}
    rows = []
    for s in subjects:
        mine = {c.id: scores.get((s.id, c.id)) for c in criteria}
        total = rules.weighted_total(weights, mine)
        rows.append(SubjectScore(subject=s, scores=mine, total=total,
                                 stars=rules.stars_for(total, campaign.thresholds),
                                 complete=all(v is not None for v in mine.values())))
    _rank(rows)
    return Scoreboard(campaign, criteria, rows, frozen=False, evidence=evidence)


def _rank(rows: list[SubjectScore]) -> None:
    """Highest total first; equal totals share a rank."""
    rows.sort(key=lambda r: (-r.total, r.subject.name))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        row.rank = rank


def published_board(db: Session, campaign: Campaign) -> Scoreboard:
    """The results frozen at publication (no source is read again)."""
    criteria = criteria_of(db, campaign)
    rows = []
    for s in subjects_of(db, campaign):
        frozen = s.result_scores or {}
        scores = {c.id: rules.parse_fraction(frozen.get(str(c.id))) for c in criteria}
        rows.append(SubjectScore(subject=s, scores=scores,
                                 total=rules.parse_fraction(s.result_total) or Fraction(0),
                                 stars=s.result_stars or 0,
                                 complete=all(v is not None for v in scores.values())))
    _rank(rows)
    return Scoreboard(campaign, criteria, rows, frozen=True)


def board(db: Session, campaign: Campaign) -> Scoreboard:
    return published_board(db, campaign) if campaign.published_at else compute(db, campaign)


def publish(db: Session, actor: Actor, campaign: Campaign, now: datetime) -> Scoreboard:
    """Freeze every subject's result and open the notice period for objections."""
    place = _editable(db, actor, campaign, "publish", now)
    scoreboard = compute(db, campaign)
    if not scoreboard.criteria:
        raise Conflict(N_("Please set the criteria before publishing."))
    if not scoreboard.rows:
        raise Conflict(N_("Please add the subjects to rate before publishing."))
    for row in scoreboard.rows:
        row.subject.result_total = rules.fraction_text(row.total)
        row.subject.result_stars = row.stars
        row.subject.result_scores = {str(k): (rules.fraction_text(v) if v is not None else None)
                                     for k, v in row.scores.items()}
        db.add(row.subject)
    campaign.published_at = now
    campaign.notice_ends_at = now + timedelta(days=campaign.notice_days)
    db.add(campaign)
    audit.record(db, actor_id=actor.user_id, action="publish_campaign", target_type="campaign",
                 target_id=campaign.id, place_id=place.id)
    db.flush()
    scoreboard.frozen = True
    return scoreboard


@dataclass
class HistoryRow:
    campaign: Campaign
    subject: Subject


def get_subject(db: Session, subject_id) -> tuple[Subject, Campaign]:
    subject = _get(db, Subject, subject_id)
    return subject, db.get(Campaign, subject.campaign_id)


def history(db: Session, subject: Subject) -> list[HistoryRow]:
    """The same owners' committee, building group or project in every published campaign."""
    query = select(Subject, Campaign).join(Campaign, Campaign.id == Subject.campaign_id).where(
        Subject.kind == subject.kind, Campaign.published_at.is_not(None))
    if subject.place_id is not None:
        query = query.where(Subject.place_id == subject.place_id)
    elif subject.ref:
        query = query.where(Subject.ref == subject.ref)
    else:
        query = query.where(Subject.name == subject.name)
    return [HistoryRow(c, s) for s, c in db.exec(query.order_by(Campaign.year.desc(), Campaign.id.desc())).all()]


# -- objections ---------------------------------------------------------------------------


def file_objection(db: Session, actor: Actor, campaign: Campaign, *, subject_id, text: str,
                   now: datetime) -> Objection:
    require_campaign_action(campaign, "file_objection", now)
    subject = find(db, Subject, subject_id)
    if subject is None or subject.campaign_id != campaign.id:
        raise FieldErrors({"subject_id": Msg(N_("Please choose what your objection is about."))})
    place = db.get(Place, subject.place_id) if subject.place_id else campaign_place(db, campaign)
    _require(actor, "file_objection", acting_path(db, actor, "resident", place))
    if problem := rules.text_problem(text, rules.OBJECTION_MAX, N_("Please write your objection.")):
        raise FieldErrors({"text": problem})
    objection = Objection(campaign_id=campaign.id, subject_id=subject.id, user_id=actor.user_id,
                          text=text.strip(), created_at=now)
    try:
        with db.begin_nested():
            db.add(objection)
    except IntegrityError:
        raise Conflict(N_("You have already filed an objection about this subject."),
                       code="already_objected") from None
    return objection


def objections_of(db: Session, campaign: Campaign) -> list[tuple[Objection, Subject]]:
    return list(db.exec(select(Objection, Subject).join(Subject, Subject.id == Objection.subject_id)
                        .where(Objection.campaign_id == campaign.id).order_by(Objection.id)).all())


OWN_OBJECTION = N_("This is your own objection, so another moderator answers it. Ask a colleague of "
                   "the area or of the sub-district.")


def get_objection(db: Session, objection_id) -> Objection:
    return _get(db, Objection, objection_id)


def answer_objection(db: Session, actor: Actor, objection_id, *, text: str, now: datetime) -> Objection:
    objection = _get(db, Objection, objection_id)
    campaign = db.get(Campaign, objection.campaign_id)
    path = campaign_place(db, campaign).ids_from_root
    _require(actor, "answer_objection", path)
    check_decision("answer_objection", actor, path, objection.user_id, OWN_OBJECTION)
    require_campaign_action(campaign, "answer_objection", now)
    if problem := rules.text_problem(text, rules.OBJECTION_MAX, N_("Please write the answer.")):
        raise FieldErrors({"answer": problem})
    objection.answer, objection.answered_at, objection.answered_by = text.strip(), now, actor.user_id
    db.add(objection)
    audit.record(db, actor_id=actor.user_id, action="answer_objection", target_type="objection",
                 target_id=objection.id, place_id=campaign.place_id)
    return objection


# -- forums -------------------------------------------------------------------------------


def get_forum(db: Session, forum_id) -> tuple[Forum, Campaign, Subject]:
    forum = _get(db, Forum, forum_id)
    return forum, db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)


def readable_forum(db: Session, actor: Actor, forum_id) -> tuple[Forum, Campaign, Subject, Place]:
    """A forum for its page: representatives and staff of the subject's place may read it."""
    forum, campaign, subject = get_forum(db, forum_id)
    place = forum_place(db, campaign, subject)
    _require(actor, "view_forum", place.ids_from_root)
    return forum, campaign, subject, place


def forums_of(db: Session, campaign: Campaign) -> list[tuple[Forum, Subject]]:
    return list(db.exec(select(Forum, Subject).join(Subject, Subject.id == Forum.subject_id)
                        .where(Forum.campaign_id == campaign.id).order_by(Forum.held_at)).all())


def forum_place(db: Session, campaign: Campaign, subject: Subject) -> Place:
    return db.get(Place, subject.place_id) if subject.place_id else campaign_place(db, campaign)


def _forum_problems(held_at: datetime | None, location: str, agenda: str, minutes: str) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if held_at is None:
        problems["held_at"] = Msg(N_("Please give a valid date and time."))
    if problem := rules.text_problem(location, rules.NAME_MAX, N_("Please say where the forum is held.")):
        problems["location"] = problem
    if len(agenda) > 2000:
        problems["agenda"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                                 {"max": 2000, "count": len(agenda)})
    if len(minutes) > 5000:
        problems["minutes"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                                  {"max": 5000, "count": len(minutes)})
    return problems


def create_forum(db: Session, actor: Actor, campaign: Campaign, *, subject_id, held_at: datetime | None,
                 location: str, agenda: str = "", now: datetime | None = None) -> Forum:
    subject = None
    if str(subject_id or "").strip():
        subject = find(db, Subject, subject_id)
    if subject is None or subject.campaign_id != campaign.id:
        raise FieldErrors({"subject_id": Msg(N_("Please choose the subject of the forum."))})
    _require(actor, "enter_forum_ratings", forum_place(db, campaign, subject).ids_from_root)
    require_campaign_action(campaign, "manage_forum", now)
    if problems := _forum_problems(held_at, location, agenda, ""):
        raise FieldErrors(problems)
    forum = Forum(campaign_id=campaign.id, subject_id=subject.id, held_at=held_at,
                  location=location.strip(), agenda=agenda.strip(), created_by=actor.user_id)
    db.add(forum)
    db.flush()
    return forum


def representatives(db: Session, place: Place) -> list[User]:
    """Owners' representatives whose role covers ``place`` or lies inside it."""
    return list(db.exec(
        select(User).where(User.id.in_(
            select(RoleAssignment.user_id).join(Place, Place.id == RoleAssignment.place_id)
            .where(RoleAssignment.role == "owners_rep", in_scope(place))))
        .order_by(User.display_name, User.id)).all())


def attendees(db: Session, forum: Forum) -> list[User]:
    return list(db.exec(select(User).join(ForumAttendee, ForumAttendee.user_id == User.id)
                        .where(ForumAttendee.forum_id == forum.id)
                        .order_by(User.display_name, User.id)).all())


def update_forum(db: Session, actor: Actor, forum: Forum, *, held_at: datetime | None, location: str,
                 agenda: str, minutes: str, attendee_ids: list[str], now: datetime | None = None) -> None:
    campaign, subject = db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)
    place = forum_place(db, campaign, subject)
    _require(actor, "enter_forum_ratings", place.ids_from_root)
    require_campaign_action(campaign, "manage_forum", now)
    if problems := _forum_problems(held_at, location, agenda, minutes):
        raise FieldErrors(problems)
    allowed_ids = {u.id for u in representatives(db, place)}
    chosen = {_int(v) for v in attendee_ids} - {None}
    if not chosen <= allowed_ids:
        raise FieldErrors({"attendees": Msg(N_("Attendees must be owners' representatives of %(place)s."),
                                            {"place": place.name})})
    forum.held_at, forum.location = held_at, location.strip()
    forum.agenda, forum.minutes = agenda.strip(), minutes.strip()
    db.add(forum)
    current = {a.user_id: a for a in db.exec(select(ForumAttendee).where(
        ForumAttendee.forum_id == forum.id)).all()}
    for user_id in chosen - set(current):
        db.add(ForumAttendee(forum_id=forum.id, user_id=user_id))
    for user_id in set(current) - chosen:
        db.delete(current[user_id])
        db.exec(delete(ForumRating).where(ForumRating.forum_id == forum.id,
                                          ForumRating.user_id == user_id))
    db.flush()


def forum_criteria(db: Session, campaign: Campaign) -> list[Criterion]:
    return [c for c in criteria_of(db, campaign) if c.source == "forum"]


def forum_ratings(db: Session, forum: Forum) -> dict[tuple[int, int], int]:
    return {(r.user_id, r.criterion_id): r.score for r in db.exec(
        select(ForumRating).where(ForumRating.forum_id == forum.id)).all()}


def save_grid(db: Session, actor: Actor, forum: Forum, raw: dict[str, str], *,
              now: datetime | None = None) -> int:
    """Store the whole grid (representatives × forum criteria) at once; blank cells clear.

    Returns the number of ratings stored. Nothing changes when any cell is wrong.
    """
    campaign, subject = db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)
    _require(actor, "enter_forum_ratings", forum_place(db, campaign, subject).ids_from_root)
    require_campaign_action(campaign, "enter_forum_ratings", now)
    people = [u.id for u in attendees(db, forum)]
    criteria = [c.id for c in forum_criteria(db, campaign)]
    grid = rules.check_grid(people, criteria, raw)
    expected = {rules.cell_name(u, c) for u in people for c in criteria}
    for name in raw:
        if name not in expected:
            grid.errors[name] = Msg(N_("There is no such cell: not an attendee or not a forum criterion."))
    if grid.errors:
        raise FieldErrors(grid.errors)
    db.exec(delete(ForumRating).where(ForumRating.forum_id == forum.id))
    rows = [ForumRating(forum_id=forum.id, user_id=u, criterion_id=c, score=v)
            for (u, c), v in grid.values.items() if v is not None]
    db.add_all(rows)
    audit.record(db, actor_id=actor.user_id, action="enter_forum_ratings", target_type="forum",
                 target_id=forum.id, place_id=subject.place_id or campaign.place_id, count=len(rows))
    db.flush()
    return len(rows)


# -- contests -----------------------------------------------------------------------------


def get_contest(db: Session, contest_id) -> tuple[Contest, Place]:
    contest = _get(db, Contest, contest_id)
    return contest, db.get(Place, contest.place_id)


def list_contests(db: Session) -> list[tuple[Contest, Place]]:
    return list(db.exec(select(Contest, Place).join(Place, Place.id == Contest.place_id)
                        .order_by(Contest.opens_at.desc()).limit(50)).all())


def create_contest(db: Session, actor: Actor, *, place_id, title: str, description: str,
                   opens_at: datetime | None, closes_at: datetime | None, campaign_id=None,
                   now: datetime | None = None) -> Contest:
    place = _get(db, Place, place_id) if str(place_id or "").strip() else None
    if place is None:
        raise FieldErrors({"place_id": Msg(N_("Please choose a place."))})
    _require(actor, "manage_campaign", place.ids_from_root)
    problems: dict[str, Msg] = {}
    if problem := rules.text_problem(title, rules.NAME_MAX, N_("Please give the contest a title.")):
        problems["title"] = problem
    if opens_at is None:
        problems["opens_at"] = Msg(N_("Please give a valid date and time."))
    if closes_at is None:
        problems["closes_at"] = Msg(N_("Please give a valid date and time."))
    elif opens_at and closes_at <= opens_at:
        problems["closes_at"] = Msg(N_("The vote must close after it opens."))
    campaign = None
    if str(campaign_id or "").strip():
        campaign = find(db, Campaign, campaign_id)
        if campaign is None or not may_manage(db, actor, campaign):
            problems["campaign_id"] = Msg(N_("Please choose a campaign."))
    if problems:
        raise FieldErrors(problems)
    if campaign is not None:  # its votes count for the campaign: only while it is prepared
        require_campaign_action(campaign, "attach_contest", now)
    contest = Contest(title=title.strip(), description=description.strip()[:2000], place_id=place.id,
                      opens_at=opens_at, closes_at=closes_at, campaign_id=campaign.id if campaign else None,
                      created_by=actor.user_id)
    db.add(contest)
    db.flush()
    return contest


def add_entry(db: Session, actor: Actor, contest: Contest, *, title: str, text: str = "", place_id=None,
              subject_id=None, photo: bytes | None = None, media_dir: Path | None = None,
              now: datetime | None = None) -> ContestEntry:
    """An entry joins the ballot until the contest closes and before the first star is given."""
    scope = db.get(Place, contest.place_id)
    _require(actor, "manage_campaign", scope.ids_from_root)
    require_contest_action(contest, "add_entry", now)
    if entry_refusal(db, contest, now or clock.utcnow()) is not None:  # the first star is given
        raise Conflict(HAS_RATINGS, code="contest_has_ratings")
    errors: dict[str, Msg] = {}
    if problem := rules.text_problem(title, rules.NAME_MAX, N_("Please give the entry a title.")):
        errors["title"] = problem
    if len(text.strip()) > 500:
        errors["text"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                             {"max": 500, "count": len(text.strip())})
    place = None
    if str(place_id or "").strip():
        place = find(db, Place, place_id)
        if place is None or not place.path.startswith(scope.path):
            errors["place_id"] = Msg(N_("Please choose a place inside %(place)s."), {"place": scope.name})
    subject = None
    if str(subject_id or "").strip():
        subject = find(db, Subject, subject_id)
        if subject is None or subject.campaign_id != contest.campaign_id:
            errors["subject_id"] = Msg(N_("Please choose a subject of the contest's campaign."))
    key = None
    if photo and not errors:
        try:
            key = store(process_upload(photo), media_dir)
        except ImageError as exc:
            errors["photo"] = photo_message(exc)
    if errors:
        raise FieldErrors(errors)
    last = db.exec(select(func.max(ContestEntry.position)).where(ContestEntry.contest_id == contest.id)).one()
    entry = ContestEntry(contest_id=contest.id, position=(last or 0) + 1, title=title.strip(),
                         text=text.strip(), place_id=place.id if place else None,
                         subject_id=subject.id if subject else None, photo_key=key)
    db.add(entry)
    db.flush()
    return entry


@dataclass
class EntryRow:
    entry: ContestEntry
    place: Place | None
    count: int
    mean: Fraction | None
    mine: int | None
    rank: int = 0


def entries(db: Session, contest: Contest, user_id: int | None) -> list[EntryRow]:
    """Entries with their vote counts, means and the reader's own stars (three queries)."""
    rows = db.exec(select(ContestEntry, Place).outerjoin(Place, Place.id == ContestEntry.place_id)
                   .where(ContestEntry.contest_id == contest.id)
                   .order_by(ContestEntry.position, ContestEntry.id)).all()
    ids = [e.id for e, _ in rows]
    totals: dict[int, tuple[int, int]] = {}
    mine: dict[int, int] = {}
    if ids:
        totals = {eid: (int(total), n) for eid, total, n in db.exec(
            select(ContestRating.entry_id, func.sum(ContestRating.stars), func.count())
            .where(ContestRating.entry_id.in_(ids)).group_by(ContestRating.entry_id)).all()}
        if user_id is not None:
            mine = dict(db.exec(select(ContestRating.entry_id, ContestRating.stars).where(
                ContestRating.entry_id.in_(ids), ContestRating.user_id == user_id)).all())
    return [EntryRow(entry=e, place=p, count=totals.get(e.id, (0, 0))[1],
                     mean=survey_rules.mean(*totals.get(e.id, (0, 0))), mine=mine.get(e.id))
            for e, p in rows]


def ranked(rows: list[EntryRow]) -> list[EntryRow]:
    """Results order: highest mean first, then most votes; equal means and counts share a rank."""
    out = sorted(rows, key=lambda r: (-(r.mean or 0), -r.count, r.entry.position))
    previous, rank = None, 0
    for position, row in enumerate(out, start=1):
        key = (row.mean, row.count)
        if key != previous:
            rank, previous = position, key
        row.rank = rank
    return out


def rate_entry(db: Session, actor: Actor, contest: Contest, entry_id, stars: str, now: datetime) -> ContestRating:
    """A verified resident gives an entry 1–5 stars, once (the UNIQUE constraint decides)."""
    entry = _get(db, ContestEntry, entry_id)
    if entry.contest_id != contest.id:
        raise NotFound()
    require_contest_action(contest, "rate_entry", now)
    scope = db.get(Place, contest.place_id)
    _require(actor, "rate_contest_entry", acting_path(db, actor, "resident", scope))
    value, problem = rules.stars_problem(stars)
    if problem:
        raise FieldErrors({f"e{entry.id}": problem})
    rating = ContestRating(entry_id=entry.id, user_id=actor.user_id, stars=value, created_at=now)
    try:
        with db.begin_nested():
            db.add(rating)
    except IntegrityError:
        raise Conflict(N_("You have already rated this entry."), code="already_rated") from None
    return rating
