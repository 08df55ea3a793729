"""Owners' committee elections over the JSON API: the same services as the pages.

Areas are strings with exactly two decimals; ratios are exact fractions (``"2/3"``) next
to a rounded percentage, so no client ever needs a float. No answer says how an owner
voted: a ballot is acknowledged by its channel and status only.
"""

from __future__ import annotations

from starlette.requests import Request

from consult import clock, owners
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, current_user, require_user
from consult.web.db import get_db

from . import labels, rules, services
from .cli import committee_json, residents_json

AREA = {"type": "string", "pattern": r"^\d+\.\d{2}$", "description": "m², two decimals"}
RATIO = obj({"fraction": STRING, "percent": STRING})
IDS = {"type": "array", "items": {"type": ["integer", "string"]}}
CANDIDATE = obj({"id": INTEGER, "name": STRING, "statement": STRING,
                 "photo_url": {"type": ["string", "null"]}})
ELECTION = obj({"id": INTEGER, "estate_id": INTEGER, "title": STRING, "description": STRING,
                "seats": INTEGER, "rank": {"type": "string", "enum": [r.value for r in rules.Rank]},
                "opens_at": STRING, "closes_at": STRING,
                "state": {"type": "string", "enum": [s.value for s in rules.ElectionState]},
                "paper_double_key": BOOLEAN, "candidates": {"type": "array", "items": CANDIDATE}})
GAUGE = obj({"area_total": AREA, "owners_total": INTEGER, "area_voted": AREA,
             "owners_voted": INTEGER, "area_needed": AREA, "owners_needed": INTEGER,
             "area_turnout": RATIO, "owners_turnout": RATIO, "quorum_met": BOOLEAN,
             "uncounted": INTEGER})
VOICE = obj({"owner": INTEGER, "names": {"type": "array", "items": STRING},
             "homes": {"type": "array", "items": STRING}, "area": AREA, "voted": BOOLEAN})
BALLOT = obj({"id": INTEGER, "election_id": INTEGER, "channel": STRING, "status": STRING,
              "paper_serial": {"type": ["string", "null"]}})
RESULT = obj({"area_total": AREA, "owners_total": INTEGER, "area_voted": AREA,
              "owners_voted": INTEGER, "quorum_met": BOOLEAN,
              "candidates": {"type": "array", "items": obj({
                  "id": STRING, "name": STRING, "area_agree": AREA, "owners_agree": INTEGER,
                  "passed": BOOLEAN})},
              "elected": {"type": "array", "items": STRING},
              "tied": {"type": "array", "items": STRING}, "unfilled": INTEGER})


def _ratio(value) -> dict:
    return {"fraction": f"{value.numerator}/{value.denominator}", "percent": labels.percent(value)}


def _area(cents: int) -> str:
    return str(owners.cents_to_area(cents))


def election_json(request: Request, election, candidates, now) -> dict:
    return {"id": election.id, "estate_id": election.estate_id, "title": election.title,
            "description": election.description, "seats": election.seats, "rank": election.rank,
            "opens_at": election.opens_at, "closes_at": election.closes_at,
            "state": services.state_of(election, now).value,
            "paper_double_key": election.paper_double_key,
            "candidates": [{"id": c.id, "name": c.name, "statement": c.statement,
                            "photo_url": request.app.url_path_for("media", file=f"{c.photo}_t.jpg")
                            if c.photo else None} for c in candidates]}


def gauge_json(gauge: services.Gauge) -> dict:
    return {"area_total": _area(gauge.area_total_cents), "owners_total": gauge.owners_total,
            "area_voted": _area(gauge.area_voted_cents), "owners_voted": gauge.owners_voted,
            "area_needed": _area(gauge.area_needed_cents), "owners_needed": gauge.owners_needed,
            "area_turnout": _ratio(gauge.area_turnout),
            "owners_turnout": _ratio(gauge.owners_turnout), "quorum_met": gauge.quorum_met,
            "uncounted": gauge.uncounted}


