"""The committee's vote-round operations over the JSON API: settings, publishing,
objections and their answers, confirming the outcome.

The same services as the committee's pages (``routes/committee.py``, ``routes/results.py``),
so the same permissions (``consult.permissions``) and the same checks. The settings body
is :class:`SettingsBody`: one line per field of the settings form, typed; it is turned into
the form's values and read by ``rules.parse_settings``, as the page's form is. A new
``VoteSettings`` field that the form reads is one more line there (the GET answers the
same fields, read from the round's settings).
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request

from consult import clock, permissions
from consult.errors import Forbidden, NotFound
from consult.voting import services
from consult.web.api import INTEGER, STRING, Body, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require, require_user
from consult.web.db import get_db
from consult.web.templating import translator_for


class SettingsBody(Body):
    """A vote round's settings, each field as the settings form names it (``budget_fen``
    in fen where the form types yuan); a field left out is left empty, as on the form."""

    ballot_kind: str
    rule: str
    min_choices: int | None = None
    max_choices: int | None = None
    max_points: int | None = None
    max_points_per_idea: int | None = None
    ranking_length: int | None = None
    points_per_rank: list[int] | None = None
    min_score: int | None = None
    k: int | None = None
    budget_fen: int | None = None
    eligibility: str | None = None
    double_key: bool | None = None
    notice_days: int | None = None
    assisted_voting: bool | None = None


def _form_value(name: str, value) -> tuple[str, str]:
    """One field of the body as the settings form would have sent it."""
    if name == "budget_fen":
        return "budget", "" if value is None else f"{value // 100}.{value % 100:02d}"
    if value is None:
        return name, ""
    if isinstance(value, bool):
        return name, "1" if value else ""
    if isinstance(value, list):
        return name, ",".join(str(v) for v in value)
    return name, str(value)


def _settings_json(vr: services.VoteRound) -> dict:
    settings = vr.settings
    values = {name: getattr(settings, name, None) for name in SettingsBody.model_fields}
    values["points_per_rank"] = list(settings.points_per_rank or [])
    return values


SETTINGS = {**SettingsBody.model_json_schema(), "additionalProperties": True}
SETTINGS.pop("required", None)
RESULT = obj({"round_id": INTEGER, "rule": STRING, "ballots": INTEGER,
              "selected": {"type": "array", "items": INTEGER}, "published_at": STRING,
              "notice_until": STRING, "finalized_at": {"type": ["string", "null"]}},
             ["round_id", "selected", "published_at", "notice_until"])
NULLABLE_TIME = {"type": ["string", "null"]}
JOB = obj({"round_id": INTEGER, "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
           "ballots": INTEGER, "requested_at": STRING, "started_at": NULLABLE_TIME,
           "finished_at": NULLABLE_TIME, "seconds": INTEGER, "may_retry": {"type": "boolean"},
           "error": {"type": ["string", "null"]}, "result": {"anyOf": [RESULT, {"type": "null"}]}},
          ["round_id", "state", "ballots", "requested_at", "seconds", "may_retry", "error", "result"])
OBJECTION = obj({"id": INTEGER, "round_id": INTEGER, "body": STRING, "created_at": STRING,
                 "edited_at": {"type": ["string", "null"]}, "answer": {"type": ["string", "null"]},
                 "answered_at": {"type": ["string", "null"]}}, ["id", "round_id", "body"])


class ObjectionBody(Body):
    body: str


class AnswerBody(Body):
    answer: str


def _round(request: Request) -> services.VoteRound:
    return services.load_round(get_db(request), request.path_params["rid"], clock.utcnow())


def _result_json(vr: services.VoteRound, result) -> dict:
    return {"round_id": vr.id, "rule": result.rule, "ballots": result.ballots,
            "selected": list(result.selected), "published_at": result.published_at,
            "notice_until": result.notice_until, "finalized_at": result.finalized_at}


def _objection_json(o) -> dict:
    return {"id": o.id, "round_id": o.round_id, "body": o.body, "created_at": o.created_at,
            "edited_at": o.edited_at, "answer": o.answer, "answered_at": o.answered_at}


async def settings_get(request: Request):
    vr = _round(request)
    actor = require(request, "use_account")
    if not any(permissions.allowed(action, actor, vr.scope.ids_from_root)
               for action in ("manage_consultation", "publish_results")):  # as the settings page
        raise Forbidden()
    return ok(_settings_json(vr))


async def settings_put(request: Request):
    data = await json_body(request)
    vr = _round(request)
    # a field left out is left out of the form too: the form's own default applies (the
    # minimum of votes is 1 when left out, none when sent empty as null)
    form = dict(_form_value(name, data[name]) for name in SettingsBody.model_fields if name in data)
    services.save_settings(get_db(request), require(request, "use_account"), vr, form, clock.utcnow())
    return ok(_settings_json(_round(request)))


async def publish(request: Request):
    """Ask for the publication (202): counted after the answer, as from the page; the job's
    URL (``Location``) tells how it goes and, when done, the result."""
    if services.active_job(get_db(request), request.path_params["rid"], clock.utcnow()) is None:
        services.lock_round(get_db(request), request.path_params["rid"])  # then the clock, as the page
    vr = _round(request)
    job = services.request_publish(get_db(request), require(request, "use_account"), vr, clock.utcnow())
    response = ok(_job_json(request, vr, services.job_view(job, clock.utcnow()), None), status=202)
    response.headers["location"] = str(request.url_for("api:api_vote_publish_job", rid=vr.id).path)
    response.background = BackgroundTask(services.run_publish_job, request.app.state.database, job.id)
    return response


async def publish_job(request: Request):
    vr = _round(request)
    actor = require(request, "use_account")
    path = vr.scope.ids_from_root
    if not (permissions.allowed("publish_results", actor, path)
            or permissions.allowed("manage_consultation", actor, path)):
        raise Forbidden()
    job = services.job_of(get_db(request), vr.id)
    if job is None:
        raise NotFound()
    view = services.job_view(job, clock.utcnow())
    result = services.published_result(get_db(request), vr.id) if view.state == "done" else None
    return ok(_job_json(request, vr, view, result))


def _job_json(request: Request, vr: services.VoteRound, view, result) -> dict:
    t = translator_for(request)
    return {"round_id": vr.id, "state": view.state, "ballots": view.ballots,
            "requested_at": view.requested_at, "started_at": view.started_at,
            "finished_at": view.finished_at, "seconds": view.seconds, "may_retry": view.may_retry,
            "error": view.error.translate(t) if view.error else None,
            "result": _result_json(vr, result) if result is not None else None}


async def finalize(request: Request):
    vr = _round(request)
    result = services.finalize(get_db(request), require(request, "use_account"), vr, clock.utcnow())
    return ok(_result_json(vr, result))


async def objections_list(request: Request):
    vr = _round(request)
    found = services.results(get_db(request), vr, clock.utcnow())
    return ok({"objections": [_objection_json(o) for o in found.objections]})


async def objection_file(request: Request):
    data = await json_body(request)
    vr = _round(request)
    filed = services.file_objection(get_db(request), current_actor(request), require_user(request),
                                    vr, data["body"], clock.utcnow())
    return ok(_objection_json(filed), status=201)


async def objection_answer(request: Request):
    data = await json_body(request)
    answered, _ = services.answer_objection(get_db(request), require(request, "use_account"),
                                            request.path_params["oid"], data["answer"], clock.utcnow())
    return ok(_objection_json(answered))


PAPER_VOTER = obj({"id": INTEGER, "area_id": INTEGER, "area": STRING,
                   "building_group_id": {"type": ["integer", "null"]}, "name": STRING,
                   "id_last4": STRING, "note": STRING, "user_id": {"type": ["integer", "null"]}},
                  ["id", "area_id", "name", "id_last4"])


class PaperVoterBody(Body):
    area_id: int
    building_group_id: int | None = None
    name: str
    id_last4: str
    note: str = ""


class LinkBody(Body):
    """The paper-only resident and the phone number of the account they opened."""

    paper_voter_id: int
    phone: str


def _paper_voter_json(person, area=None) -> dict:
    return {"id": person.id, "area_id": person.area_id, "area": area.name if area else "",
            "building_group_id": person.building_group_id, "name": person.name,
            "id_last4": person.id_last4, "note": person.note, "user_id": person.user_id}


def _paper_staff(request: Request, vr: services.VoteRound):
    actor = require(request, "use_account")
    if not services.staff_within(get_db(request), actor, vr, "enter_paper_ballot"):  # as the page
        raise Forbidden()
    return actor


async def paper_voters_list(request: Request):
    vr = _round(request)
    rows = services.paper_voters(get_db(request), _paper_staff(request, vr), vr)
    return ok({"paper_voters": [_paper_voter_json(person, area) for person, area in rows]})


async def paper_voter_add(request: Request):
    data = await json_body(request)
    vr = _round(request)
    person = services.register_paper_voter(
        get_db(request), _paper_staff(request, vr), vr, area_id=str(data["area_id"]),
        building_group_id=str(data.get("building_group_id") or ""), name=data["name"],
        id_last4=data["id_last4"], note=data.get("note", ""), now=clock.utcnow())
    return ok(_paper_voter_json(person), status=201)


async def paper_voter_link(request: Request):
    data = await json_body(request)
    vr = _round(request)
    done = services.link_paper_voter(get_db(request), _paper_staff(request, vr), vr,
                                     paper_voter_id=str(data["paper_voter_id"]), phone=data["phone"],
                                     now=clock.utcnow())
    return ok({"paper_voter": _paper_voter_json(done.person), "user_id": done.user.id,
               "removed": done.removed, "published_both": done.published_both})


TAG = "voting"
routes = [
    api_route("/rounds/{rid:int}/paper-voters", paper_voters_list, name="api_paper_voters", tag=TAG,
              summary="The paper-only residents of the round's scope that I enter ballots for (staff)",
              response=obj({"paper_voters": {"type": "array", "items": PAPER_VOTER}}, ["paper_voters"])),
    api_route("/rounds/{rid:int}/paper-voters", paper_voter_add, method="POST", name="api_paper_voter_add",
              tag=TAG, summary="Register a resident without an account who votes on paper (staff)",
              body=PaperVoterBody, response=PAPER_VOTER, status=201),
    api_route("/rounds/{rid:int}/paper-voters/link", paper_voter_link, method="POST",
              name="api_paper_voter_link", tag=TAG,
              summary="A paper-only resident opened an account: from now on they vote as it (staff)",
              body=LinkBody, response=obj({"paper_voter": PAPER_VOTER, "user_id": INTEGER,
                                           "removed": INTEGER, "published_both": INTEGER},
                                          ["paper_voter", "user_id", "removed", "published_both"])),
    api_route("/rounds/{rid:int}/settings", settings_get, name="api_vote_settings_get", tag=TAG,
              summary="A vote round's settings (staff)", response=SETTINGS),
    api_route("/rounds/{rid:int}/settings", settings_put, method="PUT", name="api_vote_settings_put",
              tag=TAG, summary="Replace a vote round's settings, checked as the settings form is (staff)",
              body=SettingsBody, response=SETTINGS),
    api_route("/rounds/{rid:int}/publish", publish, method="POST", name="api_vote_publish", tag=TAG,
              summary="Ask for the closed round's result to be counted and published (staff): "
                      "counted after the answer; the job (Location) tells when it is done",
              response=JOB, status=202),
    api_route("/rounds/{rid:int}/publish-job", publish_job, name="api_vote_publish_job", tag=TAG,
              summary="How the publication asked for goes: queued, running, done (with the result) "
                      "or failed (with why) (staff)", response=JOB),
    api_route("/rounds/{rid:int}/finalize", finalize, method="POST", name="api_vote_finalize", tag=TAG,
              summary="After the notice period, confirm the outcome: the selected ideas become projects "
                      "(staff)", response=RESULT),
    api_route("/rounds/{rid:int}/objections", objections_list, name="api_vote_objections", tag=TAG,
              auth=False, summary="The objections to a published result, with their answers",
              response=obj({"objections": {"type": "array", "items": OBJECTION}}, ["objections"])),
    api_route("/rounds/{rid:int}/objections", objection_file, method="POST", name="api_vote_objection_file",
              tag=TAG, summary="Object to a published result during its notice period (resident)",
              body=ObjectionBody, response=OBJECTION, status=201),
    api_route("/objections/{oid:int}/answer", objection_answer, method="POST",
              name="api_vote_objection_answer", tag=TAG,
              summary="Answer an objection publicly (staff)", body=AnswerBody, response=OBJECTION),
]
