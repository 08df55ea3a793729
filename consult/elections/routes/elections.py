"""An estate's elections, calling one, its page (candidates, the gauge, the online
ballot) and its candidates."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from consult import clock
from consult.elections import labels, services
from consult.elections.routes.common import can, chosen
from consult.i18n import N_
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render

FIELDS = ("title", "description", "seats", "rank", "opens_at", "closes_at")


async def estate_page(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    return render(request, "elections/estate.html", {
        "estate": estate, "elections": services.elections_of(db, estate), "now": clock.utcnow(),
        "state_of": services.state_of, "can": can(request, estate), **labels.names()})


def _new_context(estate, form=None, **problem) -> dict:
    return {"estate": estate, "form": form or {"rank": "headcount", "seats": "7",
                                               "paper_double_key": True},
            "errors": {}, "error": None, **labels.names(), **problem}


async def new_page(request: Request):
    estate = services.get_estate(get_db(request), request.path_params["estate_id"])
    require(request, "manage_owner_election", estate.ids_from_root)
    return render(request, "elections/new.html", _new_context(estate))


async def create(request: Request):
    form = await read_form(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    values = {k: str(form.get(k, "")) for k in FIELDS}
    double_key = form.get("paper_double_key") == "1"
    return form_view(
        request, lambda: services.create_election(db, current_actor(request), estate,
                                                  paper_double_key=double_key,
                                                  now=clock.utcnow(), **values),
        again=FormPage("elections/new.html", lambda **problem: _new_context(
            estate, {**values, "paper_double_key": double_key}, **problem)),
        message=N_("The election was called. Add the candidates before voting opens."),
        done=lambda election: redirect_to(request, "election", election_id=election.id))


def election_context(request: Request, election_id: int, **extra) -> dict:
    db = get_db(request)
    now = clock.utcnow()
    election, estate = services.get_election(db, election_id)
    allowed = can(request, estate)
    state = services.state_of(election, now).value
    voices = []
    if allowed["cast_owner_election_ballot"] and state == "open":
        voices = services.voices(db, current_user(request), election)
    return {
        "election": election, "estate": estate, "state": state,
        "candidates": services.candidates_of(db, election),
        "gauge": services.gauge(db, current_actor(request), election.id, now)[2],
        "voices": voices, "unvoted": [(i, v) for i, v in enumerate(voices) if not v.voted],
        "can": allowed, "errors": {}, "error": None, "form": {},
        **labels.names(), **extra,
    }


async def election_page(request: Request):
    return render(request, "elections/election.html",
                  election_context(request, request.path_params["election_id"]))


async def vote(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    user = require_user(request)
    return form_view(
        request, lambda: services.cast_web_ballot(get_db(request), current_actor(request), user,
                                                  election_id, owner=str(form.get("owner", "")),
                                                  candidates=chosen(form), now=clock.utcnow()),
        again=FormPage("elections/election.html",
                       lambda **problem: election_context(request, election_id, **problem)),
        message=N_("Your ballot was recorded. Thank you. How you voted is kept secret."),
        done=lambda _: redirect_to(request, "election", election_id=election_id))


async def candidate_add(request: Request):
    form = await read_form(request, max_files=1)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("name", "statement")}
    upload = form.get("photo")
    photo = await upload.read() if isinstance(upload, UploadFile) else b""
    return form_view(
        request, lambda: services.add_candidate(
            get_db(request), current_actor(request), election_id, photo=photo,
            media_dir=request.app.state.settings.media_dir, now=clock.utcnow(), **values),
        again=FormPage("elections/election.html",
                       lambda **problem: election_context(request, election_id, form=values, **problem)),
        message=N_("The candidate was added to the ballot paper."),
        done=lambda _: redirect_to(request, "election", election_id=election_id))


async def candidate_remove(request: Request):
    await read_form(request)
    db = get_db(request)
    candidate_id = request.path_params["candidate_id"]
    election_id = services.candidate_election(db, candidate_id)
    return form_view(
        request, lambda: services.remove_candidate(db, current_actor(request), candidate_id,
                                                   now=clock.utcnow()),
        again=FormPage("elections/election.html",
                       lambda **problem: election_context(request, election_id, **problem)),
        message=N_("The candidate was taken off the ballot paper."),
        done=lambda election: redirect_to(request, "election", election_id=election.id))


async def register_refresh(request: Request):
    await read_form(request)
    election_id = request.path_params["election_id"]
    return form_view(
        request, lambda: services.refresh_register(get_db(request), current_actor(request),
                                                   election_id, now=clock.utcnow()),
        again=FormPage("elections/election.html",
                       lambda **problem: election_context(request, election_id, **problem)),
        message=N_("The election now counts against the estate's current register."),
        done=lambda election: redirect_to(request, "election", election_id=election.id))
