"""Surveys over the JSON API: list, read, answer, enter paper forms, results; staff building.

The same services as the pages. Times are ISO 8601; exact figures are given as
``"num/den"`` next to their rounded display (``"66.7%"``, ``"4.25"``).
"""

from __future__ import annotations

from fractions import Fraction

from starlette.requests import Request

from consult import clock
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.parsing import parse_local_datetime
from consult.surveys import rules, services
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require_user
from consult.web.db import get_db
from consult.web.templating import translator_for

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
FIGURE = obj({"exact": NULLABLE_STRING, "shown": STRING})
SURVEY = obj({"id": INTEGER, "title": STRING, "place_id": INTEGER, "place_name": STRING,
              "audience": {"type": "string", "enum": ["residents", "owners", "owners_reps"]},
              "anonymous": BOOLEAN, "state": {"type": "string", "enum": ["upcoming", "open", "closed"]},
              "opens_at": STRING, "closes_at": STRING})
QUESTION = obj({"id": INTEGER, "kind": STRING, "text": STRING, "hint": STRING, "required": BOOLEAN,
                "max_choices": NULLABLE_INT, "min_value": NULLABLE_INT, "max_value": NULLABLE_INT,
                "max_length": NULLABLE_INT,
                "options": {"type": "array", "items": obj({"id": INTEGER, "label": STRING})}})
ANSWERS = {"type": "object", "description": "question id → an option id, a whole number or a text; "
                                            "a list of option ids for multiple choice",
           "additionalProperties": {"type": ["integer", "string", "array"]}}


def _figure(value: Fraction | None, shown: str) -> dict:
    return {"exact": f"{value.numerator}/{value.denominator}" if value is not None else None,
            "shown": shown}


def survey_json(survey, place, now) -> dict:
    return {"id": survey.id, "title": survey.title, "place_id": place.id, "place_name": place.name,
            "audience": survey.audience, "anonymous": survey.anonymous,
            "state": rules.state(survey.opens_at, survey.closes_at, now),
            "opens_at": survey.opens_at, "closes_at": survey.closes_at}


def _raw_answers(data: dict) -> dict[str, list[str]]:
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise FieldErrors({"answers": Msg(N_("Please send the answers as an object."))})
    raw: dict[str, list[str]] = {}
    for key, value in answers.items():
        values = value if isinstance(value, list) else [value]
        raw[f"q{key}"] = ["" if v is None else str(v) for v in values]
    return raw


def _response_id(form, response) -> int | None:
    """An anonymous survey's response has no id to show: an id given to the person who
    answered would be a handle on their answers (README, "Anonymous surveys")."""
    return None if form.survey.anonymous else response.id


async def list_surveys(request: Request):
    now = clock.utcnow()
    return ok({"surveys": [survey_json(s, p, now) for s, p in services.list_surveys(
        get_db(request), query=request.query_params.get("q"))]})


async def survey_detail(request: Request):
    db = get_db(request)
    form = services.load_form(db, request.path_params["survey_id"])
    now = clock.utcnow()
    verdict = services.eligibility(db, current_actor(request), form, now)
    t = translator_for(request)
    return ok({
        **survey_json(form.survey, form.place, now),
        "description": form.survey.description,
        "questions": [{"id": q.id, "kind": q.kind, "text": q.text, "hint": q.hint, "required": q.required,
                       "max_choices": q.max_choices, "min_value": q.min_value, "max_value": q.max_value,
                       "max_length": q.max_length,
                       "options": [{"id": o.id, "label": o.label} for o in form.options.get(q.id, [])]}
                      for q in form.questions],
        "you": {"may_answer": verdict.may_answer, "already": verdict.already,
                "reason": t(verdict.reason) if verdict.reason else None,
                "homes": [{"id": h.id, "building": h.building, "room": h.room} for h in verdict.homes]},
    })


