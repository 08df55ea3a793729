"""Residents' committee election pages: an area's elections, calling one, its page
(candidates, turnout, the online ballot), the voter register with additions and removals,
candidates and the final list, paper ballots and the result."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.elections import labels, services
from consult.elections.routes.common import chosen, csv_download
from consult.i18n import N_
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render

FIELDS = ("title", "description", "mode", "seats", "election_day", "opens_at", "closes_at", "threshold",
          "nominations_voters", "nominations_households")


def _may(request: Request, area) -> dict[str, bool]:
    actor = current_actor(request)
    return {a: services.may(a, actor, area) for a in ("manage_resident_election", "cast_resident_ballot")}


async def area_page(request: Request):
    db = get_db(request)
    area = services.get_area(db, request.path_params["area_id"])
    return render(request, "elections/residents_area.html", {
        "area": area, "elections": services.resident_elections_of(db, area), "now": clock.utcnow(),
        "state_of": services.resident_state, "can": _may(request, area), **labels.names()})


def _new_context(area, form=None, **problem) -> dict:
    return {"area": area, "form": form or {"mode": "voters", "seats": "5", "threshold": "1/3",
                                           "nominations_voters": "10", "nominations_households": "5"},
            "errors": {}, "error": None, **labels.names(), **problem}


async def new_page(request: Request):
    area = services.get_area(get_db(request), request.path_params["area_id"])
    require(request, "manage_resident_election", area.ids_from_root)
    return render(request, "elections/residents_new.html", _new_context(area))


async def create(request: Request):
    form = await read_form(request)
    db = get_db(request)
    area = services.get_area(db, request.path_params["area_id"])
    values = {k: str(form.get(k, "")) for k in FIELDS}
    flags = {k: form.get(k) == "1" for k in ("allow_equal_list", "further_round")}
    return form_view(
        request, lambda: services.create_resident_election(db, current_actor(request), area,
                                                           now=clock.utcnow(), **values, **flags),
        again=FormPage("elections/residents_new.html",
                       lambda **problem: _new_context(area, {**values, **flags}, **problem)),
        message=N_("The election was called. Register the voters and add the candidates."),
        done=lambda election: redirect_to(request, "resident_election", election_id=election.id))


def election_context(request: Request, election_id: int, **extra) -> dict:
    db = get_db(request)
    now = clock.utcnow()
    election, area, turnout = services.resident_turnout(db, election_id)
    voter, voted = services.my_registration(db, current_user(request), election)
    return {"election": election, "area": area, "state": services.resident_state(election, now).value,
            "candidates": services.resident_candidates_of(db, election), "turnout": turnout,
            "voter": voter, "voted": voted, "can": _may(request, area), "errors": {}, "error": None,
            "form": {}, **labels.names(), **extra}


async def election_page(request: Request):
    return render(request, "elections/residents_election.html",
                  election_context(request, request.path_params["election_id"]))


def _back(request: Request, election_id: int, message: str, act):
    return form_view(
        request, act,
        again=FormPage("elections/residents_election.html",
                       lambda **problem: election_context(request, election_id, **problem)),
        message=message,
        done=lambda _: redirect_to(request, "resident_election", election_id=election_id))


async def vote(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    user = require_user(request)
    return _back(request, election_id, N_("Your ballot was recorded. Thank you. How you voted is kept secret."),
                 lambda: services.cast_resident_ballot(get_db(request), current_actor(request), user,
                                                       election_id, candidates=chosen(form),
                                                       now=clock.utcnow()))


async def candidate_add(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("name", "statement", "nominators", "by")}
    return form_view(
        request, lambda: services.add_resident_candidate(
            get_db(request), current_actor(request), election_id, name=values["name"],
            statement=values["statement"], nominators=values["nominators"], by=values["by"] or "voters",
            now=clock.utcnow()),
        again=FormPage("elections/residents_election.html",
                       lambda **problem: election_context(request, election_id, form=values, **problem)),
        message=N_("The nomination was recorded and the candidate added to the ballot paper."),
        done=lambda _: redirect_to(request, "resident_election", election_id=election_id))


async def publish(request: Request):
    await read_form(request)
    election_id = request.path_params["election_id"]
    return _back(request, election_id, N_("The final list of candidates is published."),
                 lambda: services.publish_candidates(get_db(request), current_actor(request),
                                                     election_id, now=clock.utcnow()))


async def paper(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    return _back(request, election_id, N_("The paper ballot was entered and the voter ticked off the register."),
                 lambda: services.enter_resident_paper(
                     get_db(request), current_actor(request), election_id,
                     voter=str(form.get("voter", "")), candidates=chosen(form), now=clock.utcnow()))


def register_context(request: Request, election_id: int, **extra) -> dict:
    db = get_db(request)
    election, area = services.get_resident_election(db, election_id)
    return {"election": election, "area": area,
            "state": services.resident_state(election, clock.utcnow()).value,
            "voters": services.voters_of(db, election),
            "removed": services.voters_of(db, election, removed=True),
            "small_groups": services.small_groups(db, election),
            "can": _may(request, area), "errors": {}, "error": None, "form": {}, **labels.names(), **extra}


async def register_page(request: Request):
    return render(request, "elections/residents_register.html",
                  register_context(request, request.path_params["election_id"]))


async def voter_add(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("name", "birth_date", "phone", "household", "residents_group")}
    return form_view(
        request, lambda: services.add_voter(get_db(request), current_actor(request), election_id,
                                            now=clock.utcnow(), **values),
        again=FormPage("elections/residents_register.html",
                       lambda **problem: register_context(request, election_id, form=values, **problem)),
        message=N_("The voter was added to the register."),
        done=lambda _: redirect_to(request, "resident_register", election_id=election_id))


async def voter_remove(request: Request):
    form = await read_form(request)
    db = get_db(request)
    voter_id = request.path_params["voter_id"]
    election_id = services.voter_election(db, voter_id)
    return form_view(
        request, lambda: services.remove_voter(db, current_actor(request), voter_id,
                                               reason=str(form.get("reason", "")), now=clock.utcnow()),
        again=FormPage("elections/residents_register.html",
                       lambda **problem: register_context(request, election_id, **problem)),
        message=N_("The voter was taken off the register; the reason is logged."),
        done=lambda _: redirect_to(request, "resident_register", election_id=election_id))


async def result_page(request: Request):
    db = get_db(request)
    election, area, outcome = services.resident_result(db, request.path_params["election_id"], clock.utcnow())
    names = {str(c.id): c.name for c in services.resident_candidates_of(db, election)}
    return render(request, "elections/residents_result.html", {
        "election": election, "area": area, "outcome": outcome, "names": names,
        "elected_names": [names[c] for c in outcome.elected],
        "tied_names": [names[c] for c in outcome.tied], "can": _may(request, area), **labels.names()})


async def register_export(request: Request):
    election, text = services.resident_register_csv(get_db(request), current_actor(request),
                                                    request.path_params["election_id"], clock.utcnow())
    return csv_download(text, f"resident-election-{election.id}-voters.csv")


async def ballots_export(request: Request):
    election, text = services.resident_ballots_csv(get_db(request), current_actor(request),
                                                   request.path_params["election_id"], clock.utcnow())
    return csv_download(text, f"resident-election-{election.id}-ballots.csv")
