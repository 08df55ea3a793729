"""Voting over the JSON API: the ballot (get/put), receipts, results, exports, paper entry.

The same services as the pages. A ballot body is ``{"choices": [idea ids]}`` for
approval and choose-one ballots, ``{"points": {"idea id": points}}`` for cumulative
and ``{"ranking": [idea ids, best first]}`` for ordinal; ``home_id`` chooses the home
of an owner with several. Bad ballots answer 422 ``invalid_ballot`` and store nothing.
A ballot put again unchanged answers ``repeated`` with the receipt it already has; a
changed one ``changed`` with a new receipt, the earlier one no longer valid.
"""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.errors import FieldErrors, Forbidden, NotSignedIn, UserError
from consult.i18n import Msg
from consult.voting import api_staff, rules, services
from consult.web.api import BOOLEAN, INTEGER, STRING, Body, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require_user
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, PB_TYPE, download_file

NULLABLE_INT = {"type": ["integer", "null"]}
IDEA = obj({"id": INTEGER, "title": STRING, "cost_fen": NULLABLE_INT,
            "thumbnail_url": {"type": ["string", "null"]}})
CHOICE = obj({"idea_id": INTEGER, "points": INTEGER, "rank": NULLABLE_INT})
SETTINGS = obj({"ballot_kind": {"type": "string", "enum": list(rules.BALLOT_KINDS)},
                "min_choices": INTEGER, "max_choices": NULLABLE_INT, "max_points": NULLABLE_INT,
                "max_points_per_idea": NULLABLE_INT, "ranking_length": NULLABLE_INT,
                "points_per_rank": {"type": "array", "items": INTEGER},
                "rule": STRING, "budget_fen": NULLABLE_INT, "eligibility": STRING})
BALLOT_VIEW = obj({
    "round_id": INTEGER, "title": STRING, "state": STRING, "closes_at": STRING,
    "settings": SETTINGS, "ideas": {"type": "array", "items": IDEA},
    "ballot": {"oneOf": [{"type": "null"}, obj({
        "channel": STRING, "receipt_prefix": {"type": ["string", "null"]}, "updated_at": STRING,
        "choices": {"type": "array", "items": CHOICE}})]},
    "can_vote": BOOLEAN, "message": {"type": ["string", "null"]},
})


class BallotBody(Body):
    """One of ``choices``, ``points`` or ``ranking``, as the round's ballot kind takes."""

    choices: list[int] | None = None
    points: dict[str, int] | None = None
    ranking: list[int] | None = None
    home_id: int | None = None


class PaperBody(BallotBody):
    serial: str
    phone: str | None = None
    paper_voter_id: int | None = None


CAST = obj({"receipt": STRING, "receipt_prefix": STRING, "changed": BOOLEAN, "repeated": BOOLEAN,
            "choices": {"type": "array", "items": CHOICE}}, ["receipt", "changed", "repeated"])
RECEIPT = obj({"counted": BOOLEAN, "found": BOOLEAN, "status": {"type": ["string", "null"]},
               "round_id": NULLABLE_INT, "round": STRING, "consultation": STRING})
RESULTS = obj({"round_id": INTEGER, "rule": STRING, "parameters": {"type": "object"},
               "scores": {"type": "object", "additionalProperties": INTEGER},
               "selected": {"type": "array", "items": INTEGER}, "ballots": INTEGER,
               "ballot_digest": STRING, "tie_breaking": STRING, "published_at": STRING,
               "notice_until": STRING, "finalized_at": {"type": ["string", "null"]},
               "ideas": {"type": "array", "items": IDEA}})
PAPER = obj({"serial": STRING, "status": STRING, "receipt": {"type": ["string", "null"]}})
TURNOUT = obj({"counted": INTEGER, "assisted": INTEGER, "by_channel": {"type": "object"}, "by_status": {"type": "object"},
               "areas": {"type": "array", "items": obj({"place_id": INTEGER, "name": STRING,
                                                        "ballots": INTEGER, "eligible": NULLABLE_INT})},
               "building_groups": {"type": "array", "items": obj({"place_id": INTEGER, "name": STRING,
                                                                  "ballots": INTEGER})}})


