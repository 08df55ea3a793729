"""Survey results: the figures, aggregated with GROUP BY queries, and who may see them.

The number of queries does not grow with the number of responses. The figures are
kept per process under the survey's ``version``, which every change to them raises
(``results_changed``): a repeated results page reads only the survey and its place.
Anonymous surveys' rows are mixed when they close (``mix_answers``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy import bindparam, func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.cache import Cache
from consult.communities.models import (
    Home,
    Place,
)
from consult.db.ids import parse_id
from consult.errors import Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.surveys import rules
from consult.surveys.models import Answer, Option, Question, Response, Survey
from consult.surveys.services.places import _homes_under, audience_size
from consult.surveys.services.reading import SurveyForm


@dataclass
class Row:
    """One bar: a label (an option label, or a Msg for levels and stars) and its count."""

    label: str | Msg
    count: int
    share: Fraction | None


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    rows: list[Row] = field(default_factory=list)
    mean: Fraction | None = None
    rate: Fraction | None = None
    minimum: int | None = None
    maximum: int | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class GroupRow:
    name: str | Msg
    responses: int
    audience: int | None
    rate: Fraction | None
    satisfied: Fraction | None


@dataclass
class Results:
    survey: Survey
    place: Place
    state: str
    responses: int
    paper: int
    audience: int
    response_rate: Fraction | None
    questions: list[QuestionResult]
    groups: list[GroupRow] | None
    key: tuple = ()  # identifies the answers' figures (see ``_entry``)
    #: renderings of ``questions`` the pages keep with the figures (one per language);
    #: shared by every request that reads the same ``key``
    memo: dict = field(default_factory=dict, repr=False, compare=False)


STARS_LABEL = N_("%(n)s stars")
TEXT_SAMPLE = 5
UNKNOWN_GROUP = N_("Building group not known")


@dataclass(frozen=True)
class Aggregates:
    """The GROUP BY figures of a survey's answers (cached: see ``_entry``)."""

    answered: dict[int, int]
    option_counts: dict[int, int]
    levels: dict[int, dict[int, int]]
    numbers: dict[int, tuple[int, int, int, int]]
    texts: dict[int, list[str]]
    group_counts: dict[int | None, int]
    group_levels: dict[int | None, dict[int, int]]


@dataclass(frozen=True)
class _Answers:
    """Everything the results show of the answers themselves."""

    responses: int
    paper: int
    agg: Aggregates
    questions: list[QuestionResult]


@dataclass
class _Entry:
    """What a results page shows of one version of a survey, shared by requests.

    Questions and options are plain rows (never ORM objects: they outlive the request
    that read them). ``answers`` is filled on the first ``results`` call and ``memo``
    by the pages (rendered fragments).
    """

    questions: list
    options: dict[int, list]
    answers: _Answers | None = None
    memo: dict = field(default_factory=dict)


#: the kept results of the 64 surveys last shown, by ``_results_key``
_RESULTS = Cache(64)


def clear_results_cache() -> None:
    _RESULTS.clear()


def _results_key(survey: Survey) -> tuple:
    return (survey.id, survey.created_at, survey.version)


def _entry(db: Session, survey: Survey) -> _Entry:
    """The kept questions and figures of ``survey`` as it is now.

    Every change to what the results show raises ``Survey.version`` in the same
    transaction (``results_changed``), so the survey row read in this request names
    the current figures; they are kept in a small per-process cache under that key.
    Each worker process has its own; all read the version from the database first, so
    none is stale. (Figures computed a moment after the version was read may include
    a response committed meanwhile: newer than their key, never older.)
    """
    return _RESULTS.get_or_compute(_results_key(survey), lambda: _read_entry(db, survey))


def _read_entry(db: Session, survey: Survey) -> _Entry:
    questions = db.execute(select(Question.__table__).where(Question.survey_id == survey.id)
                           .order_by(Question.position, Question.id)).all()
    options: dict[int, list] = defaultdict(list)
    if questions:
        for option in db.execute(select(Option.__table__).where(
                Option.question_id.in_([q.id for q in questions]))
                .order_by(Option.question_id, Option.position, Option.id)).all():
            options[option.question_id].append(option)
    return _Entry(list(questions), dict(options))


_RESULTS_HEADER = (select(Survey, Place).join(Place, Place.id == Survey.place_id)
                   .where(Survey.id == bindparam("sid")))


def results_form(db: Session, survey_id) -> SurveyForm:
    """The form behind a results page, in one query when its figures are kept.

    The survey and its place are read now; the questions and options are plain rows
    kept per version of the survey (``_entry``). Read-only: change a survey through
    ``load_form``.
    """
    number = parse_id(survey_id)
    row = None if number is None else db.execute(_RESULTS_HEADER, {"sid": number}).first()
    if row is None:
        raise NotFound()
    survey, place = row
    entry = _entry(db, survey)
    return SurveyForm(survey, place, entry.questions, entry.options)