def ballot_json(ballot) -> dict:
    """A ballot's receipt: never its candidates (staff keying a second time must not
    learn what the first keyer entered; an owner knows what they chose)."""
    return {"id": ballot.id, "election_id": ballot.election_id, "channel": ballot.channel,
            "status": ballot.status, "paper_serial": ballot.paper_serial}


def _ids(data: dict) -> list[str]:
    value = data.get("candidates", [])
    if not isinstance(value, list) or not all(
            isinstance(v, (int, str)) and not isinstance(v, bool) for v in value):
        raise FieldErrors({"candidates": Msg(N_("Please give the candidates as a list of ids."))})
    return [str(v) for v in value]


def _named(body: dict, candidates) -> dict:
    """The recount's figures, each candidate with their name."""
    names = {str(c.id): c.name for c in candidates}
    for candidate in body["candidates"]:
        candidate["name"] = names.get(candidate["id"], candidate["id"])
    return body


async def elections_list(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    now = clock.utcnow()
    return ok({"elections": [election_json(request, e, services.candidates_of(db, e), now)
                             for e in services.elections_of(db, estate)]})


async def election_create(request: Request):
    data = await json_body(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    now = clock.utcnow()
    seats = data.get("seats")
    election = services.create_election(
        db, current_actor(request), estate, title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        seats=seats if isinstance(seats, int) and not isinstance(seats, bool) else str(seats or ""),
        rank=str(data.get("rank", "headcount")), opens_at=str(data.get("opens_at", "")),
        closes_at=str(data.get("closes_at", "")),
        paper_double_key=data.get("paper_double_key", True) is True, now=now)
    return ok(election_json(request, election, [], now), status=201)


async def candidate_add(request: Request):
    data = await json_body(request)
    db = get_db(request)
    candidate = services.add_candidate(db, current_actor(request), request.path_params["election_id"],
                                       name=str(data.get("name", "")),
                                       statement=str(data.get("statement", "")), now=clock.utcnow())
    return ok({"id": candidate.id, "name": candidate.name, "statement": candidate.statement,
               "photo_url": None}, status=201)


async def election_get(request: Request):
    db = get_db(request)
    now = clock.utcnow()
    election, _ = services.get_election(db, request.path_params["election_id"])
    body = election_json(request, election, services.candidates_of(db, election), now)
    body["gauge"] = gauge_json(services.gauge(db, current_actor(request), election.id, now)[2])
    body["voices"] = [{"owner": i, "names": list(v.names), "homes": [h.home_id for h in v.homes],
                       "area": _area(v.area_cents), "voted": v.voted}
                      for i, v in enumerate(services.voices(db, current_user(request), election))]
    return ok(body)


async def ballot_cast(request: Request):
    data = await json_body(request)
    user = require_user(request)
    owner = data.get("owner", "")
    ballot = services.cast_web_ballot(get_db(request), current_actor(request), user,
                                      request.path_params["election_id"],
                                      owner=str(owner) if isinstance(owner, (int, str)) else "x",
                                      candidates=_ids(data), now=clock.utcnow())
    return ok(ballot_json(ballot), status=201)


async def paper_enter(request: Request):
    data = await json_body(request)
    require_user(request)
    entry = services.enter_paper_ballot(get_db(request), current_actor(request),
                                        request.path_params["election_id"],
                                        serial=str(data.get("serial", "")),
                                        home=str(data.get("home_id", "")),
                                        candidates=_ids(data), now=clock.utcnow())
    return ok({"outcome": entry.outcome, "ballot": ballot_json(entry.ballot)}, status=201)


async def result_get(request: Request):
    db = get_db(request)
    election, _, outcome = services.result(db, request.path_params["election_id"], clock.utcnow())
    return ok(_named(committee_json(outcome), services.candidates_of(db, election)))


routes = [
    api_route("/estates/{estate_id:int}/elections", elections_list, name="api_elections",
              tag="elections", auth=False, summary="An estate's owners' committee elections",
              response=obj({"elections": {"type": "array", "items": ELECTION}})),
    api_route("/estates/{estate_id:int}/elections", election_create, method="POST",
              name="api_election_create", tag="elections",
              summary="Call an owners' committee election (times ISO 8601; without offset they are Beijing time)",
              body=obj({"title": STRING, "description": STRING, "seats": INTEGER,
                        "rank": {"type": "string", "enum": [r.value for r in rules.Rank]},
                        "opens_at": STRING, "closes_at": STRING, "paper_double_key": BOOLEAN},
                       ["title", "seats", "opens_at", "closes_at"]),
              response=ELECTION, status=201),
    api_route("/elections/{election_id:int}/candidates", candidate_add, method="POST",
              name="api_election_candidate_add", tag="elections",
              summary="Put a candidate on the ballot paper (before voting opens)",
              body=obj({"name": STRING, "statement": STRING}, ["name"]), response=CANDIDATE,
              status=201),
    api_route("/elections/{election_id:int}", election_get, name="api_election", tag="elections",
              auth=False,
              summary="An election, its candidates, the live gauge against the 2/3 lines and, for a signed-in owner, the owners they vote for",
              response=obj({**ELECTION["properties"], "gauge": GAUGE,
                            "voices": {"type": "array", "items": VOICE}})),
    api_route("/elections/{election_id:int}/ballots", ballot_cast, method="POST",
              name="api_election_ballot_cast", tag="elections",
              summary="Cast my ballot online (final once cast): at most `seats` candidate ids; owner is a voice's index when I vote for several",
              body=obj({"owner": INTEGER, "candidates": IDS}, ["candidates"]), response=BALLOT,
              status=201),
    api_route("/elections/{election_id:int}/paper", paper_enter, method="POST",
              name="api_election_paper", tag="elections",
              summary="Key a paper ballot (staff); the same serial keyed by a second person checks the first",
              body=obj({"serial": STRING, "home_id": STRING, "candidates": IDS},
                       ["serial", "home_id", "candidates"]),
              response=obj({"outcome": {"type": "string", "enum": ["entered", "confirmed", "mismatch"]},
                            "ballot": BALLOT}), status=201),
    api_route("/elections/{election_id:int}/result", result_get, name="api_election_result",
              tag="elections", auth=False,
              summary="The result once voting has closed: the same figures as `python -m consult owners elect`",
              response=RESULT),
]


# --- residents' committee elections -------------------------------------------------------

RESIDENT_ELECTION = obj({
    "id": INTEGER, "area_id": INTEGER, "title": STRING, "description": STRING,
    "mode": {"type": "string", "enum": [m.value for m in rules.ResidentMode]}, "seats": INTEGER,
    "election_day": STRING, "opens_at": STRING, "closes_at": STRING,
    "state": {"type": "string", "enum": [s.value for s in rules.ElectionState]},
    "list_published": BOOLEAN,
    "candidates": {"type": "array", "items": obj({"id": INTEGER, "name": STRING, "statement": STRING})},
    "turnout": obj({"registered": INTEGER, "voted": INTEGER, "needed": INTEGER, "valid": BOOLEAN}),
    "me": obj({"registered": BOOLEAN, "voted": BOOLEAN})})
RESIDENT_RESULT = obj({"registered": INTEGER, "voted": INTEGER, "valid": BOOLEAN,
                       "candidates": {"type": "array", "items": obj({
                           "id": STRING, "name": STRING, "votes": INTEGER, "passed": BOOLEAN})},
                       "elected": {"type": "array", "items": STRING},
                       "tied": {"type": "array", "items": STRING}, "unfilled": INTEGER})


async def resident_election_get(request: Request):
    db = get_db(request)
    election, _, turnout = services.resident_turnout(db, request.path_params["election_id"])
    voter, voted = services.my_registration(db, current_user(request), election)
    return ok({
        "id": election.id, "area_id": election.area_id, "title": election.title,
        "description": election.description, "mode": election.mode, "seats": election.seats,
        "election_day": election.election_day.isoformat(), "opens_at": election.opens_at,
        "closes_at": election.closes_at,
        "state": services.resident_state(election, clock.utcnow()).value,
        "list_published": election.candidates_published_at is not None,
        "candidates": [{"id": c.id, "name": c.name, "statement": c.statement}
                       for c in services.resident_candidates_of(db, election)],
        "turnout": {"registered": turnout.registered, "voted": turnout.voted,
                    "needed": turnout.needed, "valid": turnout.valid},
        "me": {"registered": voter is not None, "voted": voted}})


async def resident_ballot_cast(request: Request):
    data = await json_body(request)
    user = require_user(request)
    ballot = services.cast_resident_ballot(get_db(request), current_actor(request), user,
                                           request.path_params["election_id"],
                                           candidates=_ids(data), now=clock.utcnow())
    return ok({"id": ballot.id, "election_id": ballot.election_id, "channel": ballot.channel},
              status=201)


async def resident_candidate_add(request: Request):
    data = await json_body(request)
    nominators = data.get("nominators", [])
    if not isinstance(nominators, list) or not all(
            isinstance(v, (int, str)) and not isinstance(v, bool) for v in nominators):
        raise FieldErrors({"nominators": Msg(N_("Please give the nominators as a list of register numbers."))})
    db = get_db(request)
    candidate = services.add_resident_candidate(
        db, current_actor(request), request.path_params["election_id"], name=str(data.get("name", "")),
        statement=str(data.get("statement", "")), nominators=[str(v) for v in nominators],
        by=str(data.get("by", "voters")), now=clock.utcnow())
    return ok({"id": candidate.id, "name": candidate.name, "statement": candidate.statement,
               "nominated_by": candidate.nominated_by,
               "nominators": [v.id for v in services.nominators_of(db, candidate)]}, status=201)


async def resident_result_get(request: Request):
    db = get_db(request)
    election, _, outcome = services.resident_result(db, request.path_params["election_id"], clock.utcnow())
    return ok(_named(residents_json(outcome), services.resident_candidates_of(db, election)))


routes += [
    api_route("/resident-elections/{election_id:int}", resident_election_get,
              name="api_resident_election", tag="elections", auth=False,
              summary="A residents' committee election: candidates, turnout against more than half of the register, and whether I am registered and have voted",
              response=RESIDENT_ELECTION),
    api_route("/resident-elections/{election_id:int}/ballots", resident_ballot_cast, method="POST",
              name="api_resident_ballot_cast", tag="elections",
              summary="Cast my secret ballot (final once cast): at most `seats` candidate ids",
              body=obj({"candidates": IDS}, ["candidates"]),
              response=obj({"id": INTEGER, "election_id": INTEGER, "channel": STRING}), status=201),
    api_route("/resident-elections/{election_id:int}/candidates", resident_candidate_add, method="POST",
              name="api_resident_candidate_add", tag="elections",
              summary="Record a nomination (staff, before the final list is published): the register numbers of its nominators, at least the election's threshold of voters (`by` voters) or household representatives (`by` households)",
              body=obj({"name": STRING, "statement": STRING,
                        "by": {"type": "string", "enum": [b.value for b in rules.NominatedBy]},
                        "nominators": {"type": "array", "items": {"type": ["integer", "string"]}}},
                       ["name", "nominators"]),
              response=obj({"id": INTEGER, "name": STRING, "statement": STRING, "nominated_by": STRING,
                            "nominators": {"type": "array", "items": INTEGER}}), status=201),
    api_route("/resident-elections/{election_id:int}/result", resident_result_get,
              name="api_resident_result", tag="elections", auth=False,
              summary="The result once voting has closed: the same figures as `python -m consult elect`",
              response=RESIDENT_RESULT),
]
