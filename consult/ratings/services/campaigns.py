"""Star-rating campaigns 星级评定: their lifecycle and their setup (thresholds,
criteria, subjects and staff scores).

Every change checks the campaign's lifecycle (``rules.CAMPAIGN_ACTIONS`` through
``require_campaign_action``): once a campaign is published nothing it is computed from
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.audit import services as audit
from consult.communities.models import Place
from consult.db.ids import find, parse_id
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    Contest,
    Criterion,
    StaffScore,
    Subject,
)
from consult.ratings.services.common import _get, _int, _require
from consult.ratings.services.projects import project_choices
from consult.surveys.models import Survey


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
                name: str = "", ref: str = "", survey_id=None, project_id=None,
                now: datetime | None = None) -> Subject:
    """An owners' committee is named after its estate; a building group after itself; a
    completed project may be linked to a delivered one (named after it), whose residents'
    ratings then feed a ``project`` criterion."""
    scope = _editable(db, actor, campaign, now=now)
    place = None
    errors: dict[str, Msg] = {}
    project = None
    if str(project_id or "").strip():
        titles = dict(project_choices(db, scope))
        project = parse_id(project_id)
        if kind != "project" or project not in titles:
            errors["project_id"] = Msg(N_("Please choose an accepted project inside %(place)s."),
                                       {"place": scope.name})
        elif not name.strip():
            name = titles[project]
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
                      ref=ref.strip()[:60], name=name.strip(), survey_id=survey.id if survey else None,
                      project_id=project)
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