async def answer(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    form = services.load_form(db, request.path_params["survey_id"])
    response = services.submit(db, current_actor(request), form, _raw_answers(data), now=clock.utcnow(),
                               home_id=str(data.get("home_id") or ""))
    return ok({"id": _response_id(form, response), "survey_id": form.survey.id,
               "channel": response.channel}, status=201)


async def paper(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    form = services.load_form(db, request.path_params["survey_id"])
    response = services.enter_paper(
        db, current_actor(request), form, _raw_answers(data), serial=str(data.get("serial", "")),
        now=clock.utcnow(), building_group_id=data.get("building_group_id"),
        home_code=str(data.get("home_code") or ""))
    return ok({"id": _response_id(form, response), "survey_id": form.survey.id,
               "channel": response.channel, "serial": response.paper_serial}, status=201)


async def results(request: Request):
    db = get_db(request)
    form = services.results_form(db, request.path_params["survey_id"])
    now = clock.utcnow()
    services.check_results_visible(current_actor(request), form, now)
    result = services.results(db, form, now)
    t = translator_for(request)

    def label(value):
        return t(value) if isinstance(value, Msg) else value

    return ok({
        "survey": survey_json(form.survey, form.place, now),
        "responses": result.responses, "paper": result.paper, "audience": result.audience,
        "response_rate": _figure(result.response_rate, rules.percent(result.response_rate)),
        "questions": [{
            "id": r.question.id, "kind": r.question.kind, "text": r.question.text, "answered": r.answered,
            "rows": [{"label": label(row.label), "count": row.count,
                      "share": _figure(row.share, rules.percent(row.share))} for row in r.rows],
            "mean": _figure(r.mean, rules.two_decimals(r.mean)),
            "satisfaction_rate": _figure(r.rate, rules.percent(r.rate)) if r.question.kind == "satisfaction" else None,
            "latest_texts": r.texts,
        } for r in result.questions],
        "building_groups": [{"name": label(g.name), "responses": g.responses, "audience": g.audience,
                             "satisfaction_rate": _figure(g.satisfied, rules.percent(g.satisfied))}
                            for g in (result.groups or [])],
    })


async def create(request: Request):
    data = await json_body(request)
    require_user(request)
    survey = services.create_survey(
        get_db(request), current_actor(request), place_id=data.get("place_id"),
        title=str(data.get("title", "")), description=str(data.get("description", "")),
        audience=str(data.get("audience", "")), anonymous=data.get("anonymous") is True,
        opens_at=parse_local_datetime(data.get("opens_at")),
        closes_at=parse_local_datetime(data.get("closes_at")))
    return ok({"id": survey.id}, status=201)


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def add_question(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    survey = services.get_survey(db, request.path_params["survey_id"])
    options = data.get("options") if isinstance(data.get("options"), list) else []
    question = services.add_question(db, current_actor(request), survey, rules.QuestionDraft(
        kind=str(data.get("kind", "")), text=str(data.get("text", "")), hint=str(data.get("hint", "")),
        required=data.get("required", True) is not False, options=tuple(str(o) for o in options),
        max_choices=_int_or_none(data.get("max_choices")), min_value=_int_or_none(data.get("min_value")),
        max_value=_int_or_none(data.get("max_value")), max_length=_int_or_none(data.get("max_length"))))
    return ok({"id": question.id}, status=201)


CREATED = obj({"id": INTEGER})

routes = [
    api_route("/surveys", list_surveys, name="api_surveys", tag="surveys", auth=False,
              summary="Surveys, newest first, with their state",
              response=obj({"surveys": {"type": "array", "items": SURVEY}})),
    api_route("/surveys", create, method="POST", name="api_survey_create", tag="surveys",
              summary="Create a survey (staff of the place)", status=201, response=CREATED,
              body=obj({"place_id": INTEGER, "title": STRING, "description": STRING,
                        "audience": STRING, "anonymous": BOOLEAN, "opens_at": STRING,
                        "closes_at": STRING}, ["place_id", "title", "audience", "opens_at", "closes_at"])),
    api_route("/surveys/{survey_id:int}", survey_detail, name="api_survey", tag="surveys", auth=False,
              summary="A survey with its questions, and whether I may answer it",
              response=obj({"questions": {"type": "array", "items": QUESTION},
                            "you": obj({"may_answer": BOOLEAN, "already": BOOLEAN, "reason": NULLABLE_STRING})})),
    api_route("/surveys/{survey_id:int}/questions", add_question, method="POST", name="api_survey_question_add",
              tag="surveys", summary="Add a question (before any answer arrives)", status=201, response=CREATED,
              body=obj({"kind": {"type": "string", "enum": list(rules.KIND_NAMES)}, "text": STRING,
                        "hint": STRING, "required": BOOLEAN, "options": {"type": "array", "items": STRING},
                        "max_choices": INTEGER, "min_value": INTEGER, "max_value": INTEGER,
                        "max_length": INTEGER}, ["kind", "text"])),
    api_route("/surveys/{survey_id:int}/responses", answer, method="POST", name="api_survey_answer",
              tag="surveys", summary="Answer a survey (once per person, or per home for owners)", status=201,
              body=obj({"answers": ANSWERS, "home_id": INTEGER}, ["answers"]),
              response=obj({"id": NULLABLE_INT, "survey_id": INTEGER, "channel": STRING})),
    api_route("/surveys/{survey_id:int}/paper", paper, method="POST", name="api_survey_paper",
              tag="surveys", summary="Enter a paper form (staff); its serial number is unique", status=201,
              body=obj({"serial": STRING, "answers": ANSWERS, "building_group_id": INTEGER,
                        "home_code": STRING}, ["serial", "answers"]),
              response=obj({"id": NULLABLE_INT, "channel": STRING, "serial": STRING})),
    api_route("/surveys/{survey_id:int}/results", results, name="api_survey_results", tag="surveys",
              auth=False, summary="Results: distribution, mean, satisfaction rate, response rate "
                                  "(staff any time; everyone after closing)",
              response=obj({"responses": INTEGER, "audience": INTEGER, "response_rate": FIGURE,
                            "questions": {"type": "array", "items": obj({
                                "id": INTEGER, "answered": INTEGER, "mean": FIGURE,
                                "rows": {"type": "array", "items": obj({"label": STRING, "count": INTEGER,
                                                                        "share": FIGURE})}})}})),
]