def _staff_actor(request: Request, vr: services.VoteRound, action: str):
    actor = current_actor(request)
    if not actor.authenticated:
        raise NotSignedIn()
    if not services.staff_within(get_db(request), actor, vr, action):
        raise Forbidden()
    return actor


def _round(request: Request) -> services.VoteRound:
    return services.load_round(get_db(request), request.path_params["rid"], clock.utcnow())


def _idea_json(idea: services.IdeaOnBallot) -> dict:
    return {"id": idea.id, "title": idea.title, "cost_fen": idea.cost_fen,
            "thumbnail_url": idea.thumbnail_url}


def _choices_json(choices) -> list[dict]:
    return [{"idea_id": c.idea_id, "points": c.points, "rank": c.rank} for c in choices]


def _settings_json(vr: services.VoteRound) -> dict:
    s = vr.settings
    return {"ballot_kind": s.ballot_kind, "min_choices": s.min_choices, "max_choices": s.max_choices,
            "max_points": s.max_points, "max_points_per_idea": s.max_points_per_idea,
            "ranking_length": s.ranking_length, "points_per_rank": list(s.points_per_rank or []),
            "rule": s.rule, "budget_fen": vr.budget_fen, "eligibility": s.eligibility}


def _raw(vr: services.VoteRound, data: dict) -> rules.RawBallot:
    wrong = rules.json_ballot_shape(vr.settings.ballot_kind, data)
    if wrong:
        raise FieldErrors(wrong)
    try:
        return rules.read_json_ballot(vr.settings.ballot_kind, data)
    except rules.BallotFormError as exc:
        raise services.BallotRefused(exc.msg) from None


async def ballot_get(request: Request):
    vr = _round(request)
    db = get_db(request)
    user = require_user(request)
    mine, message = None, services.open_problem(vr)
    try:
        voter = services.voter_for(db, current_actor(request), user, vr,
                                   request.query_params.get("home_id"))
        mine = services.ballot_of(db, vr.id, voter.key)
        if mine is not None and not services.own_web_ballot(mine.ballot, user.id):
            message, mine = services.other_channel_message(mine.ballot, user.id), None
    except FieldErrors as exc:
        message = next(iter(exc.errors.values()))
    except (UserError, Forbidden) as exc:  # not eligible: can_vote is false, with the reason
        message = exc.msg
    from consult.web.templating import translator_for

    return ok({
        "round_id": vr.id, "title": vr.title, "state": vr.state, "closes_at": vr.round.closes_at,
        "settings": _settings_json(vr), "ideas": [_idea_json(i) for i in services.ideas_on_ballot(db, vr)],
        "ballot": None if mine is None else {
            "channel": mine.ballot.channel, "receipt_prefix": mine.ballot.receipt_prefix,
            "updated_at": mine.ballot.updated_at, "choices": _choices_json(mine.choices)},
        "can_vote": message is None,
        "message": translator_for(request)(message) if isinstance(message, Msg) else None,
    })


async def ballot_put(request: Request):
    data = await json_body(request)
    vr = services.load_ballot_round(get_db(request), request.path_params["rid"])  # locked, then now
    done = services.cast(get_db(request), current_actor(request), require_user(request), vr,
                         _raw(vr, data), vr.at, data.get("home_id"))
    choices = services.ballot_of(get_db(request), vr.id, done.voter_key).choices
    return ok({"receipt": rules.format_receipt(done.receipt),
               "receipt_prefix": done.receipt[:rules.RECEIPT_PREFIX], "changed": done.changed,
               "repeated": done.repeated, "choices": _choices_json(choices)})


async def receipt_check(request: Request):
    data = await json_body(request)
    found = services.check_receipt(get_db(request), str(data.get("code", ""))[:64])
    return ok({"found": found.found, "counted": found.found and found.status == "counted",
               "status": found.status, "round_id": found.round_id, "round": found.round_title,
               "consultation": found.consultation_title})


