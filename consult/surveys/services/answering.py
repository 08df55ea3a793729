"""Answering a survey: who may answer now and why not, on the web and on paper.

Who has answered is a mark keyed by an HMAC under the ballot key (see
:mod:`consult.surveys.secrecy`), never the person's id beside the answers; owners'
surveys are answered once per home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.clock import to_local
from consult.communities.models import (
    Home,
    HomeOwner,
    Place,
    VerificationRequest,
)
from consult.db.ids import random_id
from consult.errors import Conflict, FieldErrors, Forbidden, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.surveys import rules, secrecy
from consult.surveys.models import Answer, Answered, Response, Survey
from consult.surveys.secrecy import answered_among, has_answered
from consult.surveys.services.places import _homes_under, _place, _require, acting_path
from consult.surveys.services.reading import SurveyForm, require_survey_action, results_changed


@dataclass
class Eligibility:
    """Whether the actor may answer now, and if not, why (shown on the page)."""

    state: str
    may_answer: bool = False
    reason: Msg | None = None
    already: bool = False
    #: open by its dates but without questions: it has nothing to answer, so it is not open
    no_questions: bool = False
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


_ELSEWHERE = N_("This survey is for the owners and residents of %(place)s: your home is registered "
                "in another estate.")


def _lives_elsewhere(db: Session, actor: Actor, place: Place) -> bool:
    """Whether an estate's survey should refuse the actor: what we know of their home (a
    linked home, the building group of an approved verification) is all outside ``place``.

    An area's or a sub-district's survey reaches every resident; a resident whose home
    is unknown (verified without a building group) is not refused.
    """
    if place.kind not in ("estate", "building_group"):
        return False
    homes = db.exec(select(Place.path).join(Home, or_(Home.estate_id == Place.id, Home.building_group_id == Place.id))
                    .join(HomeOwner, HomeOwner.home_id == Home.id)
                    .where(HomeOwner.user_id == actor.user_id)).all()
    groups = db.exec(select(Place.path).join(VerificationRequest, VerificationRequest.building_group_id == Place.id)
                     .where(VerificationRequest.user_id == actor.user_id,
                            VerificationRequest.status == "approved")).all()
    known = [*homes, *groups]
    return bool(known) and not any(path.startswith(place.path) for path in known)


def eligibility(db: Session, actor: Actor, form: SurveyForm, now: datetime) -> Eligibility:
    survey, place = form.survey, form.place
    result = Eligibility(state=rules.state(survey.opens_at, survey.closes_at, now))
    if result.state == "upcoming":
        result.reason = Msg(N_("This survey opens on %(date)s."), {"date": _local(survey.opens_at)})
        return result
    if not rules.survey_action_allowed("answer", result.state):
        result.reason = Msg(N_("This survey closed on %(date)s."), {"date": _local(survey.closes_at)})
        return result
    if not form.questions:
        result.no_questions, result.reason = True, rules.NO_QUESTIONS
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
    if survey.audience == "residents" and _lives_elsewhere(db, actor, place):
        result.reason = Msg(_ELSEWHERE, {"place": place.name})
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
        if verdict.no_questions:
            raise Conflict(verdict.reason, code="no_questions")
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
    if not form.questions:
        raise Conflict(rules.NO_QUESTIONS, code="no_questions")
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
