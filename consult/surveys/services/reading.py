"""Reading surveys: one survey with its form, the lists, and its lifecycle.

Every privileged action checks the survey's lifecycle (``rules.SURVEY_ACTIONS``,
``require_survey_action``): once a survey has closed nothing about it changes.
``results_changed`` lives here, beside the reads, because every writer (building,
answering, paper forms, ratings) calls it before its first write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.communities.models import (
    Place,
)
from consult.db import search
from consult.db.ids import parse_id
from consult.errors import Conflict, NotFound
from consult.permissions import Actor
from consult.surveys import rules
from consult.surveys.models import Option, Question, Response, Survey
from consult.surveys.secrecy import answered_surveys


def get_survey(db: Session, survey_id: int) -> Survey:
    survey = db.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    return survey


def survey_state(survey: Survey, now: datetime) -> str:
    return rules.state(survey.opens_at, survey.closes_at, now)


def require_survey_action(survey: Survey, action: str, now: datetime) -> str:
    """Refuse (``Conflict``, nothing changed) an action the survey's state does not allow
    (``rules.SURVEY_ACTIONS``); return the state."""
    state = survey_state(survey, now)
    if problem := rules.survey_action_problem(action, state):
        raise Conflict(problem, code=rules.REFUSAL_CODES[state])
    return state


def allowed_actions(survey: Survey, now: datetime) -> set[str]:
    """The lifecycle actions the survey's state allows now (the pages show only those)."""
    state = survey_state(survey, now)
    return {action for action in rules.SURVEY_ACTIONS if rules.survey_action_allowed(action, state)}


@dataclass
class SurveyForm:
    survey: Survey
    place: Place
    questions: list[Question]
    options: dict[int, list[Option]]

    def specs(self) -> list[rules.QuestionSpec]:
        return [rules.QuestionSpec(
            id=q.id, kind=q.kind, required=q.required,
            option_ids=tuple(o.id for o in self.options.get(q.id, [])),
            max_choices=q.max_choices, min_value=q.min_value, max_value=q.max_value,
            max_length=q.max_length) for q in self.questions]


def load_form(db: Session, survey_id) -> SurveyForm:
    """A survey with its place, questions and options, in two queries."""
    survey, place = _survey_and_place(db, survey_id)
    questions: dict[int, Question] = {}
    options: dict[int, list[Option]] = defaultdict(list)
    for question, option in db.exec(
            select(Question, Option).outerjoin(Option, Option.question_id == Question.id)
            .where(Question.survey_id == survey.id)
            .order_by(Question.position, Question.id, Option.position, Option.id)).all():
        questions.setdefault(question.id, question)
        if option is not None:
            options[question.id].append(option)
    return SurveyForm(survey, place, list(questions.values()), dict(options))


def _survey_and_place(db: Session, survey_id) -> tuple[Survey, Place]:
    """The survey and its place (NotFound for an unknown id, or one that is no id)."""
    number = parse_id(survey_id)
    row = None if number is None else db.exec(
        select(Survey, Place).join(Place, Place.id == Survey.place_id).where(Survey.id == number)).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def results_changed(db: Session, survey_id: int) -> None:
    """Raise the survey's ``version`` in the caller's transaction.

    The figures of results pages are kept per process under this number (see
    ``_entry``), so every service that changes what they show (a response, a paper
    form, the settings, the questions) calls this: once the change commits, no page
    shows the figures from before it, in any worker. Call it before the first write,
    so that writers always lock the survey row before response rows (one lock order,
    no deadlocks on PostgreSQL).
    """
    db.execute(update(Survey).where(Survey.id == survey_id).values(version=Survey.version + 1))


def response_count(db: Session, survey_id: int) -> int:
    return db.exec(select(func.count()).select_from(Response)
                   .where(Response.survey_id == survey_id)).one()


def list_surveys(db: Session, limit: int = 100, query: str | None = None) -> list[tuple[Survey, Place]]:
    """Every survey with its place, newest first (two lists on the page: open and others);
    with ``query``, only those whose title has it."""
    statement = select(Survey, Place).join(Place, Place.id == Survey.place_id)
    params = {}
    if (found := search.text_query(query)) is not None:
        statement = statement.where(search.contains(
            db.get_bind().dialect.name, Survey.__table__, ("title",), found.indexed))
        params = found.params()
    return list(db.exec(statement.order_by(Survey.opens_at.desc(), Survey.id.desc())
                        .limit(limit), params=params).all())


def answered_ids(db: Session, user_id: int | None, survey_ids: list[int]) -> set[int]:
    """The surveys among ``survey_ids`` the person has answered (their marks, computed)."""
    if user_id is None or not survey_ids:
        return set()
    return answered_surveys(db, user_id, survey_ids)


def staff_surveys(db: Session, actor: Actor) -> list[tuple[Survey, Place, int]]:
    """Surveys at places the actor manages, with their response counts (one query)."""
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    managed = db.exec(select(Place).where(Place.id.in_(ids))).all()
    inside = or_(*(Place.path.startswith(p.path) for p in managed))
    counts = (select(Response.survey_id, func.count().label("n"))
              .group_by(Response.survey_id).subquery())
    return list(db.exec(
        select(Survey, Place, func.coalesce(counts.c.n, 0))
        .join(Place, Place.id == Survey.place_id)
        .outerjoin(counts, counts.c.survey_id == Survey.id)
        .where(inside).order_by(Survey.opens_at.desc(), Survey.id.desc())
    ).all())


def named_answers_by(db: Session, user_ids: set[int], now: datetime) -> list[tuple[int, str, str, str]]:
    """Who of ``user_ids`` answered a named survey that has closed, as participation facts
    ``(user_id, "survey", "survey:<id>", place path)`` (the points club credits them). An
    anonymous survey's answerers are never listed: who answered it stays as secret as a ballot."""
    if not user_ids:
        return []
    rows = db.exec(select(Response.user_id, Survey.id, Place.path).distinct()
                   .join(Survey, Survey.id == Response.survey_id).join(Place, Place.id == Survey.place_id)
                   .where(Response.user_id.in_(user_ids), Survey.anonymous.is_(False),
                          Survey.closes_at <= now)).all()
    return [(user_id, "survey", f"survey:{survey_id}", path) for user_id, survey_id, path in rows]