def _count_answers(db: Session, survey: Survey, entry: _Entry) -> _Answers:
    channels = dict(db.exec(select(Response.channel, func.count()).where(
        Response.survey_id == survey.id).group_by(Response.channel)).all())
    agg = _compute_aggregates(db, survey, entry.questions)
    return _Answers(responses=sum(channels.values()), paper=channels.get("paper", 0), agg=agg,
                    questions=_question_results(entry.questions, entry.options, agg))


def _compute_aggregates(db: Session, survey: Survey, questions: list) -> Aggregates:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for q in questions:
        by_kind[q.kind].append(q.id)
    qids = [q.id for q in questions]
    answered: dict[int, int] = {}
    if qids:
        answered = dict(db.exec(select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
                                .where(Answer.question_id.in_(qids)).group_by(Answer.question_id)).all())
    option_counts: dict[int, int] = {}
    choice_ids = by_kind["single"] + by_kind["multiple"]
    if choice_ids:
        option_counts = {oid: n for oid, n in db.exec(
            select(Answer.option_id, func.count()).where(Answer.question_id.in_(choice_ids))
            .group_by(Answer.option_id)).all()}
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    level_ids = by_kind["stars"] + by_kind["satisfaction"]
    if level_ids:
        for qid, value, n in db.exec(select(Answer.question_id, Answer.value, func.count())
                                     .where(Answer.question_id.in_(level_ids))
                                     .group_by(Answer.question_id, Answer.value)).all():
            levels[qid][value] = n
    numbers: dict[int, tuple[int, int, int, int]] = {}
    if by_kind["number"]:
        for qid, n, total, low, high in db.exec(
                select(Answer.question_id, func.count(), func.sum(Answer.value), func.min(Answer.value),
                       func.max(Answer.value)).where(Answer.question_id.in_(by_kind["number"]))
                .group_by(Answer.question_id)).all():
            numbers[qid] = (n, int(total or 0), low, high)
    texts: dict[int, list[str]] = defaultdict(list)
    if by_kind["text"]:
        # named surveys: the latest texts; anonymous ones: a sample in the order of the
        # random ids, since the latest would tell staff what the last person wrote
        order = [Answer.id.desc()] if survey.anonymous else [Response.created_at.desc(), Answer.id.desc()]
        ranked = (select(Answer.question_id, Answer.text,
                         func.row_number().over(partition_by=Answer.question_id,
                                                order_by=order).label("rn"))
                  .join(Response, Response.id == Answer.response_id)
                  .where(Answer.question_id.in_(by_kind["text"]), Answer.text.is_not(None))
                  .subquery())
        for qid, text in db.exec(select(ranked.c.question_id, ranked.c.text)
                                 .where(ranked.c.rn <= TEXT_SAMPLE).order_by(ranked.c.rn)).all():
            texts[qid].append(text)
    group_counts: dict[int | None, int] = {}
    group_levels: dict[int | None, dict[int, int]] = defaultdict(dict)
    if not survey.anonymous:
        group_counts = dict(db.exec(select(Response.building_group_id, func.count()).where(
            Response.survey_id == survey.id).group_by(Response.building_group_id)).all())
        if group_counts and by_kind["satisfaction"]:
            for group, value, n in db.exec(
                    select(Response.building_group_id, Answer.value, func.count())
                    .join(Response, Response.id == Answer.response_id)
                    .where(Answer.question_id.in_(by_kind["satisfaction"]))
                    .group_by(Response.building_group_id, Answer.value)).all():
                group_levels[group][value] = n
    return Aggregates(answered, option_counts, dict(levels), numbers, dict(texts), group_counts,
                      dict(group_levels))


def _question_results(questions: list, options: dict[int, list], agg: Aggregates) -> list[QuestionResult]:
    out: list[QuestionResult] = []
    for q in questions:
        r = QuestionResult(question=q, answered=agg.answered.get(q.id, 0))
        if q.kind in ("single", "multiple"):
            r.rows = [Row(o.label, agg.option_counts.get(o.id, 0),
                          rules.share(agg.option_counts.get(o.id, 0), r.answered))
                      for o in options.get(q.id, [])]
        elif q.kind in ("stars", "satisfaction"):
            counts = agg.levels.get(q.id, {})
            n = sum(counts.values())
            labels = (rules.SATISFACTION_LEVELS if q.kind == "satisfaction"
                      else {v: Msg(STARS_LABEL, {"n": v}) for v in range(5, 0, -1)})
            r.rows = [Row(Msg(label) if isinstance(label, str) else label, counts.get(v, 0),
                          rules.share(counts.get(v, 0), n)) for v, label in labels.items()]
            r.mean = rules.mean(sum(v * c for v, c in counts.items()), n)
            if q.kind == "satisfaction":
                r.rate = rules.satisfaction_rate(counts)
        elif q.kind == "number" and q.id in agg.numbers:
            n, total, r.minimum, r.maximum = agg.numbers[q.id]
            r.mean = rules.mean(total, n)
        elif q.kind == "text":
            r.texts = agg.texts.get(q.id, [])
        out.append(r)
    return out


