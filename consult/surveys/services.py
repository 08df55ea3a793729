"""Survey services: building (staff), answering (web and paper), and results.

The audience of a survey at a place is everyone holding the audience's role at that
place, at a place above it, or at a place inside it (a sub-district survey reaches the
residents of every residential area). Every privileged action checks
the survey's lifecycle (``rules.SURVEY_ACTIONS``, ``require_survey_action``): once a survey
has closed nothing about it changes. Who has answered is a mark keyed by an HMAC under
the ballot key (``answer_key``); anonymous surveys' rows are mixed when they close
(``mix_answers``). Results are aggregated with GROUP BY queries;
the number of queries does not grow with the number of responses. The figures are
kept per process under the survey's ``version``, which every change to them raises
(``results_changed``): a repeated results page reads only the survey and its place.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy import bindparam, func, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.audit import services as audit
from consult.cache import Cache
from consult.clock import to_local
from consult.communities.models import (
    Home,
    HomeOwner,
    Place,
    RoleAssignment,
    VerificationRequest,
)
from consult.db.ids import parse_id, random_id
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.surveys import rules, secrecy
from consult.surveys.models import Answer, Answered, Option, Question, Response, Survey
from consult.surveys.secrecy import answered_among, answered_surveys, has_answered, mix_answers

# -- places and audience ------------------------------------------------------------------


def in_scope(place: Place):
    """SQL condition: a place on ``place``'s path (its path is a prefix of ours) or inside it."""
    return or_(literal(place.path).startswith(Place.path), Place.path.startswith(place.path))


def acting_path(db: Session, actor: Actor, role: str, place: Place) -> tuple[int, ...]:
    """The place path at which ``actor`` acts with ``role`` on something scoped to ``place``.

    That is ``place``'s own path when the role is held on it; otherwise the path of a
    place inside ``place`` where the actor holds the role (a resident of 恒丰 answering
    a sub-district survey acts at 恒丰). Permission checks use this path.
    """
    path = place.ids_from_root
    if actor.holds({role}, path):
        return path
    ids = [p for r, p in actor.roles if r == role]
    if ids:
        inside = db.exec(select(Place).where(Place.id.in_(ids), Place.path.startswith(place.path))
                         .order_by(Place.path)).first()
        if inside is not None:
            return inside.ids_from_root
    return path


def _homes_under(place: Place):
    under = select(Place.id).where(Place.path.startswith(place.path))
    return or_(Home.estate_id.in_(under), Home.building_group_id.in_(under))


def audience_size(db: Session, survey: Survey, place: Place) -> int:
    """How many can answer: homes (not developer stock) for owners, people otherwise."""
    if survey.audience == "owners":
        return db.exec(select(func.count()).select_from(Home).where(
            _homes_under(place), Home.developer_held.is_(False))).one()
    role = rules.AUDIENCE_ROLE[survey.audience]
    return db.exec(
        select(func.count(func.distinct(RoleAssignment.user_id)))
        .join(Place, Place.id == RoleAssignment.place_id)
        .where(RoleAssignment.role == role, in_scope(place))
    ).one()


# -- reading ------------------------------------------------------------------------------


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


def list_surveys(db: Session, limit: int = 100) -> list[tuple[Survey, Place]]:
    """Every survey with its place, newest first (two lists on the page: open and others)."""
    return list(db.exec(select(Survey, Place).join(Place, Place.id == Survey.place_id)
                        .order_by(Survey.opens_at.desc(), Survey.id.desc()).limit(limit)).all())


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


# -- building (staff) ---------------------------------------------------------------------


def managed_places(db: Session, actor: Actor) -> list[Place]:
    """Places (not building groups) inside those the actor manages, for the place picker."""
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    tops = db.exec(select(Place).where(Place.id.in_(ids))).all()
    return list(db.exec(select(Place).where(or_(*(Place.path.startswith(t.path) for t in tops)),
                                            Place.kind != "building_group")
                        .order_by(Place.path)).all())


def _require(actor: Actor, action: str, place: Place) -> None:
    if not permissions.allowed(action, actor, place.ids_from_root):
        raise Forbidden()


def _place(db: Session, place_id) -> Place | None:
    number = parse_id(place_id)
    return None if number is None else db.get(Place, number)


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
    db.delete(_question(db, survey, question_id))
    db.flush()


# -- answering ----------------------------------------------------------------------------


