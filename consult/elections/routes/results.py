"""The door-to-door list, the result with its printable notice (公示), and the exports."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.elections import labels, services
from consult.elections.routes.common import can, csv_download
from consult.web.auth import current_actor
from consult.web.db import get_db
from consult.web.templating import render


async def door_to_door(request: Request):
    db = get_db(request)
    election, estate, groups, gauge = services.door_to_door(
        db, current_actor(request), request.path_params["election_id"], clock.utcnow())
    return render(request, "elections/door_to_door.html", {
        "election": election, "estate": estate, "groups": groups, "gauge": gauge,
        "now": clock.utcnow(), **labels.names()})


async def result_page(request: Request):
    db = get_db(request)
    election, estate, outcome = services.result(db, request.path_params["election_id"], clock.utcnow())
    names = {str(c.id): c.name for c in services.candidates_of(db, election)}
    return render(request, "elections/result.html", {
        "election": election, "estate": estate, "outcome": outcome, "names": names,
        "elected_names": [names.get(c, c) for c in outcome.elected],
        "tied_names": [names.get(c, c) for c in outcome.tied],
        "can": can(request, estate), **labels.names()})


async def register_export(request: Request):
    election, text = services.register_csv(get_db(request), current_actor(request),
                                           request.path_params["election_id"], clock.utcnow())
    return csv_download(text, f"election-{election.id}-homes.csv")


async def ballots_export(request: Request):
    election, text = services.ballots_csv(get_db(request), current_actor(request),
                                          request.path_params["election_id"], clock.utcnow())
    return csv_download(text, f"election-{election.id}-ballots.csv")
