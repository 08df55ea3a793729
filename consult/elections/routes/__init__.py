"""Pages for owners' committee elections. Thin: read the request, call
:mod:`consult.elections.services`, render or redirect. Kept by concept, one module each;
``consult.web.app`` collects ``routes``."""

from __future__ import annotations

from starlette.routing import Route

from consult.elections.routes import residents
from consult.elections.routes.ballots import (
    ballots_page,
    paper_enter,
    paper_resolve,
    proxy_enter,
    proxy_scan,
)
from consult.elections.routes.elections import (
    candidate_add,
    candidate_remove,
    create,
    election_page,
    estate_page,
    new_page,
    register_refresh,
    vote,
)
from consult.elections.routes.results import (
    ballots_export,
    door_to_door,
    register_export,
    result_page,
)

routes = [
    Route("/estates/{estate_id:int}/elections", estate_page, methods=["GET"], name="elections_estate"),
    Route("/estates/{estate_id:int}/elections/new", new_page, methods=["GET"], name="elections_new"),
    Route("/estates/{estate_id:int}/elections", create, methods=["POST"], name="elections_create"),
    Route("/elections/{election_id:int}", election_page, methods=["GET"], name="election"),
    Route("/elections/{election_id:int}/vote", vote, methods=["POST"], name="election_vote"),
    Route("/elections/{election_id:int}/candidates", candidate_add, methods=["POST"],
          name="election_candidate_add"),
    Route("/elections/candidates/{candidate_id:int}/remove", candidate_remove, methods=["POST"],
          name="election_candidate_remove"),
    Route("/elections/{election_id:int}/register", register_refresh, methods=["POST"],
          name="election_register_refresh"),
    Route("/elections/{election_id:int}/ballots", ballots_page, methods=["GET"], name="election_ballots"),
    Route("/elections/{election_id:int}/paper", paper_enter, methods=["POST"], name="election_paper"),
    Route("/elections/{election_id:int}/paper/resolve", paper_resolve, methods=["POST"],
          name="election_paper_resolve"),
    Route("/elections/{election_id:int}/proxy", proxy_enter, methods=["POST"], name="election_proxy"),
    Route("/elections/proxies/{proxy_id:int}/scan", proxy_scan, methods=["GET"], name="election_proxy_scan"),
    Route("/elections/{election_id:int}/door-to-door", door_to_door, methods=["GET"],
          name="election_door_to_door"),
    Route("/elections/{election_id:int}/result", result_page, methods=["GET"], name="election_result"),
    Route("/elections/{election_id:int}/homes.csv", register_export, methods=["GET"],
          name="election_register_export"),
    Route("/elections/{election_id:int}/ballots.csv", ballots_export, methods=["GET"],
          name="election_ballots_export"),
    Route("/areas/{area_id:int}/resident-elections", residents.area_page, methods=["GET"],
          name="resident_elections"),
    Route("/areas/{area_id:int}/resident-elections/new", residents.new_page, methods=["GET"],
          name="resident_election_new"),
    Route("/areas/{area_id:int}/resident-elections", residents.create, methods=["POST"],
          name="resident_election_create"),
    Route("/resident-elections/{election_id:int}", residents.election_page, methods=["GET"],
          name="resident_election"),
    Route("/resident-elections/{election_id:int}/vote", residents.vote, methods=["POST"],
          name="resident_vote"),
    Route("/resident-elections/{election_id:int}/candidates", residents.candidate_add,
          methods=["POST"], name="resident_candidate_add"),
    Route("/resident-elections/{election_id:int}/publish", residents.publish, methods=["POST"],
          name="resident_publish"),
    Route("/resident-elections/{election_id:int}/paper", residents.paper, methods=["POST"],
          name="resident_paper"),
    Route("/resident-elections/{election_id:int}/voters.csv", residents.register_export,
          methods=["GET"], name="resident_register_export"),
    Route("/resident-elections/{election_id:int}/ballots.csv", residents.ballots_export,
          methods=["GET"], name="resident_ballots_export"),
    Route("/resident-elections/{election_id:int}/register", residents.register_page,
          methods=["GET"], name="resident_register"),
    Route("/resident-elections/{election_id:int}/voters", residents.voter_add, methods=["POST"],
          name="resident_voter_add"),
    Route("/resident-voters/{voter_id:int}/remove", residents.voter_remove, methods=["POST"],
          name="resident_voter_remove"),
    Route("/resident-elections/{election_id:int}/result", residents.result_page, methods=["GET"],
          name="resident_result"),
]