@dataclass
class Eligibility:
    """Whether the actor may answer now, and if not, why (shown on the page)."""

    state: str
    may_answer: bool = False
    reason: Msg | None = None
    already: bool = False
    homes: list[Home] = field(default_factory=list)  # owners' surveys: homes still to answer for


_AUDIENCE_REFUSAL = {
    "residents": N_("This survey is for verified residents of %(place)s."),
    "owners": N_("This survey is for owners of homes in %(place)s."),
    "owners_reps": N_("This survey is for owners' representatives of %(place)s."),
}


def _owner_homes(db: Session, actor: Actor, place: Place) -> list[tuple[Home, Place]]:
    """Homes in scope linked to the actor's account, with their estate."""
    return list(db.exec(
        select(Home, Place).join(HomeOwner, HomeOwner.home_id == Home.id)
        .join(Place, Place.id == Home.estate_id)
        .where(HomeOwner.user_id == actor.user_id, _homes_under(place))
        .order_by(Home.id)
    ).all())


def eligibility(db: Session, actor: Actor, form: SurveyForm, now: datetime) -> Eligibility:
    survey, place = form.survey, form.place
    result = Eligibility(state=rules.state(survey.opens_at, survey.closes_at, now))
    if result.state == "upcoming":
        result.reason = Msg(N_("This survey opens on %(date)s."), {"date": _local(survey.opens_at)})
        return result
    if not rules.survey_action_allowed("answer", result.state):
        result.reason = Msg(N_("This survey closed on %(date)s."), {"date": _local(survey.closes_at)})
        return result
    if not actor.authenticated:
        result.reason = Msg(N_("Please sign in to answer."))
        return result
    refusal = Msg(_AUDIENCE_REFUSAL[survey.audience], {"place": place.name})
    action = rules.ANSWER_ACTION[survey.audience]
    if survey.audience == "owners":
        homes = [home for home, estate in _owner_homes(db, actor, place)
                 if permissions.allowed(action, actor, estate.ids_from_root)]
        if not homes:
            result.reason = refusal
            return result
        done = answered_among(db, survey.id, "home", [h.id for h in homes])
        result.homes = [h for h in homes if h.id not in done]
        if not result.homes:
            result.already = True
            result.reason = Msg(N_("Every home of yours has answered this survey. Thank you!"))
            return result
        result.may_answer = True
        return result
    path = acting_path(db, actor, rules.AUDIENCE_ROLE[survey.audience], place)
    if not permissions.allowed(action, actor, path):
        result.reason = refusal
        return result
    if has_answered(db, survey.id, "user", actor.user_id):
        result.already = True
        result.reason = Msg(N_("You have already answered this survey. Thank you!"))
        return result
    result.may_answer = True
    return result