async def results(request: Request):
    vr = _round(request)
    found = services.results(get_db(request), vr, clock.utcnow())
    r = found.result
    return ok({"round_id": vr.id, "rule": r.rule, "parameters": r.parameters, "scores": r.scores,
               "selected": r.selected, "ballots": r.ballots, "ballot_digest": r.ballot_digest,
               "tie_breaking": r.tie_breaking, "published_at": r.published_at,
               "notice_until": r.notice_until, "finalized_at": r.finalized_at,
               "ideas": [_idea_json(row.idea) for row in found.rows]})


async def export_pb(request: Request):
    vr = _round(request)
    stored = services.export_file(get_db(request), vr, "pb")
    return download_file(stored.path, f"vote-round-{vr.id}.pb", PB_TYPE, stored.sha256)


async def export_csv(request: Request):
    """The stored CSV, already as Excel needs it (``services.exports``: BOM, no formulas)."""
    vr = _round(request)
    stored = services.export_file(get_db(request), vr, "csv")
    return download_file(stored.path, f"vote-round-{vr.id}-ballots.csv", CSV_TYPE, stored.sha256)


async def paper_enter(request: Request):
    data = await json_body(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    db = get_db(request)
    voter = services.paper_voter_of(db, actor, vr, phone=str(data.get("phone") or ""),
                                    paper_voter_id=str(data.get("paper_voter_id") or ""),
                                    home_id=str(data.get("home_id") or ""))
    done = services.enter_paper(db, actor, vr, serial=str(data.get("serial", "")), voter=voter,
                                raw=_raw(vr, data), now=clock.utcnow())
    return ok({"serial": done.ballot.serial, "status": done.status,
               "receipt": rules.format_receipt(done.receipt) if done.receipt else None}, status=201)


async def turnout(request: Request):
    vr = _round(request)
    actor = _staff_actor(request, vr, "view_turnout")
    seen = services.turnout(get_db(request), actor, vr)
    return ok({"counted": seen.total, "assisted": seen.assisted, "by_channel": seen.by_channel, "by_status": seen.by_status,
               "areas": [{"place_id": r.place.id, "name": r.place.name, "ballots": r.voted,
                          "eligible": r.eligible} for r in seen.areas],
               "building_groups": [{"place_id": r.place.id, "name": r.place.name, "ballots": r.voted}
                                   for _, r in seen.groups]})


routes = [
    api_route("/rounds/{rid:int}/ballot", ballot_get, name="api_ballot_get", tag="voting",
              summary="A vote round's ideas and settings, and my own ballot", response=BALLOT_VIEW),
    api_route("/rounds/{rid:int}/ballot", ballot_put, method="PUT", name="api_ballot_put",
              tag="voting", summary="Cast or change my ballot; answers with its receipt code (the same one "
                      "when the ballot was sent again unchanged: repeated)",
              body=BallotBody, response=CAST),
    api_route("/receipts/check", receipt_check, method="POST", name="api_receipt_check",
              tag="voting", auth=False, summary="Is the ballot with this receipt code counted?",
              body=obj({"code": STRING}, ["code"]), response=RECEIPT),
    api_route("/rounds/{rid:int}/results", results, name="api_vote_results", tag="voting", auth=False,
              summary="The published result of a vote round", response=RESULTS),
    api_route("/rounds/{rid:int}/results.pb", export_pb, name="api_vote_export_pb", tag="voting",
              auth=False, summary="The anonymous ballots in the pabulib .pb format (text)", media_type=PB_TYPE),
    api_route("/rounds/{rid:int}/results.csv", export_csv, name="api_vote_export_csv", tag="voting",
              auth=False, summary="The anonymous ballots as CSV (text)", media_type=CSV_TYPE),
    api_route("/rounds/{rid:int}/paper-ballots", paper_enter, method="POST", name="api_paper_enter",
              tag="voting", summary="Enter a paper ballot (staff)", body=PaperBody, response=PAPER,
              status=201),
    api_route("/rounds/{rid:int}/turnout", turnout, name="api_vote_turnout", tag="voting",
              summary="Ballots by residential area and building group (staff)", response=TURNOUT),
] + api_staff.routes
