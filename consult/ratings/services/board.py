"""A campaign's scoreboard: computed, ranked, published, and a subject's history.

The scoreboard is computed in a fixed number of GROUP BY queries (one per kind of
source), whatever the number of answers, ratings and votes; publishing freezes it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.audit import services as audit
from consult.errors import Conflict
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    ContestEntry,
    ContestRating,
    Criterion,
    Forum,
    ForumRating,
    StaffScore,
    Subject,
)
from consult.ratings.services.campaigns import _editable, criteria_of, subjects_of
from consult.ratings.services.common import _get
from consult.ratings.services.projects import project_ratings
from consult.surveys import rules as survey_rules
from consult.surveys.models import Answer, Question


@dataclass
class SubjectScore:
    subject: Subject
    scores: dict[int, Fraction | None]
    total: Fraction
    stars: int
    complete: bool
    rank: int = 0

    @property
    def missing(self) -> list[int]:
        """The criteria with no data for this subject (they add nothing to the total)."""
        return [c for c, v in self.scores.items() if v is None]


@dataclass
class Scoreboard:
    campaign: Campaign
    criteria: list[Criterion]
    rows: list[SubjectScore]
    frozen: bool
    evidence: dict[tuple[int, int], str] = field(default_factory=dict)
    #: (subject, criterion) → the number of residents' ratings behind a ``project`` score
    counts: dict[tuple[int, int], int] = field(default_factory=dict)


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
    counts: dict[tuple[int, int], int] = {}
    if by_source["project"]:
        rated = project_ratings(db, {s.project_id for s in subjects if s.project_id})
        for s in subjects:
            if s.project_id in rated:
                mean, n = rated[s.project_id]
                for c in by_source["project"]:
                    scores[(s.id, c.id)], counts[(s.id, c.id)] = rules.five_to_100(mean), n

    weights = {c.id: c.weight for c in criteria}
    rows = []
    for s in subjects:
        mine = {c.id: scores.get((s.id, c.id)) for c in criteria}
        total = rules.weighted_total(weights, mine)
        rows.append(SubjectScore(subject=s, scores=mine, total=total,
                                 stars=rules.stars_for(total, campaign.thresholds),
                                 complete=all(v is not None for v in mine.values())))
    _rank(rows)
    return Scoreboard(campaign, criteria, rows, frozen=False, evidence=evidence, counts=counts)


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


def publish(db: Session, actor: Actor, campaign: Campaign, now: datetime, *,
            confirm_missing: bool = False) -> Scoreboard:
    """Freeze every subject's result and open the notice period for objections. A criterion
    without data adds nothing to a subject's total: publishing then needs ``confirm_missing``,
    and is refused (``missing_inputs``) with the list of what is missing."""
    place = _editable(db, actor, campaign, "publish", now)
    scoreboard = compute(db, campaign)
    if not scoreboard.criteria:
        raise Conflict(N_("Please set the criteria before publishing."))
    if not scoreboard.rows:
        raise Conflict(N_("Please add the subjects to rate before publishing."))
    names = {c.id: c.name for c in scoreboard.criteria}
    missing = [f"{row.subject.name}（{'、'.join(names[c] for c in row.missing)}）"
               for row in scoreboard.rows if row.missing]
    if missing and not confirm_missing:
        raise Conflict(Msg(N_("Some scores have no data: %(missing)s. They are shown as missing and add nothing to the total. Tick “Publish with missing data” to publish anyway."),
                           {"missing": "；".join(missing)}), code="missing_inputs")
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