def _local(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def _store(db: Session, survey: Survey, checked: rules.Checked, response: Response) -> Response:
    db.add(response)
    db.flush()
    if checked.answers:  # one executemany, whatever the number of questions
        db.execute(insert(Answer), [
            {"id": random_id(), "response_id": response.id, "question_id": a.question_id,
             "option_id": a.option_id, "value": a.value, "text": a.text} for a in checked.answers])
    return response


def _mark_answered(db: Session, survey: Survey, *, user_id: int | None = None,
                   home_id: int | None = None) -> None:
    """Insert the "has answered" mark; the primary key refuses a second one."""
    kind, number = ("home", home_id) if home_id is not None else ("user", user_id)
    try:
        with db.begin_nested():
            db.add(Answered(survey_id=survey.id, answer_key=secrecy.answer_key(survey.id, kind, number)))
    except IntegrityError:
        raise Conflict(N_("This survey has already been answered (by you or for this home)."),
                       code="already_answered") from None


def _building_group_of(db: Session, user_id: int) -> int | None:
    return db.exec(select(VerificationRequest.building_group_id).where(
        VerificationRequest.user_id == user_id, VerificationRequest.status == "approved",
        VerificationRequest.building_group_id.is_not(None))
        .order_by(VerificationRequest.id.desc())).first()


def submit(db: Session, actor: Actor, form: SurveyForm, raw: dict[str, list[str]], *,
           now: datetime, home_id=None) -> Response:
    """Store one web response; nothing is stored when anything is wrong."""
    survey = form.survey
    verdict = eligibility(db, actor, form, now)
    if not verdict.may_answer:
        if not actor.authenticated:
            raise NotSignedIn()
        if verdict.already or verdict.state != "open":
            raise Conflict(verdict.reason, code="already_answered" if verdict.already else "not_open")
        raise Forbidden(verdict.reason)
    home = None
    if survey.audience == "owners":
        home = next((h for h in verdict.homes if str(h.id) == str(home_id).strip()), None)
        if home is None:
            if len(verdict.homes) == 1 and home_id in (None, ""):
                home = verdict.homes[0]
            else:
                raise FieldErrors({"home_id": Msg(N_("Please choose the home you answer for."))})
    checked = rules.check_answers(form.specs(), raw)
    if checked.errors:
        raise FieldErrors(checked.errors)
    results_changed(db, survey.id)
    if home is not None:
        _mark_answered(db, survey, home_id=home.id)
    else:
        _mark_answered(db, survey, user_id=actor.user_id)
    if survey.anonymous:
        response = Response(survey_id=survey.id, channel="web")
    else:
        group = home.building_group_id if home else _building_group_of(db, actor.user_id)
        response = Response(survey_id=survey.id, channel="web", user_id=actor.user_id,
                            home_id=home.id if home else None, building_group_id=group,
                            created_at=now)
    return _store(db, survey, checked, response)


def paper_groups(db: Session, place: Place) -> list[Place]:
    """Building groups a paper form can be attributed to (for the breakdown)."""
    return list(db.exec(select(Place).where(Place.kind == "building_group",
                                            Place.path.startswith(place.path))
                        .order_by(Place.path)).all())


def enter_paper(db: Session, actor: Actor, form: SurveyForm, raw: dict[str, list[str]], *,
                serial: str, now: datetime, building_group_id=None, home_code: str = "") -> Response:
    """Staff type in a paper form, marked ``paper`` with the form's serial number.

    The form exists already, so unanswered required questions are accepted; a form
    with no answer at all is not. For an owners' survey the home's code, when
    written on the form, marks that home as answered (it cannot answer again online).
    """
    survey, place = form.survey, form.place
    _require(actor, "enter_paper_survey", place)
    require_survey_action(survey, "enter_paper", now)
    errors: dict[str, Msg] = {}
    if problem := rules.serial_problem(serial):
        errors["serial"] = problem
    specs = [rules.QuestionSpec(**{**s.__dict__, "required": False}) for s in form.specs()]
    checked = rules.check_answers(specs, raw)
    errors.update(checked.errors)
    if not errors and not checked.answers:
        errors["serial"] = Msg(N_("This form has no answers; please check it."))
    group = None
    if not survey.anonymous and building_group_id not in (None, ""):
        group = _place(db, building_group_id)
        if group is None or group.kind != "building_group" or not group.path.startswith(place.path):
            errors["building_group_id"] = Msg(N_("Please choose a building group of %(place)s."),
                                              {"place": place.name})
    home = None
    if survey.audience == "owners" and home_code.strip():
        home = db.exec(select(Home).where(Home.code == home_code.strip(), _homes_under(place))).first()
        if home is None:
            errors["home_code"] = Msg(N_("No home with this number in %(place)s."), {"place": place.name})
    if errors:
        raise FieldErrors(errors)
    serial = serial.strip()
    if db.exec(select(Response.id).where(Response.survey_id == survey.id,
                                         Response.paper_serial == serial)).first():
        raise FieldErrors({"serial": Msg(N_("Form %(serial)s has already been entered."), {"serial": serial})})
    results_changed(db, survey.id)
    if home is not None:
        _mark_answered(db, survey, home_id=home.id)
    response = Response(survey_id=survey.id, channel="paper", paper_serial=serial,
                        entered_by=actor.user_id)
    if not survey.anonymous:
        response.home_id = home.id if home else None
        response.building_group_id = home.building_group_id if home else (group.id if group else None)
        response.created_at = now
    try:
        with db.begin_nested():
            _store(db, survey, checked, response)
    except IntegrityError:  # the same serial entered at the same moment by a colleague
        raise FieldErrors({"serial": Msg(N_("Form %(serial)s has already been entered."),
                                         {"serial": serial})}) from None
    audit.record(db, actor_id=actor.user_id, action="enter_paper_survey", target_type="survey",
                 target_id=survey.id, place_id=place.id, serial=serial)
    return response


# -- results ------------------------------------------------------------------------------


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