@dataclass(frozen=True)
class PlaceFigures:
    """Who could answer a survey at its place: the audience and, for the breakdown of a
    named survey, the names of the building groups inside the place and (owners' surveys)
    their homes. People and places, not answers: a results page may keep them for a few
    seconds (``Settings.public_cache_seconds``, under ``place_figures_key``)."""

    audience: int
    group_names: dict[int, str]
    group_homes: dict[int | None, int]


def place_figures_key(survey: Survey, place: Place) -> str:
    return f"surveys:place-figures:{place.id}:{survey.audience}:{int(survey.anonymous)}"


def place_figures(db: Session, survey: Survey, place: Place) -> PlaceFigures:
    names: dict[int, str] = {}
    homes: dict[int | None, int] = {}
    if not survey.anonymous:
        names = dict(db.exec(select(Place.id, Place.name).where(
            Place.kind == "building_group", Place.path.startswith(place.path))).all())
        if survey.audience == "owners":
            homes = dict(db.exec(select(Home.building_group_id, func.count()).where(
                _homes_under(place), Home.developer_held.is_(False))
                .group_by(Home.building_group_id)).all())
    return PlaceFigures(audience_size(db, survey, place), names, homes)


def results(db: Session, form: SurveyForm, now: datetime, figures: PlaceFigures | None = None) -> Results:
    """Every figure of the results page, in a fixed number of GROUP BY queries.

    The answers' figures are kept per version of the survey (see ``_entry``), so a page
    after the first costs no query for them; ``form`` must have been read in this
    transaction. ``figures`` (the audience) are read now unless given.
    """
    survey, place = form.survey, form.place
    entry = _entry(db, survey)
    answers = entry.answers
    if answers is None:
        answers = entry.answers = _count_answers(db, survey, entry)
    if figures is None:
        figures = place_figures(db, survey, place)
    groups = None if survey.anonymous else _group_rows(db, survey, answers.agg, figures)
    return Results(survey=survey, place=place, state=rules.state(survey.opens_at, survey.closes_at, now),
                   responses=answers.responses, paper=answers.paper, audience=figures.audience,
                   response_rate=rules.share(answers.responses, figures.audience),
                   questions=answers.questions, groups=groups, key=_results_key(survey),
                   memo=entry.memo)


def _group_rows(db: Session, survey: Survey, agg: Aggregates, figures: PlaceFigures) -> list[GroupRow]:
    """Named surveys: responses, response rate (owners) and 满意率 per building group."""
    counts = agg.group_counts
    if not counts:
        return []
    names = figures.group_names
    outside = [g for g in counts if g is not None and g not in names]
    if outside:  # answered by someone attached to a group outside the survey's place
        names = {**names, **dict(db.exec(select(Place.id, Place.name).where(Place.id.in_(outside))).all())}
    rows = []
    for group in sorted(counts, key=lambda g: (g is None, names.get(g, ""))):
        size = figures.group_homes.get(group) if survey.audience == "owners" else None
        rows.append(GroupRow(
            name=names.get(group, "") if group is not None else Msg(UNKNOWN_GROUP),
            responses=counts[group], audience=size,
            rate=rules.share(counts[group], size) if size else None,
            satisfied=rules.satisfaction_rate(agg.group_levels.get(group, {}))))
    return rows


def raw_responses(db: Session, form: SurveyForm) -> list[tuple[Response, list[Answer]]]:
    """Every response with its answers, for the Excel export (two queries).

    A named survey's in the order they came; an anonymous survey's shuffled anew each
    time, so that no export lines up with the order of answering."""
    responses = list(db.exec(select(Response).where(Response.survey_id == form.survey.id)
                             .order_by(Response.created_at, Response.id)).all())
    answers: dict[int, list[Answer]] = defaultdict(list)
    if responses:
        for a in db.exec(select(Answer).join(Response, Response.id == Answer.response_id)
                         .where(Response.survey_id == form.survey.id).order_by(Answer.id)).all():
            answers[a.response_id].append(a)
        for rows in answers.values():  # by question, a multiple choice by option (ids are random)
            rows.sort(key=lambda a: (a.question_id, a.option_id or 0))
    if form.survey.anonymous:
        random.SystemRandom().shuffle(responses)
    return [(r, answers.get(r.id, [])) for r in responses]


def check_results_visible(actor: Actor, form: SurveyForm, now: datetime) -> bool:
    """True for staff; others only after closing (raise otherwise). Returns is_staff."""
    staff = permissions.allowed("manage_survey", actor, form.place.ids_from_root)
    state = rules.state(form.survey.opens_at, form.survey.closes_at, now)
    if not rules.results_visible(state, staff):
        raise Forbidden(N_("Results are shown when the survey has closed."))
    return staff
