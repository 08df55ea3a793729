"""Building a survey (staff): its settings and its questions.

Each change checks ``manage_survey`` at the survey's place and the survey's lifecycle,
and raises the survey's version (``results_changed``) so no results page shows the
figures from before it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.audit import services as audit
from consult.communities.models import (
    Place,
)
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.surveys import rules
from consult.surveys.models import Option, Question, Survey
from consult.surveys.secrecy import mix_answers
from consult.surveys.services.places import _place, _require
from consult.surveys.services.reading import (
    require_survey_action,
    response_count,
    results_changed,
    survey_state,
)


def managed_places(db: Session, actor: Actor) -> list[Place]:
    """Places (not building groups) inside those the actor manages, for the place picker."""
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    tops = db.exec(select(Place).where(Place.id.in_(ids))).all()
    return list(db.exec(select(Place).where(or_(*(Place.path.startswith(t.path) for t in tops)),
                                            Place.kind != "building_group")
                        .order_by(Place.path)).all())


def create_survey(db: Session, actor: Actor, *, place_id, title: str, description: str,
                  audience: str, anonymous: bool, opens_at: datetime | None,
                  closes_at: datetime | None) -> Survey:
    place = _place(db, place_id)
    if place is None:
        raise FieldErrors({"place_id": Msg(N_("Please choose a place."))})
    _require(actor, "manage_survey", place)
    problems = rules.survey_problems(title=title, description=description, audience=audience,
                                     opens_at=opens_at, closes_at=closes_at)
    if problems:
        raise FieldErrors(problems)
    survey = Survey(title=title.strip(), description=description.strip(), place_id=place.id,
                    audience=audience, anonymous=anonymous, opens_at=opens_at, closes_at=closes_at,
                    created_by=actor.user_id)
    db.add(survey)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="create_survey", target_type="survey",
                 target_id=survey.id, place_id=place.id)
    return survey


def update_survey(db: Session, actor: Actor, survey: Survey, *, title: str, description: str,
                  audience: str, anonymous: bool, opens_at: datetime | None,
                  closes_at: datetime | None, now: datetime | None = None) -> Survey:
    """Change what the lifecycle allows (``rules.settings_actions``): texts and the closing
    time until the close, the opening time, audience and anonymity before opening (and
    before any answer). Closing time now or earlier closes an open survey now."""
    now = now or clock.utcnow()
    place = db.get(Place, survey.place_id)
    _require(actor, "manage_survey", place)
    problems = rules.survey_problems(title=title, description=description, audience=audience,
                                     opens_at=opens_at, closes_at=closes_at)
    if problems:
        raise FieldErrors(problems)
    new = {"title": title.strip(), "description": description.strip(), "audience": audience,
           "anonymous": anonymous, "opens_at": opens_at, "closes_at": closes_at}
    actions = rules.settings_actions({name: getattr(survey, name) for name in new}, new)
    if not actions:
        return survey
    for action in actions:
        state = require_survey_action(survey, action, now)
    if "change_audience" in actions and response_count(db, survey.id):
        raise Conflict(N_("The audience and anonymity cannot change once answers have arrived."))
    if "change_closing" in actions:
        closes_at, problem = rules.closing_time(state, closes_at, now)
        if problem:
            raise FieldErrors({"closes_at": problem})
    if ("reschedule" in actions and opens_at <= now < closes_at
            and not _question_count(db, survey.id)):
        raise FieldErrors({"opens_at": rules.OPEN_NEEDS_QUESTIONS})
    results_changed(db, survey.id)
    survey.title, survey.description = new["title"], new["description"]
    survey.audience, survey.anonymous = audience, anonymous
    if "reschedule" in actions:
        survey.opens_at = opens_at
    if "change_closing" in actions:
        survey.closes_at = closes_at
    db.add(survey)
    audit.record(db, actor_id=actor.user_id, action="update_survey", target_type="survey",
                 target_id=survey.id, place_id=place.id)
    if survey.anonymous and survey_state(survey, now) == "closed":  # closed early, now
        db.flush()
        mix_answers(db, survey.id)
    return survey


def _editable(db: Session, actor: Actor, survey: Survey, now: datetime | None) -> Place:
    place = db.get(Place, survey.place_id)
    _require(actor, "manage_survey", place)
    require_survey_action(survey, "edit_questions", now or clock.utcnow())
    if response_count(db, survey.id):
        raise Conflict(N_("Questions cannot change once answers have arrived."), code="has_answers")
    results_changed(db, survey.id)
    return place


def add_question(db: Session, actor: Actor, survey: Survey, draft: rules.QuestionDraft, *,
                 now: datetime | None = None) -> Question:
    _editable(db, actor, survey, now)
    problems = rules.question_problems(draft)
    if problems:
        raise FieldErrors(problems)
    last = db.exec(select(func.max(Question.position)).where(Question.survey_id == survey.id)).one()
    kind = draft.kind
    question = Question(
        survey_id=survey.id, position=(last or 0) + 1, kind=kind, text=draft.text.strip(),
        hint=draft.hint.strip(), required=draft.required,
        max_choices=draft.max_choices if kind == "multiple" else None,
        min_value=draft.min_value if kind == "number" else None,
        max_value=draft.max_value if kind == "number" else None,
        max_length=(draft.max_length or rules.TEXT_LIMIT_MAX) if kind == "text" else None,
    )
    db.add(question)
    db.flush()
    if kind in ("single", "multiple"):
        labels = [o.strip() for o in draft.options if o.strip()]
        db.add_all(Option(question_id=question.id, position=i, label=label)
                   for i, label in enumerate(labels, start=1))
        db.flush()
    return question


def _question(db: Session, survey: Survey, question_id) -> Question:
    question = db.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        raise NotFound()
    return question


def move_question(db: Session, actor: Actor, survey: Survey, question_id: int, up: bool, *,
                  now: datetime | None = None) -> None:
    _editable(db, actor, survey, now)
    _question(db, survey, question_id)
    questions = list(db.exec(select(Question).where(Question.survey_id == survey.id)
                             .order_by(Question.position, Question.id)).all())
    index = next(i for i, q in enumerate(questions) if q.id == question_id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    for position, q in enumerate(questions, start=1):
        q.position = position
        db.add(q)


def delete_question(db: Session, actor: Actor, survey: Survey, question_id: int, *,
                    now: datetime | None = None) -> None:
    _editable(db, actor, survey, now)
    question = _question(db, survey, question_id)
    if survey_state(survey, now or clock.utcnow()) == "open" and _question_count(db, survey.id) == 1:
        raise Conflict(rules.LAST_QUESTION, code="last_question")
    db.delete(question)
    db.flush()


def _question_count(db: Session, survey_id: int) -> int:
    return db.exec(select(func.count()).select_from(Question)
                   .where(Question.survey_id == survey_id)).one()
