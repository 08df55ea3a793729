"""Pages for owners' votes: the register, matters, ballots, turnout and the result.

Thin: read the request, call :mod:`consult.owners.services`, render or redirect.

The pages are kept by concept, one module each; this table names every route in the
order the app has always matched them (``consult.web.app`` collects ``routes``).
"""

from __future__ import annotations

from starlette.routing import Route

from consult.owners.routes.ballots import (
    ballot_resolve,
    ballot_void,
    ballots_page,
    paper_enter,
    proxy_enter,
    proxy_scan,
)
from consult.owners.routes.homes import (
    home_page,
    home_update,
    register_export,
    register_import,
    register_page,
)
from consult.owners.routes.links import (
    link_answer,
    link_decide,
    links_page,
    owner_link,
    owner_unlink,
)
from consult.owners.routes.matters import (
    attachment_add,
    attachment_file,
    estate_page,
    index,
    matter_create,
    matter_new_page,
    matter_page,
    notice_page,
    vote,
)
from consult.owners.routes.results import ballots_export, matter_register_export, result_page

routes = [
    Route("/owners", index, methods=["GET"], name="owners_index"),
    Route("/estates/{estate_id:int}/owners", estate_page, methods=["GET"], name="owners_estate"),
    Route("/estates/{estate_id:int}/owners/register", register_page, methods=["GET"],
          name="owners_register"),
    Route("/estates/{estate_id:int}/owners/register", register_import, methods=["POST"],
          name="owners_register_import"),
    Route("/estates/{estate_id:int}/owners/homes.csv", register_export, methods=["GET"],
          name="owners_register_export"),
    Route("/estates/{estate_id:int}/owners/matters/new", matter_new_page, methods=["GET"],
          name="owners_matter_new"),
    Route("/estates/{estate_id:int}/owners/matters", matter_create, methods=["POST"],
          name="owners_matter_create"),
    Route("/owners/homes/{home_id:int}", home_page, methods=["GET"], name="owners_home"),
    Route("/owners/homes/{home_id:int}", home_update, methods=["POST"], name="owners_home_update"),
    Route("/owners/owner-records/{owner_id:int}/link", owner_link, methods=["POST"],
          name="owners_owner_link"),
    Route("/owners/owner-records/{owner_id:int}/unlink", owner_unlink, methods=["POST"],
          name="owners_owner_unlink"),
    Route("/owners/links/{link_id:int}/{action:str}", link_decide, methods=["POST"],
          name="owners_link_decide"),
    Route("/owners/links", links_page, methods=["GET"], name="owners_links"),
    Route("/owners/my-links/{link_id:int}/{action:str}", link_answer, methods=["POST"],
          name="owners_link_answer"),
    Route("/owners/matters/{matter_id:int}", matter_page, methods=["GET"], name="owners_matter"),
    Route("/owners/matters/{matter_id:int}/vote", vote, methods=["POST"], name="owners_vote"),
    Route("/owners/matters/{matter_id:int}/notice", notice_page, methods=["GET"],
          name="owners_notice"),
    Route("/owners/matters/{matter_id:int}/attachments", attachment_add, methods=["POST"],
          name="owners_attachment_add"),
    Route("/owners/attachments/{attachment_id:int}", attachment_file, methods=["GET"],
          name="owners_attachment"),
    Route("/owners/matters/{matter_id:int}/ballots", ballots_page, methods=["GET"],
          name="owners_ballots"),
    Route("/owners/matters/{matter_id:int}/paper", paper_enter, methods=["POST"],
          name="owners_paper"),
    Route("/owners/matters/{matter_id:int}/proxy", proxy_enter, methods=["POST"],
          name="owners_proxy"),
    Route("/owners/ballots/{ballot_id:int}/resolve", ballot_resolve, methods=["POST"],
          name="owners_ballot_resolve"),
    Route("/owners/ballots/{ballot_id:int}/void", ballot_void, methods=["POST"],
          name="owners_ballot_void"),
    Route("/owners/ballots/{ballot_id:int}/scan", proxy_scan, methods=["GET"],
          name="owners_proxy_scan"),
    Route("/owners/matters/{matter_id:int}/result", result_page, methods=["GET"],
          name="owners_result"),
    Route("/owners/matters/{matter_id:int}/homes.csv", matter_register_export, methods=["GET"],
          name="owners_matter_register_export"),
    Route("/owners/matters/{matter_id:int}/ballots.csv", ballots_export, methods=["GET"],
          name="owners_ballots_export"),
]
